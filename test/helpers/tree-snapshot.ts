/**
 * The one way tests look at a directory tree: every path under it (links not followed) with
 * what it is, sorted, as comparable text. Comparing two snapshots proves a run changed nothing,
 * that two trees converged, or that one environment matches another.
 *
 * A path is relative and `/`-separated; a directory's ends in `/`. What describes an entry:
 * - `content` (default): a file's mode and a hash of its bytes, a directory's mode, a link's
 *   target; with `mtimes`, each entry's mtime too, so a rewrite with the same bytes shows;
 * - `metadata`: mode, size, inode, mtime and ctime in nanoseconds, a link's target. Any write,
 *   chmod, rename or replacement changes the ctime, which user space cannot set back, so this
 *   is as strict as reading the bytes, and fast on large trees (the system's site directories);
 * - `kind`: `dir`, `file` or `symlink`; `path`: nothing but the path.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TreeSnapshotOptions {
  readonly by?: 'content' | 'metadata' | 'kind' | 'path';
  /** With `content`: each entry's mtime as well. */
  readonly mtimes?: boolean;
  /** Leaves out a path (relative, no trailing `/`) and everything under it. */
  readonly skip?: (rel: string) => boolean;
  /** With `content`: what a file's bytes are compared as (default: a short sha256). */
  readonly content?: (bytes: Buffer, rel: string) => string;
  /** Rewrites link targets (e.g. a project's own path replaced by a placeholder). */
  readonly linkTarget?: (target: string) => string;
}

const hash = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

/** Path → description, in sorted walk order; empty when `dir` does not exist. */
export function describeTree(dir: string, options: TreeSnapshotOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (options.skip?.(r)) continue;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs, { bigint: true });
      const isDir = st.isDirectory();
      out.set(isDir ? `${r}/` : r, describeEntry(abs, r, st, options));
      if (isDir) walk(r);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}

function describeEntry(abs: string, rel: string, st: fs.BigIntStats, options: TreeSnapshotOptions): string {
  const by = options.by ?? 'content';
  const kind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
  if (by === 'path') return '';
  if (by === 'kind') return kind;
  const mode = (st.mode & 0o7777n).toString(8);
  const target = kind === 'symlink' ? `-> ${(options.linkTarget ?? ((t) => t))(fs.readlinkSync(abs))}` : '';
  if (by === 'metadata') return [mode, st.size, `ino ${st.ino}`, `m ${st.mtimeNs}`, `c ${st.ctimeNs}`, target].filter((s) => s !== '').join(' ');
  const mtime = options.mtimes ? ` @${st.mtimeMs}` : '';
  if (kind === 'symlink') return `${target}${mtime}`;
  if (kind === 'dir') return `${mode}${mtime}`;
  const bytes = fs.readFileSync(abs);
  return `${mode} ${options.content ? options.content(bytes, rel) : hash(bytes)}${mtime}`;
}

/** `path description` lines, sorted (a directory's path ends in `/`). */
export function snapshotTree(dir: string, options: TreeSnapshotOptions = {}): string[] {
  return [...describeTree(dir, options)].map(([p, what]) => (what === '' ? p : `${p} ${what}`));
}

/** One hash of the whole snapshot: to prove a large tree (the system's) was not changed. */
export function treeDigest(dir: string, options: TreeSnapshotOptions = {}): string {
  return createHash('sha256').update(snapshotTree(dir, options).join('\n')).digest('hex');
}

/** What differs between two descriptions of a tree, one line per path: added, removed, changed. */
export function treeChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [p, was] of before) {
    const now = after.get(p);
    if (now === undefined) out.push(`removed ${p}`);
    else if (now !== was) out.push(`changed ${p}`);
  }
  for (const p of after.keys()) if (!before.has(p)) out.push(`added ${p}`);
  return out;
}

/**
 * A project's tree with mtimes, leaving out the interpreter probe cache the tests keep under
 * `.cache/` (and that directory's own mtime, which its atomic rewrite moves). The cache is
 * shared machine state, not the project's: it keys each interpreter on its ctime, and the
 * classic layout hard-links the Python 2.7 binary, so any test building a classic environment
 * meanwhile moves that ctime and a later run rightly probes 2.7 again and records it.
 */
export function projectTree(dir: string): string[] {
  return snapshotTree(dir, { mtimes: true }).filter((l) => !l.startsWith('.cache/interpreters.json ') && !l.startsWith('.cache/ '));
}
