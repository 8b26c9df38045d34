/**
 * sha256 of local files the locks name, remembered across runs by the file's fingerprint (its
 * device, inode, size, mtime and ctime), so that checking an unchanged lock does not read and
 * hash every wheel again. A file whose fingerprint changed — rewritten, replaced, touched,
 * chmodded: ctime moves with any change and cannot be set back — is hashed again. The record
 * (`<cache>/file-hashes.json`) is a cache: anything unreadable or malformed is ignored.
 * Installing still verifies: a wheel that is not in the wheel cache is hashed as it is unpacked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultCacheDir } from '../python/probe-cache.js';

const FILE = 'file-hashes.json';
const FORMAT = 1;
/** Entries kept at most; past that the oldest go (a wheelhouse is rarely bigger). */
const LIMIT = 4000;

interface Fingerprint {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly sha256: string;
}

function isFingerprint(v: unknown): v is Fingerprint {
  const f = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && ['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'].every((k) => typeof f[k] === 'number') && typeof f['sha256'] === 'string' && /^[0-9a-f]{64}$/.test(f['sha256']);
}

export class FileHashes {
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly entries: Map<string, Fingerprint>,
  ) {}

  /** The record in the default cache directory; `cacheDir: null` keeps nothing across runs. */
  static async open(cacheDir: string | null = defaultCacheDir(process.env)): Promise<FileHashes> {
    if (cacheDir === null) return new FileHashes(undefined, new Map());
    const file = path.join(cacheDir, FILE);
    const entries = new Map<string, Fingerprint>();
    try {
      const value = JSON.parse(await readFile(file, 'utf8')) as { format?: unknown; files?: unknown };
      if (value.format === FORMAT && typeof value.files === 'object' && value.files !== null) {
        for (const [p, f] of Object.entries(value.files)) if (isFingerprint(f)) entries.set(p, f);
      }
    } catch {
      // none yet, or unreadable: start afresh
    }
    return new FileHashes(file, entries);
  }

  /** The sha256 (hex) of `file`, read and hashed only when its fingerprint is new. Throws as stat/readFile do. */
  async sha256(file: string): Promise<string> {
    const key = path.resolve(file);
    const st = await stat(key, { bigint: false });
    const known = this.entries.get(key);
    if (known && known.dev === st.dev && known.ino === st.ino && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs) return known.sha256;
    const sha256 = createHash('sha256').update(await readFile(key)).digest('hex');
    this.entries.delete(key);
    this.entries.set(key, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, sha256 });
    this.changed = true;
    return sha256;
  }

  /** Writes the record when it changed (atomically: a concurrent run's record is replaced whole). */
  async save(): Promise<void> {
    if (!this.changed || this.file === undefined) return;
    const kept = [...this.entries].slice(-LIMIT);
    const tmp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFile(tmp, JSON.stringify({ format: FORMAT, files: Object.fromEntries(kept) }), { mode: 0o600 });
      await rename(tmp, this.file);
      this.changed = false;
    } catch {
      // a cache: a read-only home only costs hashing again next time
    }
  }
}
