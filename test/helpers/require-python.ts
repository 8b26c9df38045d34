/**
 * The real interpreters a test needs, found on this machine without running them.
 *
 * Each `require…` function returns an interpreter's path, or, when it is absent, skips the
 * current test with a note naming what is missing — except under CI (`CI=true`), where the
 * machine is supposed to have everything and an absent interpreter fails the test instead.
 * The `find…` functions only look and return `undefined` when absent, for a test that adapts.
 *
 * ```ts
 * import { pyenvVersion, debianPython } from './require-python.js';
 *
 * it('builds a venv on 3.12', async (ctx) => {
 *   const python = pyenvVersion(ctx, '3.12');        // ~/.pyenv/versions/3.12.1/bin/python3.12
 *   const system = debianPython(ctx);                 // /usr/bin/python3.11
 * });
 * ```
 *
 * Paths returned are real binaries (never pyenv shims nor symlinks), independent of PATH.
 */
import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** What `require…` needs from vitest's test context: `it('…', (ctx) => …)`. */
export interface SkippableContext {
  skip(note?: string): never;
}

/** `$PYENV_ROOT`, else `~/.pyenv` (whether or not it exists). */
export function pyenvRoot(): string {
  const fromEnv = process.env['PYENV_ROOT'];
  return fromEnv !== undefined && path.isAbsolute(fromEnv) ? fromEnv : path.join(homedir(), '.pyenv');
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function compareReleases(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The binary of pyenv's newest final release matching `version` (`'3.12'` → 3.12.x,
 * `'3.12.1'` → exactly that, `'2.7'`), i.e. `<root>/versions/<v>/bin/python<X.Y>`.
 */
export function findPyenvPython(version: string): string | undefined {
  let installed: string[];
  try {
    installed = readdirSync(path.join(pyenvRoot(), 'versions'));
  } catch {
    return undefined;
  }
  const matching = installed
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && (v === version || v.startsWith(`${version}.`)))
    .sort(compareReleases);
  const newest = matching.at(-1);
  if (newest === undefined) return undefined;
  const [major, minor] = newest.split('.');
  const binary = path.join(pyenvRoot(), 'versions', newest, 'bin', `python${major}.${minor}`);
  return isExecutableFile(binary) ? realpathSync(binary) : undefined;
}

/**
 * The distribution's Python in /usr/bin: `/usr/bin/python3.<minor>` when a minor is given,
 * else whatever `/usr/bin/python3` points at.
 */
export function findDebianPython(minor?: number): string | undefined {
  const file = minor === undefined ? '/usr/bin/python3' : `/usr/bin/python3.${minor}`;
  return isExecutableFile(file) ? realpathSync(file) : undefined;
}

/** True when missing prerequisites must fail the run instead of skipping tests. */
export function isCI(): boolean {
  return process.env['CI'] === 'true';
}

/** `found`, or skip the test (fail under CI) saying that `what` is missing. */
export function requirePresent<T>(ctx: SkippableContext, found: T | undefined, what: string): T {
  if (found !== undefined) return found;
  const note = `${what} is not installed on this machine`;
  if (isCI()) throw new Error(`${note}, and CI=true requires it`);
  return ctx.skip(note);
}

/** pyenv's newest `version` build (see `findPyenvPython`), or skip/fail. */
export function pyenvVersion(ctx: SkippableContext, version: string): string {
  return requirePresent(ctx, findPyenvPython(version), `pyenv Python ${version} (${pyenvRoot()}/versions/${version}*)`);
}

/** The distribution's python3 (see `findDebianPython`), or skip/fail. */
export function debianPython(ctx: SkippableContext, minor?: number): string {
  const what = minor === undefined ? '/usr/bin/python3' : `/usr/bin/python3.${minor}`;
  return requirePresent(ctx, findDebianPython(minor), what);
}
