import crypto, { createHash, randomBytes } from 'node:crypto';
import { constants as fsc, lstatSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from '../python/concurrency-limit.js';
import type { EntryDigest, Observed, TreeEntry } from './tree.js';
import { UserError } from '../errors/user-error.js';
import { entryBase, joinInside } from './safe-path.js';
import { faultPoint } from '../fault-injection.js';

const DEFAULT_FILE_MODE = 0o644;

// The one-shot `crypto.hash` (Node 20.12+) skips the Hash object: several times faster on the
// small files a layout renders, which a plan hashes for every environment.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array) => string }).hash;

export function sha256(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data) : createHash('sha256').update(data).digest('hex');
}

async function sha256File(file: string): Promise<string> {
  return sha256(await fs.readFile(file));
}

/** What state records for an entry once written. */
export async function digestEntry(entry: TreeEntry): Promise<EntryDigest> {
  if (entry.kind !== 'copy') return digestContent(entry);
  const data = await fs.readFile(entry.source);
  return { kind: 'copy', size: data.length, sha256: sha256(data) };
}

/** `digestEntry` of an entry whose content is in memory (anything but a copy). */
export function digestContent(entry: Exclude<TreeEntry, { kind: 'copy' }>): EntryDigest {
  switch (entry.kind) {
    case 'dir':
      return { kind: 'dir' };
    case 'file':
      return { kind: 'file', sha256: sha256(entry.content), mode: entry.mode ?? DEFAULT_FILE_MODE };
    case 'symlink':
      return { kind: 'symlink', target: entry.target };
  }
}

/** What is at `rel` under `root` right now. Never follows a symlink at the path itself. */
export async function observe(root: string, rel: string): Promise<Observed> {
  const abs = joinInside(root, rel);
  let st;
  try {
    st = await fs.lstat(abs);
  } catch (e) {
    if (isNotFound(e)) return { kind: 'missing' };
    throw e;
  }
  if (st.isSymbolicLink()) return { kind: 'symlink', target: await fs.readlink(abs) };
  if (st.isDirectory()) return { kind: 'dir' };
  if (st.isFile()) {
    return { kind: 'file', sha256: await sha256File(abs), mode: st.mode & 0o7777, size: st.size };
  }
  return { kind: 'other' };
}

/**
 * A recorded file entry with the fingerprint of the file envbuild left there (see
 * `statFingerprint`): when the file still has that fingerprint, its content is taken as the
 * recorded digest without reading it.
 */
export interface KnownFile {
  readonly digest: EntryDigest;
  readonly stat: string;
}

/**
 * `inode:size:mtime:ctime` (nanoseconds) of a regular file, or undefined when the filesystem
 * keeps whole seconds only (both sub-second parts zero), where a same-second edit could keep
 * it. The ctime cannot be set back by a user: an edit that restores the size and the mtime
 * (`touch -d`) still moves it, and so do chmod, a rename over the path and a hard link.
 */
