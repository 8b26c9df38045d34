/**
 * The shared wheel cache: `<cacheDir>/wheels/<sha256>/` holds one unpacked, verified wheel
 * (`files/`) and its description (`entry.json`). Entries are append-only: a wheel is unpacked
 * into a private temporary directory and renamed into place in one step, so concurrent envbuild
 * processes never see half an entry; the one whose rename loses uses the winner's.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ENTRY_FILE, isCachedWheel, type CachedWheel } from './cached-wheel.js';
import { GENERATED_DIR } from './generated-store.js';
import { unpackWheel } from './unpack.js';

export { defaultCacheDir } from '../python/probe-cache.js';

export const WHEELS_DIR = 'wheels';
export const DOWNLOADS_DIR = 'downloads';

/** A verified entry and the directory holding it. */
export interface CacheHit {
  readonly dir: string;
  readonly entry: CachedWheel;
}

/**
 * Entries unpacked without checking RECORD (`allowRecordMismatch`) live under another key, so
 * an install that does check never uses one.
 */
function entryDir(cacheDir: string, sha256: string, verified: boolean): string {
  return path.join(cacheDir, WHEELS_DIR, verified ? sha256 : `${sha256}-unverified`);
}

/** The entry for `sha256`, if the cache has a complete one. */
export async function lookupCached(cacheDir: string, sha256: string, allowRecordMismatch: boolean): Promise<CacheHit | undefined> {
  for (const dir of allowRecordMismatch ? [entryDir(cacheDir, sha256, true), entryDir(cacheDir, sha256, false)] : [entryDir(cacheDir, sha256, true)]) {
    const entry = await readEntry(dir, sha256);
    if (entry !== undefined) return { dir, entry };
  }
  return undefined;
}

/**
 * Entries read in this process, with the inode of their entry.json. An entry never changes
 * once published (append-only), so ten environments filled from one wheel parse and check its
 * entry.json once; later uses cost one stat, which notices an entry removed or replaced since
 * (`envbuild cache clean` in another process).
 */
const readEntries = new Map<string, { entry: CachedWheel; ino: number }>();

async function readEntry(dir: string, sha256: string): Promise<CachedWheel | undefined> {
  const key = `${dir}\0${sha256}`;
  const file = path.join(dir, ENTRY_FILE);
  const known = readEntries.get(key);
  const ino = await fs.stat(file).then((st) => st.ino, () => undefined);
  if (ino === undefined) return undefined;
  if (known !== undefined && known.ino === ino) return known.entry;
  const entry = await readEntryFile(dir, sha256);
  if (entry !== undefined) readEntries.set(key, { entry, ino });
  return entry;
}

async function readEntryFile(dir: string, sha256: string): Promise<CachedWheel | undefined> {
  try {
    const value: unknown = JSON.parse(await fs.readFile(path.join(dir, ENTRY_FILE), 'utf8'));
    return isCachedWheel(value, sha256) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A fresh private directory beside the entries (same file system, so rename is atomic). */
export async function makeTempDir(cacheDir: string, sub: string, label: string): Promise<string> {
  const dir = path.join(cacheDir, sub, `.tmp-${label.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The cache entry for a wheel file whose sha256 the caller computed or verified: found, or
 * unpacked and verified now (a UserError when RECORD does not match, with nothing left behind).
 */
export async function ensureCached(cacheDir: string, wheelFile: string, filename: string, sha256: string, allowRecordMismatch: boolean, bytes?: Uint8Array): Promise<CacheHit> {
  const hit = await lookupCached(cacheDir, sha256, allowRecordMismatch);
  if (hit !== undefined) return hit;
  const tmp = await makeTempDir(cacheDir, WHEELS_DIR, sha256);
  let entry: CachedWheel;
  try {
    // Uint8Array in the signature: the published declarations must not need Node's types.
    entry = await unpackWheel(wheelFile, filename, sha256, tmp, allowRecordMismatch, bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const final = entryDir(cacheDir, sha256, !allowRecordMismatch);
  if (await publish(tmp, final)) return { dir: final, entry };
  // Another process published first: use its entry, drop ours.
  await fs.rm(tmp, { recursive: true, force: true });
  const winner = await readEntry(final, sha256);
  return winner === undefined ? { dir: final, entry } : { dir: final, entry: winner };
}

/**
 * Renames `tmp` to `final`; false when `final` exists already. A `final` without a valid
 * entry.json (left by an older format or damaged by hand, a stray file included) is moved
 * aside and replaced.
 */
async function publish(tmp: string, final: string): Promise<boolean> {
  try {
    await fs.rename(tmp, final);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file lies where the entry belongs.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
  }
  if ((await readEntry(final, path.basename(final).replace(/-unverified$/, ''))) !== undefined) return false;
  const trash = `${tmp}-stale`;
  await fs.rename(final, trash).catch(() => undefined);
  await fs.rm(trash, { recursive: true, force: true });
  try {
    await fs.rename(tmp, final);
    return true;
  } catch {
    return false;
  }
}

/** Total bytes and entries of the cache (for `envbuild cache size`), counting each inode once. */
export async function cacheSize(cacheDir: string): Promise<{ bytes: number; wheels: number }> {
  let bytes = 0;
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const st = await fs.lstat(p);
        const key = `${st.dev}:${st.ino}`;
        if (!seen.has(key)) bytes += st.blocks * 512;
        seen.add(key);
      }
    }
  };
  await walk(cacheDir);
  let wheels = 0;
  try {
    wheels = (await fs.readdir(path.join(cacheDir, WHEELS_DIR))).filter((n) => !n.startsWith('.')).length;
  } catch {
    // no cache yet
  }
  return { bytes, wheels };
}

/**
 * Removes the wheel cache. Environments keep working: their files are hard links or copies,
 * not references into the cache.
 */
export async function cleanCache(cacheDir: string): Promise<void> {
  for (const sub of [WHEELS_DIR, DOWNLOADS_DIR, GENERATED_DIR]) {
    const dir = path.join(cacheDir, sub);
    // Rename first so a concurrent reader sees either the whole cache or none of it.
    const trash = `${dir}.removing-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fs.rename(dir, trash);
    } catch {
      continue;
    }
    await fs.rm(trash, { recursive: true, force: true });
  }
}
