import { lstatSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { isPlainEntryPath, joinInside } from '../layout/safe-path.js';
import type { EntryDigest } from '../layout/tree.js';
import { STATE_FORMAT, STATE_VERSION, type StateFile } from './types.js';
import { ENVIRONMENT_ID } from '../layout/identity.js';

/**
 * state.json is untrusted input: it may be hand-edited, truncated or written by another
 * version. Everything envbuild later deletes is named here, so each field is checked before
 * any of it is believed, and a bad file is refused as a whole rather than partly acted on.
 */
export function parseState(text: string, file: string, manifestDir: string): StateFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, `it is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(data) || data['format'] !== STATE_FORMAT) throw corrupt(file, 'it is not an envbuild state file');
  const version = data['version'];
  if (typeof version !== 'number' || !Number.isInteger(version)) throw corrupt(file, '"version" is not an integer');
  if (version > STATE_VERSION) {
    throw new UserError(
      'ESTATE_NEWER',
      `${file} was written by a newer envbuild (state version ${version}, this one reads up to ${STATE_VERSION}${typeof data['writtenBy'] === 'string' ? `; written by envbuild ${data['writtenBy']}` : ''})`,
      { hint: 'upgrade envbuild; the file is left untouched' },
    );
  }
  if (version !== STATE_VERSION && version !== 1) throw corrupt(file, `unsupported state version ${version}`);
  if (typeof data['writtenBy'] !== 'string') throw corrupt(file, '"writtenBy" is not a string');
  for (const key of ['manifest', 'project', 'mac'] as const) {
    if (data[key] !== undefined && typeof data[key] !== 'string') throw corrupt(file, `"${key}" is not a string`);
  }
  const envs = data['environments'];
  if (!isRecord(envs)) throw corrupt(file, '"environments" is not an object');
  // Version 2 writes paths inside the project relative to the manifest's directory.
  const relative = version === STATE_VERSION;
  const environments: Record<string, unknown> = {};
  for (const [name, env] of Object.entries(envs)) environments[name] = checkEnvironment(file, manifestDir, name, env, relative);
  if (data['creating'] !== undefined) checkCreating(file, data['creating']);
  const { mac: _mac, ...rest } = data;
  return { ...rest, version: STATE_VERSION, environments } as unknown as StateFile;
}

/** An absolute path for a path as written: relative ones (version 2) are inside the manifest's directory. */
function absoluteFrom(manifestDir: string, p: unknown, relative: boolean): string | null {
  if (typeof p !== 'string' || p.includes('\0')) return null;
  if (path.isAbsolute(p)) return isNormalisedAbsolute(p) ? p : null;
  if (!relative || p === '' || path.normalize(p) !== p || p.split('/').includes('..') || p.endsWith('/')) return null;
  return path.join(manifestDir, p);
}

export function checkEnvironment(file: string, manifestDir: string, name: string, env: unknown, relative: boolean): Record<string, unknown> {
  const where = `environments.${name}`;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw corrupt(file, `bad environment name "${name}"`);
  if (!isRecord(env)) throw corrupt(file, `${where} is not an object`);
  const root = absoluteFrom(manifestDir, env['path'], relative);
  if (root === null) {
    throw corrupt(file, `${where}.path is not a normalised absolute path${relative ? ' or a path inside the project' : ''}`);
  }
  const pending = env['pending'];
  if (pending !== undefined && !(isRecord(pending) && Object.values(pending).every((t) => typeof t === 'number' && Number.isFinite(t)))) {
    throw corrupt(file, `${where}.pending is malformed`);
  }
  const writtenParents = env['parents'];
  if (writtenParents !== undefined && !Array.isArray(writtenParents)) throw corrupt(file, `${where}.parents is not a list`);
  // Only directories above this environment's root, inside the project; others are ignored
  // (they are only ever removed when empty, so dropping one is always safe).
  const parents = (writtenParents ?? []).flatMap((p: unknown) => {
    const abs = absoluteFrom(manifestDir, p, relative);
    return abs !== null && isInside(abs, root) && isInside(manifestDir, abs) ? [abs] : [];
  });
  const id = env['id'];
  if (id !== undefined && (typeof id !== 'string' || !ENVIRONMENT_ID.test(id))) throw corrupt(file, `${where}.id is not an envbuild id`);
  if (isInside(root, manifestDir) || root === manifestDir) {
    throw corrupt(file, `${where}.path ${root} contains the project itself`);
  }
  const writtenSite = env['sitePackages'];
  // Version 2 writes it relative to the environment.
  const sitePackages =
    writtenSite === undefined ? undefined : typeof writtenSite === 'string' && relative && !path.isAbsolute(writtenSite) ? path.join(root, writtenSite) : writtenSite;
  if (sitePackages !== undefined && (typeof sitePackages !== 'string' || !isNormalisedAbsolute(sitePackages) || !isInside(root, sitePackages))) {
    throw corrupt(file, `${where}.sitePackages is not a normalised absolute path inside the environment`);
  }
  const inputs = env['inputs'];
  if (
    !isRecord(inputs) ||
    !isRecord(inputs['python']) ||
    typeof inputs['python']['executable'] !== 'string' ||
    typeof inputs['python']['version'] !== 'string' ||
    (inputs['layout'] !== 'venv' && inputs['layout'] !== 'classic') ||
    typeof inputs['isolation'] !== 'string' ||
    typeof inputs['prompt'] !== 'string' ||
    (inputs['globals'] !== undefined && !(Array.isArray(inputs['globals']) && inputs['globals'].every((g) => typeof g === 'string')))
  ) {
    throw corrupt(file, `${where}.inputs is malformed`);
  }
  const entries = env['entries'];
  if (!Array.isArray(entries)) throw corrupt(file, `${where}.entries is not a list`);
  entries.forEach((entry: unknown, i) => {
    if (!isRecord(entry) || typeof entry['path'] !== 'string' || !isDigest(entry['digest']) || !isStatFingerprint(entry['stat'], entry['digest'])) {
      throw corrupt(file, `${where}.entries[${i}] is malformed`);
    }
    try {
      if (!isPlainEntryPath(entry['path'])) joinInside(root, entry['path']);
    } catch {
      throw corrupt(file, `${where}.entries[${i}].path "${entry['path']}" escapes the environment`);
    }
  });
  const parts = env['parts'];
  if (!isRecord(parts)) throw corrupt(file, `${where}.parts is not an object`);
  const checked: Record<string, unknown> = {};
  for (const [part, record] of Object.entries(parts)) {
    checked[part] = checkPart(file, `${where}.parts.${part}`, record, [root, manifestDir], manifestDir, relative);
  }
  return { ...env, path: root, ...(sitePackages !== undefined ? { sitePackages } : {}), ...(writtenParents !== undefined ? { parents } : {}), parts: checked };
}

/** A part record; what it created must lie inside the environment or the project. */
function checkPart(file: string, where: string, record: unknown, within: readonly string[], manifestDir: string, relative: boolean): Record<string, unknown> {
  if (
    !isRecord(record) ||
    typeof record['recipe'] !== 'string' ||
    typeof record['version'] !== 'string' ||
    typeof record['fingerprint'] !== 'string' ||
    !isRecord(record['options']) ||
    !isRecord(record['outputs']) ||
    !Array.isArray(record['created'])
  ) {
    throw corrupt(file, `${where} is malformed`);
  }
  const created = record['created'].map((c: unknown, i) => {
    const at = `${where}.created[${i}]`;
    if (!isRecord(c) || typeof c['path'] !== 'string' || !isCreated(c)) throw corrupt(file, `${at} is malformed`);
    const p = absoluteFrom(manifestDir, c['path'], relative);
    if (p === null) throw corrupt(file, `${at} "${c['path']}" is not a normalised absolute path`);
    if (!within.some((dir) => isInside(dir, p))) throw corrupt(file, `${at} "${p}" is outside the environment and the project`);
    return { ...c, path: p };
  });
  return { ...record, created };
}

function isCreated(c: Record<string, unknown>): boolean {
  switch (c['kind']) {
    case 'dir':
      return true;
    case 'file':
      return typeof c['sha256'] === 'string' && typeof c['mode'] === 'number';
    case 'symlink':
      return typeof c['target'] === 'string';
    default:
      return false;
  }
}

function isNormalisedAbsolute(p: string): boolean {
  return path.isAbsolute(p) && path.normalize(p) === p && p !== '/' && !p.endsWith('/') && !p.includes('\0');
}

/** Whether `p` is strictly below `dir` (both normalised and absolute). */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

/**
 * The checks that need the disk: an environment root inside the project must stay inside it
 * when symbolic links are followed, or removing its recorded entries would act elsewhere.
 */
export async function checkStateOnDisk(state: StateFile, file: string, manifestDir: string): Promise<void> {
  const realProject = await fs.realpath(manifestDir);
  const realOf = realpaths();
  for (const [name, env] of Object.entries(state.environments)) {
    if (!isInside(manifestDir, env.path)) {
      // An absolute path elsewhere is the manifest's choice, unless it lies in another
      // envbuild project: then this state was most likely copied along with the project,
      // and acting on it would remove the original project's environment.
      const other = await enclosingProject(env.path);
      if (other !== null) {
        throw corrupt(file, `environments.${name}.path ${env.path} lies in another envbuild project (${other}); was this state copied from there?`);
      }
      continue;
    }
    const real = await realOf(env.path);
    if (real !== realProject && !isInside(realProject, real)) {
      throw corrupt(file, `environments.${name}.path ${env.path} leads outside the project through a symbolic link (to ${real})`);
    }
  }
}

/** The nearest directory above `p` holding an envbuild state (`.envbuild/*state.json`), if any. */
export async function enclosingProject(p: string): Promise<string | null> {
  for (let at = path.dirname(p); at !== path.dirname(at); at = path.dirname(at)) {
    const names = await fs.readdir(path.join(at, '.envbuild')).catch(() => [] as string[]);
    if (names.some((n) => n.endsWith('state.json'))) return at;
  }
  return null;
}

/**
 * realpath of `p`, or of its nearest existing ancestor; a dangling link resolves to its
 * target. Each directory is resolved once: 1,000 environment roots share their parents, so a
 * root that is no link costs one lstat instead of a realpath walking every component again.
 */
function realpaths(): (p: string) => Promise<string> {
  const known = new Map<string, Promise<string>>();
  const realOf = (p: string): Promise<string> => {
    let real = known.get(p);
    if (real === undefined) {
      real = resolveOne(p);
      known.set(p, real);
    }
    return real;
  };
  const resolveOne = async (p: string): Promise<string> => {
    const up = path.dirname(p);
    let st: Stats | undefined;
    try {
      st = lstatSync(p);
    } catch {
      return p === up ? p : realOf(up);
    }
    if (st.isSymbolicLink()) return fs.realpath(p).catch(async () => path.resolve(up, await fs.readlink(p)));
    return p === up ? p : path.join(await realOf(up), path.basename(p));
  };
  return realOf;
}

/** Absent, or `inode:size:mtime:ctime` in decimal on a file entry (see RecordedEntry.stat). */
function isStatFingerprint(stat: unknown, digest: EntryDigest): boolean {
  return stat === undefined || ((digest.kind === 'file' || digest.kind === 'copy') && typeof stat === 'string' && /^\d{1,20}:\d{1,20}:\d{1,30}:\d{1,30}$/.test(stat));
}

function isDigest(d: unknown): d is EntryDigest {
  if (!isRecord(d)) return false;
  switch (d['kind']) {
    case 'dir':
      return true;
    case 'file':
      return typeof d['sha256'] === 'string' && typeof d['mode'] === 'number';
    case 'symlink':
      return typeof d['target'] === 'string';
    case 'copy':
      return typeof d['sha256'] === 'string' && typeof d['size'] === 'number';
    default:
      return false;
  }
}

function corrupt(file: string, why: string): UserError {
  return new UserError('ESTATE_CORRUPT', `refusing to use ${file}: ${why}`, {
    hint: `nothing was changed; inspect or move the file away (envbuild will then treat environments on disk as unknown)`,
  });
}

/** `creating` (a state's or a journal line's): environment name → the filesystem time its build started. */
export function checkCreating(file: string, creating: unknown): Record<string, number> {
  if (!(isRecord(creating) && Object.values(creating).every((t) => typeof t === 'number' && Number.isFinite(t)))) throw corrupt(file, '"creating" is malformed');
  return creating as Record<string, number>;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