export function statFingerprint(st: BigIntStats): string | undefined {
  if (!st.isFile()) return undefined;
  if (st.mtimeNs % 1_000_000_000n === 0n && st.ctimeNs % 1_000_000_000n === 0n) return undefined;
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** The fingerprint of the file at `rel` under `root` now, if it is a regular file. */
export function fingerprintSync(root: string, rel: string): string | undefined {
  try {
    return statFingerprint(lstatSync(joinInside(root, rel), { bigint: true }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * `observe` with blocking calls, for observing many small entries at once (a plan looks at
 * every entry of every environment): an lstat and a read each, with none of the promise and
 * file-handle churn of thousands of concurrent reads — at 1,000 environments that churn, and
 * the garbage it leaves, cost more than the reads themselves. With `known` (a path state
 * recorded with a fingerprint) the read and hash happen only when the fingerprint or the mode
 * changed: what `known` claims is believed only as far as the disk confirms it.
 */
export function observeSync(root: string, rel: string, known?: KnownFile): Observed {
  const abs = joinInside(root, rel);
  let st;
  try {
    // Nanosecond times only where a fingerprint is compared: a BigIntStats is a dozen
    // BigInts, and a plan stats every entry of every environment.
    st = known ? lstatSync(abs, { bigint: true }) : lstatSync(abs);
  } catch (e) {
    if (isNotFound(e)) return { kind: 'missing' };
    throw e;
  }
  const mode = Number(st.mode) & 0o7777;
  const digest = known?.digest;
  if (digest && (digest.kind === 'file' || digest.kind === 'copy') && statFingerprint(st as BigIntStats) === known.stat && (digest.kind === 'copy' || mode === digest.mode)) {
    return { kind: 'file', sha256: digest.sha256, mode, size: Number(st.size) };
  }
  if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(abs) };
  if (st.isDirectory()) return { kind: 'dir' };
  if (st.isFile()) return { kind: 'file', sha256: sha256(readFileSync(abs)), mode, size: Number(st.size) };
  return { kind: 'other' };
}

/** Whether what is on disk is exactly what envbuild recorded (or wants) there. */
export function observedMatches(digest: EntryDigest, seen: Observed): boolean {
  switch (digest.kind) {
    case 'dir':
      return seen.kind === 'dir';
    case 'file':
      return seen.kind === 'file' && seen.sha256 === digest.sha256 && seen.mode === digest.mode;
    case 'symlink':
      return seen.kind === 'symlink' && seen.target === digest.target;
    case 'copy':
      return seen.kind === 'file' && seen.size === digest.size && seen.sha256 === digest.sha256;
  }
}

export function digestsEqual(a: EntryDigest, b: EntryDigest): boolean {
  switch (a.kind) {
    case 'dir':
      return b.kind === 'dir';
    case 'file':
      return b.kind === 'file' && a.sha256 === b.sha256 && a.mode === b.mode;
    case 'symlink':
      return b.kind === 'symlink' && a.target === b.target;
    case 'copy':
      return b.kind === 'copy' && a.sha256 === b.sha256 && a.size === b.size;
  }
}

/**
 * Writes one entry so that a reader never sees a half-written file: content goes to a
 * temporary sibling that is renamed over the destination. Whatever occupies the path and is
 * not a directory is replaced; the planner decides beforehand whether that is allowed.
 */
export async function writeEntry(root: string, entry: TreeEntry): Promise<void> {
  const abs = joinInside(root, entry.path);
  await assertNoLinkedParent(root, entry.path);
  if (await fs.mkdir(path.dirname(abs), { recursive: true })) faultPoint(`mkdir parent of ${entry.path}`);
  if (entry.kind === 'dir') {
    await ensureDirectory(abs);
    faultPoint(`mkdir ${entry.path}`);
    return;
  }
  const tmp = `${abs}.envbuild-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await create(entry, tmp);
    faultPoint(`temporary ${tmp}`);
    await replaceWith(tmp, abs);
    faultPoint(`write ${entry.path}`);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes a whole tree into a directory envbuild has just created for it and that nothing else
 * uses yet (a staging directory, renamed into place once complete): no temporaries — a killed
 * run's staging directory is discarded whole — and no checks for linked parents, since every
 * directory in it is one made here. Directories go first, in order; then every other entry at
 * once, a bounded number in flight, instead of one disk round trip after another.
 */
export async function writeFreshTree(root: string, entries: readonly TreeEntry[], signal?: AbortSignal): Promise<void> {
  const made = new Set<string>(['']);
  const makeDir = async (rel: string) => {
    if (made.has(rel)) return;
    await makeDir(rel.split('/').slice(0, -1).join('/'));
    signal?.throwIfAborted();
    await fs.mkdir(joinInside(root, rel));
    made.add(rel);
    faultPoint(`mkdir ${rel}`);
  };
  const rest: Array<Exclude<TreeEntry, { kind: 'dir' }>> = [];
  for (const entry of entries) {
    if (entry.kind === 'dir') await makeDir(entry.path);
    else rest.push(entry);
  }
  // A parent not listed as an entry of its own (mkdir -p, as writeEntry does).
  for (const entry of rest) await makeDir(entry.path.split('/').slice(0, -1).join('/'));
  await mapLimit(rest, 8, async (entry) => {
    signal?.throwIfAborted();
    await create(entry, joinInside(root, entry.path));
    faultPoint(`write ${entry.path}`);
  });
}

/** Makes a file, link or copy entry at `dest`, which must not exist (exclusive create). */
async function create(entry: Exclude<TreeEntry, { kind: 'dir' }>, dest: string): Promise<void> {
  switch (entry.kind) {
    case 'file':
      await fs.writeFile(dest, entry.content, { mode: entry.mode ?? DEFAULT_FILE_MODE, flag: 'wx' });
      // The umask may have narrowed the mode given to open(): set it exactly.
      await fs.chmod(dest, entry.mode ?? DEFAULT_FILE_MODE);
      break;
    case 'symlink':
      await fs.symlink(entry.target, dest);
      break;
    case 'copy':
      await copyOrLink(entry.source, dest, entry.mode);
      break;
  }
}

/**
 * joinInside checks the path as text only. A directory of the environment replaced by a link
 * to elsewhere (`bin` → `~/.local/bin`) would still send a write, or a removal, outside the
 * environment: refuse to go through a symlinked parent. The root itself may be a link.
 */
async function assertNoLinkedParent(root: string, rel: string): Promise<void> {
  const { base, parts } = entryBase(root, rel);
  const parents = parts.slice(0, -1);
  let dir = base;
  for (const part of parents) {
    dir = path.join(dir, part);
    const st = await fs.lstat(dir).catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e)));
    // Missing: mkdir creates real directories from here on. A file: mkdir fails, loudly.
    if (!st?.isSymbolicLink()) {
      if (st?.isDirectory()) continue;
      return;
    }
    const shown = path.relative(root, dir);
    throw new UserError('EPATH', `refusing to touch "${rel}": its parent "${shown}" is a symbolic link to ${await fs.readlink(dir)}`, {
      hint: `envbuild made "${shown}" a directory; remove the link and run again to recreate it`,
    });
  }
}

async function ensureDirectory(abs: string): Promise<void> {
  const st = await fs.lstat(abs).catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e)));
  if (st?.isDirectory()) return;
  if (st) await fs.rm(abs, { force: true });
  await fs.mkdir(abs);
}

async function replaceWith(tmp: string, abs: string): Promise<void> {
  const st = await fs.lstat(abs).catch(() => null);
  // rename() cannot replace a directory with a file; only an empty one is removed here, so a
  // directory holding user data makes the write fail loudly instead of deleting it.
  if (st?.isDirectory()) {
    await fs.rmdir(abs);
    faultPoint(`rmdir ${abs}`);
  }
  await fs.rename(tmp, abs);
}

const TEMPORARY = /\.envbuild-[0-9a-f]{8}\.tmp$/;

/**
 * Removes what a write killed before its rename left behind (`<name>.envbuild-<hex>.tmp`, a
 * name reserved for envbuild) in the given directories of an environment. Directories that
 * are missing, not directories, or reached through a symbolic link are skipped.
 */
export async function sweepTemporaries(root: string, dirs: Iterable<string>): Promise<void> {
  for (const rel of new Set(dirs)) {
    const dir = rel === '' ? root : joinInside(root, rel);
    if (!(await isRealDirectory(root, rel))) continue;
    for (const name of await fs.readdir(dir)) {
      if (!TEMPORARY.test(name)) continue;
      await fs.unlink(path.join(dir, name)).catch(() => undefined);
      faultPoint(`sweep ${rel}/${name}`);
    }
  }
}

/** Whether `rel` under `root` is a directory reached through real directories only. */
async function isRealDirectory(root: string, rel: string): Promise<boolean> {
  const { base, parts } = rel === '' ? { base: root, parts: [] } : entryBase(root, rel);
  let dir = base;
  for (const part of ['', ...parts]) {
    dir = part === '' ? dir : path.join(dir, part);
    const st = await fs.lstat(dir).catch(() => null);
    if (!st?.isDirectory()) return false;
  }
  return true;
}

/** A hard link costs no space and keeps the binary's identity; fall back to a copy across devices. */
async function copyOrLink(source: string, dest: string, mode: number | undefined): Promise<void> {
  try {
    await fs.link(source, dest);
    return;
  } catch {
    // EXDEV, EPERM (protected hardlinks) and friends: copy instead.
  }
  await fs.copyFile(source, dest, fsc.COPYFILE_EXCL);
  if (mode !== undefined) await fs.chmod(dest, mode);
}

export type RemoveOutcome =
  | { readonly path: string; readonly result: 'removed' | 'missing' }
  | { readonly path: string; readonly result: 'kept'; readonly why: string };

/**
 * Removes an entry only if it is still what envbuild recorded: a file the user edited, a link
 * re-pointed elsewhere or a directory that still holds something is kept and reported.
 */
export async function removeEntry(root: string, rel: string, recorded: EntryDigest): Promise<RemoveOutcome> {
  const abs = joinInside(root, rel);
  await assertNoLinkedParent(root, rel);
  const seen = await observe(root, rel);
  if (seen.kind === 'missing') return { path: rel, result: 'missing' };
  if (!observedMatches(recorded, seen)) {
    return { path: rel, result: 'kept', why: describeMismatch(recorded, seen) };
  }
  if (recorded.kind === 'dir') {
    try {
      await fs.rmdir(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (e as NodeJS.ErrnoException).code === 'EEXIST') {
        const left = await fs.readdir(abs);
        return { path: rel, result: 'kept', why: `not empty: holds ${left.sort().slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}` };
      }
      throw e;
    }
    faultPoint(`remove ${rel}`);
    return { path: rel, result: 'removed' };
  }
  await fs.unlink(abs);
  faultPoint(`remove ${rel}`);
  return { path: rel, result: 'removed' };
}

/** A short human reason for a difference, used in plan reasons and removal reports. */
export function describeMismatch(expected: EntryDigest, seen: Observed): string {
  if (seen.kind === 'missing') return 'missing';
  if (seen.kind !== (expected.kind === 'copy' ? 'file' : expected.kind)) {
    return `is a ${seen.kind === 'other' ? 'special file' : seen.kind === 'dir' ? 'directory' : seen.kind}, expected a ${expected.kind === 'dir' ? 'directory' : expected.kind === 'copy' ? 'file' : expected.kind}`;
  }
  if (expected.kind === 'symlink' && seen.kind === 'symlink') return `points to ${seen.target}, expected ${expected.target}`;
  if (expected.kind === 'file' && seen.kind === 'file' && seen.sha256 === expected.sha256) {
    return `mode ${seen.mode.toString(8)}, expected ${expected.mode.toString(8)}`;
  }
  return 'edited';
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
