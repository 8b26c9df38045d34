import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stateDir, statePath } from '../state/store.js';
import { journalFile } from '../state/journal.js';

/**
 * What identifies the state of a manifest: a digest of its state file's bytes (and of its
 * journal, and of a version-1 `state.json` it may take over), absent files included. Taken
 * before planning and again once the lock is held: only another process's apply could have
 * changed it in between, and only then does the plan need to be made again. (A digest, not
 * size and mtime: two writes within one mtime tick can keep both.)
 */
export async function stateIdentity(manifestFile: string): Promise<string> {
  const hash = createHash('sha256');
  const state = statePath(manifestFile);
  for (const file of [state, journalFile(state), path.join(stateDir(path.dirname(manifestFile)), 'state.json')]) {
    hash.update(`${file}\0`);
    try {
      hash.update(await fs.readFile(file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A directory in the way is refused by readState, with its path and a hint.
      if (code === 'EISDIR') hash.update('(a directory)');
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      else hash.update('(absent)');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}
