import type { Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FileIdentity } from './probe-cache.js';
import { resolveExecutable } from './executable-file.js';
import { defaultPyenvRoot, listPyenvVersions, readFileKind, shimRoot, type Env, type FileKind } from './pyenv.js';

/** Where an interpreter was found: on PATH, under a pyenv root, or in a system directory. */
export type CandidateSource = 'path' | 'pyenv' | 'system';

/** A file worth probing: an executable regular file named like an interpreter, not a pyenv shim. */
export interface Candidate {
  /** Symlinks resolved; what is probed and what the cache is keyed by. */
  readonly realPath: string;
  readonly identity: FileIdentity;
  /** The first place it was found. */
  readonly source: CandidateSource;
  /** Every path that led to it, in discovery order (`/usr/bin/python3`, `/usr/bin/python3.11`). */
  readonly foundAs: readonly string[];
}

export interface CandidateSearchOptions {
  readonly env: Env;
  /** Undefined: `$PYENV_ROOT` or `~/.pyenv`. Null: ignore pyenv (its shims on PATH are still skipped). */
  readonly pyenvRoot?: string | null | undefined;
  /** Searched after PATH. Default `/usr/local/bin`, `/usr/bin`. */
  readonly systemDirs?: readonly string[] | undefined;
}

export interface CandidateSearch {
  readonly candidates: readonly Candidate[];
  /** What was searched, for "nothing found" messages: PATH entries, pyenv version dirs, system dirs. */
  readonly searched: readonly string[];
  /** Roots of the pyenv installations seen (configured, or named by a shim on PATH). */
  readonly pyenvRoots: readonly string[];
}

export const DEFAULT_SYSTEM_DIRS: readonly string[] = ['/usr/local/bin', '/usr/bin'];

/**
 * `python`, `python3`, `python3.11`, `python2`, `python2.7`. Not `python3.11-config`,
 * `python3-gdb.py`, `python3.6m` (a hard link to `python3.6`) nor `python3-argcomplete`.
 */
export const INTERPRETER_NAME = /^python(?:[23](?:\.\d+)?)?$/;

/** The names looked for in `$(pyenv root)/versions/<v>/bin`: the rest are links to these. */
const PYENV_NAMES = ['python', 'python3', 'python2'] as const;

/** Absolute, non-empty PATH entries in order; relative entries are skipped (they depend on the cwd). */
export function pathDirs(env: Env): string[] {
  return (env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== '' && path.isAbsolute(d));
}

async function interpreterNamesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => INTERPRETER_NAME.test(n)).sort();
  } catch {
    return [];
  }
}

interface Inspected {
  readonly file: string;
  readonly source: CandidateSource;
  readonly realPath: string;
  readonly stats: Stats;
  readonly kind: FileKind;
}

/** pyenv's shims are a few hundred bytes; a larger file is never one, so its content is not read. */
const MAX_SHIM_SIZE = 4096;

async function inspect(file: string, source: CandidateSource): Promise<Inspected | undefined> {
  const resolved = await resolveExecutable(file);
  if (!resolved.ok) return undefined;
  try {
    const kind: FileKind = resolved.stats.size > MAX_SHIM_SIZE ? { kind: 'binary' } : await readFileKind(resolved.realPath);
    return { file, source, realPath: resolved.realPath, stats: resolved.stats, kind };
  } catch {
    return undefined;
  }
}

async function inspectDirs(dirs: readonly string[], source: CandidateSource): Promise<Array<Inspected | undefined>> {
  const names = await Promise.all(dirs.map(interpreterNamesIn));
  const files = dirs.flatMap((dir, i) => (names[i] ?? []).map((name) => path.join(dir, name)));
  return Promise.all(files.map((f) => inspect(f, source)));
}

async function inspectPyenvRoot(root: string): Promise<Array<Inspected | undefined>> {
  const versions = await listPyenvVersions(root);
  const files = versions.flatMap((v) => PYENV_NAMES.map((name) => path.join(root, 'versions', v, 'bin', name)));
  return Promise.all(files.map((f) => inspect(f, 'pyenv')));
}

/**
 * Every interpreter worth probing, deduplicated by real path and by inode (hard links), in
 * discovery order: PATH, then pyenv versions (the configured root, then roots named by shims
 * on PATH), then system directories. Runs no process; the file system is read in parallel and
 * the results merged in that order.
 */
export async function findCandidates(options: CandidateSearchOptions): Promise<CandidateSearch> {
  const configuredRoot = options.pyenvRoot === undefined ? defaultPyenvRoot(options.env) : options.pyenvRoot;
  const onPath = [...new Set(pathDirs(options.env))];
  const systemDirs = [...new Set(options.systemDirs ?? DEFAULT_SYSTEM_DIRS)].filter((d) => !onPath.includes(d));
  const [fromPath, fromConfiguredRoot, fromSystem] = await Promise.all([
    inspectDirs(onPath, 'path'),
    configuredRoot === null ? Promise.resolve([]) : inspectPyenvRoot(configuredRoot),
    inspectDirs(systemDirs, 'system'),
  ]);

  const pyenvRoots = configuredRoot === null ? [] : [configuredRoot];
  for (const found of fromPath) {
    if (found?.kind.kind !== 'pyenv-shim') continue;
    const root = shimRoot(found.file, found.kind, configuredRoot ?? defaultPyenvRoot(options.env));
    if (!pyenvRoots.includes(root)) pyenvRoots.push(root);
  }
  const shimRoots = pyenvRoots.filter((r) => r !== configuredRoot);
  const fromShimRoots = (await Promise.all(shimRoots.map(inspectPyenvRoot))).flat();

  const byRealPath = new Map<string, { candidate: Candidate; foundAs: string[] }>();
  const byInode = new Map<string, string>();
  for (const found of [...fromPath, ...fromConfiguredRoot, ...fromShimRoots, ...fromSystem]) {
    // A pyenv shim is represented by the pyenv versions themselves: never probed.
    if (found === undefined || found.kind.kind === 'pyenv-shim') continue;
    const { file, realPath, stats, source } = found;
    const inodeKey = `${stats.dev}:${stats.ino}`;
    const known = byRealPath.get(realPath) ?? byRealPath.get(byInode.get(inodeKey) ?? '');
    if (known !== undefined) {
      if (!known.foundAs.includes(file)) known.foundAs.push(file);
      continue;
    }
    byInode.set(inodeKey, realPath);
    const foundAs = [file];
    const identity = { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, ctimeMs: stats.ctimeMs };
    byRealPath.set(realPath, { candidate: { realPath, identity, source, foundAs }, foundAs });
  }

  const searched = [...onPath, ...pyenvRoots.map((r) => path.join(r, 'versions', '*', 'bin')), ...systemDirs];
  return { candidates: [...byRealPath.values()].map((e) => e.candidate), searched, pyenvRoots };
}
