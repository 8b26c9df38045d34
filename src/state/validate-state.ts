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
  const envs = data['environments'];
  if (!isRecord(envs)) throw corrupt(file, '"environments" is not an object');
  for (const [name, env] of Object.entries(envs)) checkEnvironment(file, name, env);
  return data as unknown as StateFile;
}

function checkEnvironment(file: string, name: string, env: unknown): void {
  const where = `environments.${name}`;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw corrupt(file, `bad environment name "${name}"`);
  if (!isRecord(env)) throw corrupt(file, `${where} is not an object`);
  const root = env['path'];
  if (typeof root !== 'string' || !path.isAbsolute(root) || path.normalize(root) !== root || root === '/') {
    throw corrupt(file, `${where}.path is not a normalised absolute path`);
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
  if (!isRecord(env['parts'])) throw corrupt(file, `${where}.parts is not an object`);
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
