import { open, readdir, readFile, stat, access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { compareVersionStrings } from './version-request.js';

/**
 * pyenv without running pyenv. Its shims are bash scripts that `exec pyenv exec <command>`:
 * running one costs a bash and several pyenv sub-commands (~50 ms) and its answer depends on
 * the caller's directory and environment, so a shim is never probed nor linked into an
 * environment. It is resolved here, by reading the same files pyenv reads, to the binary under
 * `$(pyenv root)/versions/<version>/bin/` that pyenv would run.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** What the first bytes of a candidate file say about it. */
export type FileKind =
  | { readonly kind: 'binary' }
  | { readonly kind: 'script' }
  /** `root`: the PYENV_ROOT the shim exports, when it names one (pyenv bakes it in at rehash). */
  | { readonly kind: 'pyenv-shim'; readonly root: string | undefined };

const HEAD_BYTES = 1024;
const SHIM_EXEC = /\bpyenv["']?\s+exec\s/;
const SHIM_ROOT = /^export PYENV_ROOT="([^"\n]+)"/m;

/** Reads the start of a file to tell a pyenv shim and other scripts from a binary. */
export async function readFileKind(file: string): Promise<FileKind> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    if (bytesRead < 2 || buffer[0] !== 0x23 || buffer[1] !== 0x21) return { kind: 'binary' };
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    if (!SHIM_EXEC.test(head)) return { kind: 'script' };
    return { kind: 'pyenv-shim', root: SHIM_ROOT.exec(head)?.[1] };
  } finally {
    await handle.close();
  }
}

/** `$PYENV_ROOT`, else `~/.pyenv` — where pyenv itself looks when PYENV_ROOT is unset. */
export function defaultPyenvRoot(env: Env): string {
  const fromEnv = env['PYENV_ROOT'];
  if (fromEnv !== undefined && path.isAbsolute(fromEnv)) return path.resolve(fromEnv);
  return path.join(env['HOME'] ?? homedir(), '.pyenv');
}

/**
 * The root a shim belongs to: the one it exports, else the parent of its `shims/` directory,
 * else the configured one.
 */
export function shimRoot(shimPath: string, kind: Extract<FileKind, { kind: 'pyenv-shim' }>, fallback: string): string {
  if (kind.root !== undefined && path.isAbsolute(kind.root)) return kind.root;
  const dir = path.dirname(shimPath);
  return path.basename(dir) === 'shims' ? path.dirname(dir) : fallback;
}

/** Names of the installed versions (`versions/*`), empty when the root does not exist. */
export async function listPyenvVersions(root: string): Promise<string[]> {
  try {
    const entries = await readdir(path.join(root, 'versions'));
    return entries.filter((name) => !name.startsWith('.')).sort();
  } catch {
    return [];
  }
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The versions pyenv would select, and what selected them. */
export interface PyenvSelection {
  /** In pyenv's order; `system` included when written. */
  readonly versions: readonly string[];
  /** `PYENV_VERSION`, or the version file that set it. */
  readonly origin: string;
}

/**
 * `pyenv version-name` without the hooks: `PYENV_VERSION` (colon-separated), else the nearest
 * `.python-version` from `PYENV_DIR` or `cwd` upward, else `$(pyenv root)/version`.
 * Undefined when nothing is selected (pyenv would then say `system`).
 */
export async function pyenvSelection(root: string, env: Env, cwd: string): Promise<PyenvSelection | undefined> {
  const fromEnv = env['PYENV_VERSION'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { versions: fromEnv.split(':').filter((v) => v !== ''), origin: 'PYENV_VERSION' };
  }
  const starts = [env['PYENV_DIR'], cwd].filter((d): d is string => d !== undefined && path.isAbsolute(d));
  for (const start of starts) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const versions = await readVersionFile(path.join(dir, '.python-version'));
      if (versions !== undefined) return { versions, origin: path.join(dir, '.python-version') };
      if (path.dirname(dir) === dir) break;
    }
  }
  const global = path.join(root, 'version');
  const versions = await readVersionFile(global);
  return versions === undefined ? undefined : { versions, origin: global };
}

