import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { joinInside } from '../layout/safe-path.js';
import type { EntryDigest } from '../layout/tree.js';
import { STATE_FORMAT, STATE_VERSION, type StateFile } from './types.js';

/**
 * state.json is untrusted input: it may be hand-edited, truncated or written by another
 * version. Everything envbuild later deletes is named here, so each field is checked before
 * any of it is believed, and a bad file is refused as a whole rather than partly acted on.
 */
export function parseState(text: string, file: string): StateFile {
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
  if (version !== STATE_VERSION) throw corrupt(file, `unsupported state version ${version}`);
  if (typeof data['writtenBy'] !== 'string') throw corrupt(file, '"writtenBy" is not a string');
  const envs = data['environments'];
  if (!isRecord(envs)) throw corrupt(file, '"environments" is not an object');
  // The state lives in <manifest dir>/.envbuild/state.json.
  const manifestDir = path.dirname(path.dirname(path.resolve(file)));
  for (const [name, env] of Object.entries(envs)) checkEnvironment(file, manifestDir, name, env);
  return data as unknown as StateFile;
}

function checkEnvironment(file: string, manifestDir: string, name: string, env: unknown): void {
  const where = `environments.${name}`;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw corrupt(file, `bad environment name "${name}"`);
  if (!isRecord(env)) throw corrupt(file, `${where} is not an object`);
  const root = env['path'];
  if (typeof root !== 'string' || !isNormalisedAbsolute(root)) {
    throw corrupt(file, `${where}.path is not a normalised absolute path`);
  }
  if (isInside(root, manifestDir) || root === manifestDir) {
    throw corrupt(file, `${where}.path ${root} contains the project itself`);
  }
  const sitePackages = env['sitePackages'];
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
    if (!isRecord(entry) || typeof entry['path'] !== 'string' || !isDigest(entry['digest'])) {
      throw corrupt(file, `${where}.entries[${i}] is malformed`);
    }
    try {
      joinInside(root, entry['path']);
    } catch {
      throw corrupt(file, `${where}.entries[${i}].path "${entry['path']}" escapes the environment`);
    }
  });
  const parts = env['parts'];
  if (!isRecord(parts)) throw corrupt(file, `${where}.parts is not an object`);
  for (const [part, record] of Object.entries(parts)) checkPart(file, `${where}.parts.${part}`, record, [root, manifestDir]);
}

/** A part record; what it created must lie inside the environment or the project. */
function checkPart(file: string, where: string, record: unknown, within: readonly string[]): void {
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
  record['created'].forEach((c: unknown, i) => {
    const at = `${where}.created[${i}]`;
    if (!isRecord(c) || typeof c['path'] !== 'string' || !isCreated(c)) throw corrupt(file, `${at} is malformed`);
    const p = c['path'];
    if (!isNormalisedAbsolute(p)) throw corrupt(file, `${at} "${p}" is not a normalised absolute path`);
    if (!within.some((dir) => isInside(dir, p))) throw corrupt(file, `${at} "${p}" is outside the environment and the project`);
  });
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
export async function checkStateOnDisk(state: StateFile, file: string): Promise<void> {
  const manifestDir = path.dirname(path.dirname(path.resolve(file)));
  const realProject = await fs.realpath(manifestDir);
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
    const real = await realpathOfExisting(env.path);
    if (real !== realProject && !isInside(realProject, real)) {
      throw corrupt(file, `environments.${name}.path ${env.path} leads outside the project through a symbolic link (to ${real})`);
    }
  }
}

async function enclosingProject(p: string): Promise<string | null> {
  for (let at = path.dirname(p); at !== path.dirname(at); at = path.dirname(at)) {
    if (await fs.lstat(path.join(at, '.envbuild', 'state.json')).then(() => true, () => false)) return at;
  }
  return null;
}

/** realpath of `p`, or of its nearest existing ancestor; a dangling link resolves to its target. */
async function realpathOfExisting(p: string): Promise<string> {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return await fs.realpath(at);
    } catch {
      const st = await fs.lstat(at).catch(() => null);
      if (st?.isSymbolicLink()) return path.resolve(path.dirname(at), await fs.readlink(at));
      if (at === path.dirname(at)) return at;
    }
  }
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
