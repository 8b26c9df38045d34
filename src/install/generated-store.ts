/**
 * Small files envbuild generates the same way in many environments (INSTALLER, REQUESTED,
 * direct_url.json, the RECORD of a wheel without scripts), kept once in the cache by the sha256
 * of their content (`<cache>/generated/<sha256>`) and hard-linked into each environment, so
 * ten environments hold one copy. Only used when the installer hard-links: with `copy` each
 * environment gets its own bytes, as asked. Entries are written to a temporary name and renamed
 * into place (never half-written), and never changed afterwards; pip replaces or deletes such
 * files, never edits them in place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const GENERATED_DIR = 'generated';

export class GeneratedStore {
  private made = false;
  private broken = false;

  constructor(private readonly dir: string) {}

  static in(cacheDir: string): GeneratedStore {
    return new GeneratedStore(path.join(cacheDir, GENERATED_DIR));
  }

  /** Hard-links a stored file with `bytes` at `dest` (which must not exist); false when it cannot. */
  linkSync(bytes: Uint8Array, dest: string): boolean {
    if (this.broken) return false;
    const stored = path.join(this.dir, createHash('sha256').update(bytes).digest('hex'));
    try {
      linkSync(stored, dest);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return this.fail(e);
    }
    try {
      if (!this.made) mkdirSync(this.dir, { recursive: true });
      this.made = true;
      const tmp = `${stored}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, bytes, { mode: 0o644, flag: 'wx' });
      renameSync(tmp, stored);
      linkSync(stored, dest);
      return true;
    } catch (e) {
      return this.fail(e);
    }
  }

  /** The caller writes the file instead; for good after "another file system" or "read-only". */
  private fail(e: unknown): boolean {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EXDEV' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') this.broken = true;
    return false;
  }
}
