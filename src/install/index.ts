/**
 * envbuild's wheel installer (PEP 427/491, pypa/installer's behaviour, pip's file layout):
 * wheels are fetched, unpacked once into a shared content-addressed cache, and linked from
 * there into environments. See `types.ts` for the API's types.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors/user-error.js';
import { majorMinor, type PythonInfo } from '../python/interpreter.js';
import { defaultCacheDir, ensureCached, lookupCached, type CacheHit } from './cache.js';
import { EnvDirs } from './env-dirs.js';
import { download, localPathOf, sha256File, showUrl, wheelFilenameOf } from './fetch.js';
import { installCachedWheel } from './install-wheel.js';
import { Linker, parseLinkMode } from './link.js';
import { supportedTags } from './tags.js';
import type { InstallOptions, InstallResult, InstallTarget, InstalledDistribution, LinkMode, UninstallResult, WheelRequest } from './types.js';
import { distInfosByName, findDistInfos, uninstallDistInfo } from './uninstall.js';
import { GeneratedStore } from './generated-store.js';
import { canonicalName, parseWheelFilename } from './wheel-filename.js';
import { mapLimit } from '../python/concurrency-limit.js';

export type * from './types.js';
export { supportedTags } from './tags.js';
export { defaultCacheDir, cacheSize, cleanCache } from './cache.js';
export { parseWheelFilename, canonicalName } from './wheel-filename.js';

/** The install target of an environment at `prefix` built from the interpreter `info`. */
export function targetFor(prefix: string, info: PythonInfo): InstallTarget {
  const root = path.resolve(prefix);
  const scripts = path.join(root, info.venvScheme.scripts);
  return {
    prefix: root,
    python: path.join(scripts, 'python'),
    purelib: path.join(root, info.venvScheme.purelib),
    platlib: path.join(root, info.venvScheme.platlib),
    scripts,
    headers: path.join(root, 'include', 'site', `python${majorMinor(info)}`),
    data: root,
    tags: supportedTags(info),
    pythonVersion: majorMinor(info),
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

interface Resolved {
  readonly request: WheelRequest;
  readonly filename: string;
  readonly hit: CacheHit;
  readonly url: string;
}

/** Finds or makes the cache entry of one requested wheel, checking its tags first. */
async function resolveWheel(request: WheelRequest, target: InstallTarget, o: Required<Pick<InstallOptions, 'cacheDir' | 'allowRecordMismatch' | 'retries' | 'retryDelayMs' | 'env'>> & InstallOptions): Promise<Resolved> {
  if ((request.path === undefined) === (request.url === undefined)) throw new UserError('EINSTALL', 'a wheel request needs exactly one of path and url');
  const shown = showUrl(request.path ?? request.url ?? '');
  const filename = wheelFilenameOf(request);
  const parsed = parseWheelFilename(filename);
  const accepted = new Set(target.tags);
  if (!parsed.tags.some((t) => accepted.has(t))) {
    throw new UserError('ETAGS', `${filename} is not compatible with this interpreter (its tags: ${parsed.tags.join(', ')})`, {
      hint: `the interpreter accepts ${target.tags.slice(0, 3).join(', ')}, … (${target.tags.length} tags); pick a wheel built for it`,
    });
  }
  const pinned = request.sha256?.toLowerCase();
  if (pinned !== undefined && !HEX64.test(pinned)) throw new UserError('EINSTALL', `${shown}: sha256 "${request.sha256}" is not 64 hex digits`);
  if (pinned !== undefined) {
    // The cache holds content verified against this very hash: the file need not even be read.
    const hit = await lookupCached(o.cacheDir, pinned, o.allowRecordMismatch);
    if (hit !== undefined) return { request, filename, hit, url: urlOf(request) };
  }
  const local = localPathOf(request);
  if (local !== undefined) {
    const { sha256: actual, bytes } = await readWheel(local).catch((e: NodeJS.ErrnoException) => {
      throw new UserError('EINSTALL', `cannot read ${shown} (${e.code ?? e.message})`);
    });
    if (pinned !== undefined && actual !== pinned) {
      throw new UserError('EHASH', `${shown}: sha256 ${actual} does not match the pinned ${pinned}`, { hint: 'the file changed since it was locked; nothing was installed from it' });
    }
    o.onProgress?.({ kind: 'unpack', wheel: filename });
    return { request, filename, hit: await ensureCached(o.cacheDir, local, filename, actual, o.allowRecordMismatch, bytes), url: urlOf(request) };
  }
  if (pinned === undefined) throw new UserError('EINSTALL', `${shown}: a wheel fetched over the network needs a sha256`, { hint: 'lock the environment (envbuild lock) to pin hashes' });
  const file = await download(request.url ?? '', pinned, filename, { ...o, onProgress: o.onProgress, signal: o.signal });
  try {
    o.onProgress?.({ kind: 'unpack', wheel: filename });
    return { request, filename, hit: await ensureCached(o.cacheDir, file, filename, pinned, o.allowRecordMismatch), url: urlOf(request) };
  } finally {
    await fs.rm(path.dirname(file), { recursive: true, force: true });
  }
}

/** Wheels up to this size are read whole (one read, hashed and unpacked from memory); larger ones are streamed. */
const IN_MEMORY = 256 << 20;

async function readWheel(file: string): Promise<{ sha256: string; bytes?: Buffer }> {
  if ((await fs.stat(file)).size > IN_MEMORY) return { sha256: await sha256File(file) };
  const bytes = await fs.readFile(file);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
}

function urlOf(request: WheelRequest): string {
  return request.path !== undefined ? pathToFileURL(path.resolve(request.path)).href : request.url ?? '';
}

/** PEP 610: where a directly named wheel came from; the URL as given, credentials redacted. */
function directUrlOf(r: Resolved): object {
  const sha = r.hit.entry.sha256;
  return { archive_info: { hash: `sha256=${sha}`, hashes: { sha256: sha } }, url: showUrl(r.url) };
}

function linkModeOf(options: InstallOptions, env: Readonly<Record<string, string | undefined>>): LinkMode {
  return options.linkMode ?? parseLinkMode(env['ENVBUILD_LINK_MODE'], 'ENVBUILD_LINK_MODE') ?? 'auto';
}

/**
 * Installs `wheels` into `target`: fetches and caches each (at most four at once), refuses any
 * wheel the interpreter cannot use before writing anything, uninstalls another installed version
 * of the same distribution, then links. Throws a UserError naming the wheel and the problem.
 */
export async function installWheels(target: InstallTarget, wheels: readonly WheelRequest[], options: InstallOptions = {}): Promise<InstallResult> {
  const env = options.env ?? process.env;
  const o = { ...options, env, cacheDir: options.cacheDir ?? defaultCacheDir(env), allowRecordMismatch: options.allowRecordMismatch ?? false, retries: options.retries ?? 3, retryDelayMs: options.retryDelayMs ?? 500 };
  const linker = new Linker(linkModeOf(options, env));
  const dirs = await EnvDirs.open(target.prefix);
  for (const d of [target.purelib, target.platlib, target.scripts, target.headers, target.data]) dirs.assertInside(path.resolve(d), 'a scheme directory');
  const resolved = await mapLimit(wheels, 4, (w) => resolveWheel(w, target, o));
  const names = new Map<string, string>();
  for (const r of resolved) {
    const key = canonicalName(r.hit.entry.name);
    if (names.has(key)) throw new UserError('EINSTALL', `${names.get(key)} and ${r.filename} are the same distribution`, { hint: 'install one version of each distribution' });
    names.set(key, r.filename);
  }
  const replaced: { name: string; version: string }[] = [];
  const store = GeneratedStore.in(o.cacheDir);
  const present = await distInfosByName(target);
  const installed: InstalledDistribution[] = [];
  for (const r of resolved) {
    options.signal?.throwIfAborted();
    for (const old of present.get(canonicalName(r.hit.entry.name)) ?? []) {
      const gone = await uninstallDistInfo(target, old);
      replaced.push({ name: gone.name, version: gone.version });
    }
    options.onProgress?.({ kind: 'install', wheel: r.filename });
    const files = installCachedWheel(
      { cacheEntryDir: r.hit.dir, entry: r.hit.entry, requested: r.request.requested ?? false, directUrl: r.request.directUrl ? directUrlOf(r) : undefined },
      target,
      dirs,
      linker,
      store,
    );
    const { entry } = r.hit;
    const lib = entry.rootIsPurelib ? target.purelib : target.platlib;
    installed.push({ name: entry.name, version: entry.version, distInfo: path.join(lib, entry.distInfo), files, linkMode: linker.used, sha256: entry.sha256 });
    // Let other environments' work (and the display) run between wheels.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { installed, replaced };
}

/** Uninstalls every installed version of `name` (by RECORD); an empty list when none is installed. */
export async function uninstallDistribution(target: Pick<InstallTarget, 'prefix' | 'scripts' | 'purelib' | 'platlib' | 'headers' | 'data'>, name: string): Promise<UninstallResult[]> {
  const out: UninstallResult[] = [];
  for (const distInfo of await findDistInfos(target, name)) out.push(await uninstallDistInfo(target, distInfo));
  return out;
}
