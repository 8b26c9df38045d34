import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { statePath } from '../state/store.js';

/**
 * What identifies the state file's content: a digest of its bytes, or null when there is none.
 * Taken before planning and again once the lock is held: only another process's apply could
 * have changed it in between, and only then does the plan need to be made again. (A digest,
 * not size and mtime: two writes within one mtime tick can keep both.)
 */
export async function stateIdentity(manifestDir: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await fs.readFile(statePath(manifestDir))).digest('hex');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
