/**
 * `envbuild lock`: resolves every environment's parts again (new releases in the indexes and
 * wheelhouses are picked up) and writes the lock files. Creates no environment.
 */
import { loadManifest } from '../manifest/index.js';
import { resolveEnvironments } from '../resolve/resolve-environments.js';
import { readState } from '../state/store.js';
import { ENVBUILD_VERSION } from '../version.js';
import { lockedVersions, lockEnvironments, writeLock } from './locks.js';
import type { EngineOptions } from './prepare.js';

export interface LockResultLine {
  readonly environment: string;
  readonly file: string;
  readonly written: boolean;
  readonly changes: readonly string[];
  readonly packages: number;
  readonly resolver: string;
}

export async function lock(manifestFile: string, options: EngineOptions = {}): Promise<{ environments: LockResultLine[] }> {
  const manifest = await loadManifest(manifestFile);
  const { state } = await readState(manifest.file, ENVBUILD_VERSION);
  const only = options.only && options.only.length > 0 ? { only: options.only } : {};
  const desired = await resolveEnvironments(manifest, { ...only, prefer: await lockedVersions(manifest), ...(options.discovery ? { discovery: options.discovery } : {}) });
  const locks = await lockEnvironments(manifest, desired, state, { mode: 'relock', ...(options.signal ? { signal: options.signal } : {}) });
  const out: LockResultLine[] = [];
  for (const [environment, l] of locks) {
    if (l.write && l.text !== null) await writeLock(l.file, l.text);
    out.push({ environment, file: l.file, written: l.write, changes: l.changes, packages: l.lock?.packages.length ?? 0, resolver: l.lock?.resolver ?? '' });
  }
  return { environments: out };
}
