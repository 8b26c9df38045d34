/**
 * Where each file of a cached wheel goes in an environment — a pure function of the cache
 * entry and the target, as pip's `_install_wheel` decides it: the root into purelib or platlib
 * per `Root-Is-Purelib`, `<name>.data/<scheme>/…` into that scheme's directory, setuptools'
 * own entry-point wrappers in `.data/scripts` skipped (the entry points are made instead).
 */
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import type { CachedFile, CachedWheel } from './cached-wheel.js';
import { isEntryPointWrapper, versionedScripts, type ScriptEntryPoint } from './entry-points.js';
import { isInside } from './env-dirs.js';
import { checkMemberPath } from './member-path.js';
import { comparePaths, recordLine } from './record.js';
import type { InstallTarget } from './types.js';

export interface Placement {
  readonly file: CachedFile;
  /** Absolute destination. */
  readonly dest: string;
  /** `link` from the cache, or `shebang`: written with `#!python` rewritten. */
  readonly how: 'link' | 'shebang';
}

export interface WheelPlan {
  /** purelib or platlib: where `.dist-info` goes and what RECORD paths are relative to. */
  readonly libDir: string;
  readonly distInfoDir: string;
  /** `.data` files only; root files come from `rootTemplate`. */
  readonly placements: readonly Placement[];
  readonly scripts: readonly { readonly point: ScriptEntryPoint; readonly dest: string }[];
}

/** dist-info files envbuild writes itself for each environment. */
const GENERATED = new Set(['RECORD', 'INSTALLER', 'REQUESTED', 'direct_url.json']);

const SCHEMES = ['purelib', 'platlib', 'scripts', 'headers', 'data'] as const;
type Scheme = (typeof SCHEMES)[number];

function schemeDir(target: InstallTarget, scheme: Scheme, name: string): string {
  // pip's venv scheme puts a distribution's headers in their own directory.
  return scheme === 'headers' ? path.join(target.headers, name) : target[scheme];
}

/**
 * What about a wheel's root files does not depend on the environment, worked out once per
 * cache entry and process (ten environments filled from one entry reuse it): the files with
 * their RECORD lines in RECORD's order, and the directories they need, parents first.
 */
export interface RootTemplate {
  /** Root files (not `.data`, not generated metadata), sorted by RECORD path. */
  readonly files: readonly { readonly file: CachedFile; readonly line: string }[];
  /** Directories under the lib directory, POSIX, parents before children. */
  readonly dirs: readonly string[];
}

const templates = new WeakMap<CachedWheel, RootTemplate>();

export function rootTemplate(entry: CachedWheel): RootTemplate {
  let t = templates.get(entry);
  if (t !== undefined) return t;
  const files: { file: CachedFile; line: string }[] = [];
  const dirs = new Set<string>();
  for (const file of entry.files) {
    const parts = file.path.split('/');
    if ((parts[0] ?? '').endsWith('.data')) continue;
    if (parts[0] === entry.distInfo && parts.length === 2 && GENERATED.has(parts[1] ?? '')) continue;
    // The cache entry is untrusted: a checked member path joined to the (checked) lib
    // directory stays inside it, so joining strings needs no per-file path.relative.
    checkMemberPath(file.path, entry.filename);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    files.push({ file, line: recordLine({ path: file.path, hash: file.hash, size: String(file.size) }) });
  }
  files.sort((x, y) => comparePaths(x.file.path, y.file.path));
  t = { files, dirs: [...dirs].sort((x, y) => x.split('/').length - y.split('/').length) };
  templates.set(entry, t);
  return t;
}

/** Where the `.data` files and entry-point scripts go in `target` (the root files: `rootTemplate`). */
export function planWheel(entry: CachedWheel, target: InstallTarget): WheelPlan {
  const libDir = path.resolve(entry.rootIsPurelib ? target.purelib : target.platlib);
  const points = versionedScripts(entry.entryPoints, target.pythonVersion);
  const pointNames = new Set([...entry.entryPoints, ...points].map((p) => p.name));
  // pip names the header directory after the wheel file's name with `_` as `-`.
  const headerName = entry.filename.split('-')[0]?.replace(/_/g, '-') ?? entry.name;
  const placements: Placement[] = [];
  for (const file of entry.files) {
    const parts = file.path.split('/');
    if (!(parts[0] ?? '').endsWith('.data')) continue;
    const scheme = parts[1] ?? '';
    const rest = parts.slice(2);
    if (!(SCHEMES as readonly string[]).includes(scheme) || rest.length === 0) {
      throw new UserError('EWHEEL', `${entry.filename}: ${file.path} uses unknown scheme "${scheme}" (expected one of ${SCHEMES.join(', ')})`, { hint: 'the wheel is malformed' });
    }
    if (scheme === 'scripts' && isEntryPointWrapper(rest[rest.length - 1] ?? '', pointNames)) continue;
    const base = schemeDir(target, scheme as Scheme, headerName);
    placements.push({ file, dest: inside(target, path.join(base, ...rest), entry), how: scheme === 'scripts' && file.pythonShebang ? 'shebang' : 'link' });
  }
  const scripts = points.map((point) => ({ point, dest: inside(target, path.join(target.scripts, point.name), entry) }));
  inside(target, libDir, entry);
  return { libDir, distInfoDir: path.join(libDir, entry.distInfo), placements, scripts };
}

function inside(target: InstallTarget, dest: string, entry: CachedWheel): string {
  if (!isInside(target.prefix, dest)) {
    throw new UserError('EWHEELPATH', `${entry.filename}: refusing to write ${dest}: it is outside the environment ${target.prefix}`, {
      hint: 'the wheel is malformed or malicious; nothing was installed from it',
    });
  }
  return dest;
}