/** pyenv-version-file-read: first word of each line, comments and unsafe names skipped. */
async function readVersionFile(file: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const versions = text
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((v) => v !== '' && !v.startsWith('#') && v !== '..' && !v.includes('/'));
  return versions.length > 0 ? versions : undefined;
}

/**
 * Maps a selected name to an installed version as pyenv does: the exact directory, the name
 * without a `python-` prefix, else the newest installed version it is a prefix of (`3.12` →
 * `3.12.1`; pre-releases and builds with suffixes excluded as `pyenv latest` does).
 */
export function matchInstalledVersion(name: string, installed: readonly string[]): string | undefined {
  for (const candidate of [name, name.replace(/^python-/, '')]) {
    if (installed.includes(candidate)) return candidate;
  }
  for (const prefix of [name, name.replace(/^python-/, '')]) {
    const matching = installed.filter((v) => v.startsWith(`${prefix}.`) && /^\d+(\.\d+)*$/.test(v));
    matching.sort(compareVersionStrings);
    const newest = matching.at(-1);
    if (newest !== undefined) return newest;
  }
  return undefined;
}

export type ShimResolution =
  | {
      readonly ok: true;
      /** `<root>/versions/<version>/bin/<command>`, or a binary on PATH for `system`. */
      readonly path: string;
      readonly version: string;
      /** Why this one: the selection's origin, or "newest version providing <command>". */
      readonly why: string;
    }
  | { readonly ok: false; readonly message: string; readonly hint: string };

export interface ShimContext {
  readonly root: string;
  readonly env: Env;
  readonly cwd: string;
  /** Looks a command up on PATH without pyenv's shims, for a `system` selection. */
  readonly findOnSystemPath: (command: string) => Promise<string | undefined>;
}

/**
 * What a shim named `command` would run. The versions pyenv selects are honoured in order;
 * where none of them provides the command, pyenv would fail ("command not found"), while
 * envbuild takes the newest installed version that does (the request named the command, not
 * a version), and falls back to the system's command last.
 */
export async function resolvePyenvCommand(command: string, ctx: ShimContext): Promise<ShimResolution> {
  const installed = await listPyenvVersions(ctx.root);
  const providers: string[] = [];
  for (const version of installed) {
    if (await isExecutableFile(path.join(ctx.root, 'versions', version, 'bin', command))) providers.push(version);
  }
  const selection = await pyenvSelection(ctx.root, ctx.env, ctx.cwd);
  for (const selected of selection?.versions ?? []) {
    if (selected === 'system') {
      const found = await ctx.findOnSystemPath(command);
      if (found !== undefined) return { ok: true, path: found, version: 'system', why: `system, selected by ${selection?.origin}` };
      continue;
    }
    const version = matchInstalledVersion(selected, installed);
    if (version !== undefined && providers.includes(version)) {
      return { ok: true, path: binPath(ctx.root, version, command), version, why: `selected by ${selection?.origin}` };
    }
  }
  const newest = [...providers].sort(compareVersionStrings).at(-1);
  if (newest !== undefined) {
    return { ok: true, path: binPath(ctx.root, newest, command), version: newest, why: `newest pyenv version providing ${command}` };
  }
  const system = await ctx.findOnSystemPath(command);
  if (system !== undefined) return { ok: true, path: system, version: 'system', why: 'no pyenv version provides it' };
  return {
    ok: false,
    message: `no pyenv version provides ${command} (pyenv root ${ctx.root}, installed: ${installed.join(', ') || 'none'})`,
    hint: `install one with "pyenv install <version>", or request a version range instead of a command`,
  };
}

function binPath(root: string, version: string, command: string): string {
  return path.join(root, 'versions', version, 'bin', command);
}
