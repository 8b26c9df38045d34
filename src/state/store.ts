import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../fault-injection.js';
import { emptyState, type StateFile } from './types.js';
import { checkStateOnDisk, parseState } from './validate-state.js';
import { JOURNAL_NAME, readJournal, removeJournal, replayJournal } from './journal.js';
import { UserError } from '../errors/user-error.js';

export const STATE_DIR = '.envbuild';

export function stateDir(manifestDir: string): string {
  return path.join(manifestDir, STATE_DIR);
}

export function statePath(manifestDir: string): string {
  return path.join(stateDir(manifestDir), 'state.json');
}

export async function readState(manifestDir: string, writtenBy: string): Promise<StateFile> {
  const file = statePath(manifestDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // A first apply killed before compacting has a journal and no state.json yet.
    text = serializeState(emptyState(writtenBy));
    if ((await readJournal(stateDir(manifestDir))) === null) return emptyState(writtenBy);
  }
  let state = parseState(text, file);
  // A run killed before it compacted its journal: its records complete the state (checked
  // again as a whole: the journal is as untrusted as state.json).
  const journal = await readJournal(stateDir(manifestDir));
  if (journal !== null) state = withJournal(state, journal, file);
  await checkStateOnDisk(state, file);
  return state;
}

function withJournal(state: StateFile, journal: string, file: string): StateFile {
  const where = path.join(path.dirname(file), JOURNAL_NAME);
  let merged: StateFile;
  try {
    merged = replayJournal(state, journal);
  } catch (e) {
    throw new UserError('ESTATE', `${where} is damaged: ${(e as Error).message}`, {
      hint: `move it away to go back to the state recorded in ${file}; environments applied since are then adopted or reported`,
    });
  }
  return parseState(serializeState(merged), where);
}

export function serializeState(state: StateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * Writes the state through a temporary file (fsync'd) and rename, so an interruption leaves
 * either the old or the new file, never a torn one; a temporary left by a killed run is
 * removed by `sweepStateTemporaries`. Returns whether the bytes changed: an unchanged state is
 * not rewritten, so a no-op apply touches no file.
 */
export async function writeState(manifestDir: string, state: StateFile, previousText?: string): Promise<boolean> {
  const text = serializeState(state);
  if (text === previousText) return false;
  const dir = stateDir(manifestDir);
  if (await fs.mkdir(dir, { recursive: true })) faultPoint(`mkdir ${dir}`);
  const file = statePath(manifestDir);
  const tmp = `${file}.envbuild-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    faultPoint('temporary of state.json');
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  faultPoint('write state.json');
  // The rename is durable only once the directory is synced.
  const dirHandle = await fs.open(dir, 'r');
  await dirHandle.sync().finally(() => dirHandle.close());
  return true;
}

/**
 * Under the lock, before anything else: folds the journal a killed run left into state.json,
 * so this run appends to an empty journal.
 */
export async function compactJournal(manifestDir: string, writtenBy: string): Promise<void> {
  if ((await readJournal(stateDir(manifestDir))) === null) return;
  const state = await readState(manifestDir, writtenBy);
  if (Object.keys(state.environments).length === 0) {
    await deleteState(manifestDir);
    return;
  }
  await writeState(manifestDir, state);
  await removeJournal(stateDir(manifestDir));
}

/** Whether a killed run left a journal that is not yet in state.json. */
export async function journalPending(manifestDir: string): Promise<boolean> {
  return fs.lstat(path.join(stateDir(manifestDir), JOURNAL_NAME)).then(
    () => true,
    () => false,
  );
}

/** Removes temporaries of state writes killed before their rename. */
export async function sweepStateTemporaries(manifestDir: string): Promise<void> {
  const names = await fs.readdir(stateDir(manifestDir)).catch(() => []);
  for (const name of names) {
    if (!/^state\.json\.envbuild-[0-9a-f]{8}\.tmp$/.test(name)) continue;
    await fs.rm(path.join(stateDir(manifestDir), name), { force: true });
    faultPoint(`sweep ${name}`);
  }
}

/** After destroy: drop the state file, and the folder when nothing else is in it. */
export async function deleteState(manifestDir: string): Promise<void> {
  await fs.rm(statePath(manifestDir), { force: true });
  await removeJournal(stateDir(manifestDir));
  faultPoint('remove state.json');
  await fs.rmdir(stateDir(manifestDir)).catch(() => undefined);
}
