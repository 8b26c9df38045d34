import fs from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { emptyState, type StateFile } from './types.js';
import { parseState } from './validate-state.js';

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
  return parseState(text, file);
}

export function serializeState(state: StateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * Writes the state through a temporary file and rename (write-file-atomic, fsync'd), so an
 * interruption leaves either the old or the new file, never a torn one. Returns whether the
 * bytes changed: an unchanged state is not rewritten, so a no-op apply touches no file.
 */
export async function writeState(manifestDir: string, state: StateFile, previousText?: string): Promise<boolean> {
  const text = serializeState(state);
  if (text === previousText) return false;
  await fs.mkdir(stateDir(manifestDir), { recursive: true });
  await writeFileAtomic(statePath(manifestDir), text, { fsync: true });
  return true;
}

/** After destroy: drop the state file, and the folder when nothing else is in it. */
export async function deleteState(manifestDir: string): Promise<void> {
  await fs.rm(statePath(manifestDir), { force: true });
  await fs.rmdir(stateDir(manifestDir)).catch(() => undefined);
}
