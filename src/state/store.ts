import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../fault-injection.js';
import { emptyState, type StateFile } from './types.js';
import { checkStateOnDisk, parseState } from './validate-state.js';

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
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(writtenBy);
    throw e;
  }
  const state = parseState(text, file);
  await checkStateOnDisk(state, file);
  return state;
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
  faultPoint('remove state.json');
  await fs.rmdir(stateDir(manifestDir)).catch(() => undefined);
}
