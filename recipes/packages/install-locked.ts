/**
 * Installing a packages part from its lock: exactly the locked distributions, no resolution.
 * Wheels go through envbuild's own installer (the shared cache, hashes checked, no pip run);
 * sdists and archives through one `pip install --no-deps --require-hashes` (`name==version
 * --hash=sha256:…`, local files found through their directories, so pip records them as it
 * would from a wheelhouse); local projects and bare pins through a second `--no-deps` run.
 * A part made only of wheels starts no pip. Then the environment is synced: what this part
 * owned and the lock no longer names is uninstalled (by envbuild when envbuild installed it,
 * else by pip), unless another distribution in the environment still requires it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ApplyContext, ApplyOutcome, LockedPackage } from 'envbuild/recipe';
import { canonicalName, readDeclared, type PackagesOptions } from './declared.js';
import { inspect, listSitePackages, removable, sameVersion } from './installed.js';
import { compileInstalled, wheelOptions } from './bytecode.js';
import { ownedBy } from './owned.js';
import { failureHint, indexArgs } from './pip-args.js';
import { locatePip, pipFailure, PipSession } from './pip.js';
import { installLockedWheels, isLockedWheel, uninstallDropped } from './wheels.js';

export async function applyLocked(ctx: ApplyContext<PackagesOptions>, locked: readonly LockedPackage[]): Promise<ApplyOutcome> {
  const { options, env, manifestDir } = ctx;
  const declared = await readDeclared(options, manifestDir);
  const present = await listSitePackages(env.sitePackages);
  // What is already installed as locked is left alone: a no-op sync starts no pip install.
  const todo = locked.filter((p) => p.source.kind === 'directory' || p.version === undefined || !sameInstalled(present.get(canonicalName(p.name)), p.version));
  // Looked up lazily, as a seed-only part needs no pip at all.
  const pip = await locatePip(env).catch(() => undefined);
  // pip starts only for what needs it: sdists, projects, bare pins, and the dependency check
  // before uninstalling. A part made only of wheels, with nothing to remove, runs no Python.
  let session: PipSession | undefined;
  const open = async () => (session ??= await PipSession.open(env.python, pip ?? (await locatePip(env))));
  try {
    const started = performance.now();
    const done = await installLockedWheels(ctx, todo, wheelOptions(options));
    const viaPip = todo.filter((p) => !isLockedWheel(p));
    if (viaPip.length > 0) {
      const s = await open();
      ctx.log(`using ${s.describe()}`);
      const index = await indexArgs(options, manifestDir, env);
      await installHashed(ctx, s, viaPip, index);
      await installUnhashed(ctx, s, viaPip, index);
    }
    if (todo.length > 0) ctx.log(`installed ${todo.length} locked distribution${todo.length === 1 ? '' : 's'} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    ctx.signal.throwIfAborted();
    await compileInstalled(ctx, options, done.files);
    const lockedNames = new Set(locked.map((p) => canonicalName(p.name)));
    const now = await listSitePackages(env.sitePackages);
    const candidates = [...ownedBy(ctx.previous).keys()].filter((n) => !lockedNames.has(n) && now.has(n));
    if (candidates.length > 0) {
      const s = await open();
      const seen = await inspect(ctx, s, env.sitePackages, [], []);
      const inEnv = new Map(seen.dists.filter((d) => d.inEnv).map((d) => [d.name, d]));
      const { remove, kept } = removable(candidates.filter((n) => inEnv.has(n)), seen.dists);
      for (const [name, by] of kept) ctx.log(`keeping ${name}: ${by} still requires it`);
      if (remove.length > 0) {
        const names = remove.map((n) => inEnv.get(n)?.display ?? n);
        ctx.log(`uninstalling ${names.join(', ')} (no longer in the lock)`);
        await uninstallDropped(ctx, s, names, 'the environment may be half-changed; run apply again');
      }
    }
    const after = candidates.length > 0 ? await listSitePackages(env.sitePackages) : now;
    // Versions as the metadata spells them for what was just installed, else from the directory name.
    const versions = new Map([...after].map(([n, v]) => [n, done.versions.get(n) ?? v]));
    const owned = [...lockedNames].filter((n) => after.has(n)).sort();
    const installed = Object.fromEntries(owned.map((n) => [n, versions.get(n) ?? '']));
    return { outputs: { installed, sources: declared.sources, pip: pip?.location ?? null }, created: [] };
  } finally {
    await (session as PipSession | undefined)?.close();
  }
}

function sameInstalled(installed: string | undefined, version: string): boolean {
  return installed !== undefined && installed !== '' && sameVersion(installed, version);
}

type Ctx = Pick<ApplyContext<PackagesOptions>, 'exec' | 'options' | 'manifestDir'>;

async function installHashed(ctx: Ctx, session: PipSession, todo: readonly LockedPackage[], index: readonly string[]): Promise<void> {
  const hashed = todo.filter((p) => p.source.kind === 'wheel' || p.source.kind === 'sdist' || p.source.kind === 'archive');
  if (hashed.length === 0) return;
  const dirs = new Set<string>();
  let remote = false;
  const lines = hashed.map((p) => {
    const s = p.source as Extract<LockedPackage['source'], { sha256: string }>;
    if (s.path !== undefined) dirs.add(path.dirname(s.path));
    else remote = true;
    return `${p.name}==${p.version ?? ''} --hash=sha256:${s.sha256}`;
  });
  const file = path.join(session.scratch, 'locked-requirements.txt');
  await writeFile(file, `${lines.join('\n')}\n`);
  // Every file local: no index is asked at all, whatever the part's index options say.
  const where = remote ? [...index] : ['--no-index'];
  for (const d of [...dirs].sort()) where.push('--find-links', d);
  const result = await session.run(ctx, 'install', ['--no-deps', '--require-hashes', ...where, '-r', file], ctx.manifestDir);
  if (result.code !== 0) {
    const mismatch = /DO NOT MATCH THE HASHES|hash/i.test(`${result.stdout}\n${result.stderr}`);
    throw pipFailure(
      'install the locked distributions',
      result,
      mismatch ? 'a file differs from the one locked (its sha256 changed): restore it, or run `envbuild lock` if the change is intended' : failureHint(ctx.options, ctx.manifestDir),
    );
  }
}

async function installUnhashed(ctx: Ctx, session: PipSession, todo: readonly LockedPackage[], index: readonly string[]): Promise<void> {
  const items: string[] = [];
  for (const p of todo) {
    if (p.source.kind === 'directory') items.push(...(p.source.editable ? ['-e', p.source.path] : [p.source.path]));
    else if (p.source.kind === 'pinned') items.push(`${p.name}==${p.version ?? ''}`);
  }
  if (items.length === 0) return;
  const result = await session.run(ctx, 'install', ['--no-deps', ...index, ...items, ...(ctx.options['extra-args'] ?? [])], ctx.manifestDir);
  if (result.code !== 0) throw pipFailure('install the locked projects', result, failureHint(ctx.options, ctx.manifestDir));
}
