import fs from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../fault-injection.js';
import type { EnvironmentState, StateFile } from './types.js';

/**
 * The state written in O(what changed). During an apply each environment's new record (or its
 * removal) is appended to `.envbuild/state.journal` as one JSON line — a few kB, however many
 * environments the project has — and at the end the state is compacted into state.json (one
 * atomic write) and the journal removed. Rewriting all of state.json after every step made a
 * 1,000-environment apply quadratic (3.3 MB serialised and fsync'd 2,000 times).
 *
 * Kill-safety: an appended line is in the file once write() returns, so a killed run loses at
 * most the step in flight, as before. The reader replays the journal over state.json (a torn
 * last line — the write the kill interrupted — is ignored); the next apply compacts it under
 * the lock before doing anything else. Compaction writes state.json first and removes the
 * journal after, so a kill between the two only replays records state.json already holds.
 * Durability against power loss comes with state.json's fsync at compaction; lines lost to a
 * power cut leave environments on disk unrecorded, which the planner adopts when they are
 * exactly as the manifest describes, like any apply interrupted before it recorded.
 */
export const JOURNAL_NAME = 'state.journal';

interface JournalLine {
  readonly environment: string;
  readonly state: EnvironmentState | null;
}

/**
 * The state with the journal's records applied, or null when there is no journal. Records are
 * validated by the caller with the rest of the state (the result is untrusted like state.json).
 */
export function replayJournal(base: StateFile, text: string): StateFile {
  const environments: Record<string, EnvironmentState> = { ...base.environments };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let record: JournalLine;
    try {
      record = JSON.parse(line) as JournalLine;
    } catch (e) {
      // Only the last line can be torn (by a kill during its write); anything else is damage.
      if (i === lines.length - 1) return;
      throw new Error(`line ${i + 1}: ${(e as Error).message}`);
    }
    if (typeof record !== 'object' || record === null || typeof record.environment !== 'string' || typeof record.state !== 'object') {
      throw new Error(`line ${i + 1}: not a state record`);
    }
    if (record.state === null) delete environments[record.environment];
    else environments[record.environment] = record.state;
  });
  return { ...base, environments };
}

export async function readJournal(stateDir: string): Promise<string | null> {
  try {
    return await fs.readFile(path.join(stateDir, JOURNAL_NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function removeJournal(stateDir: string): Promise<void> {
  try {
    await fs.unlink(path.join(stateDir, JOURNAL_NAME));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  faultPoint('remove state.journal');
}

/**
 * Appends records one at a time (callers may run concurrently; the writes are serialised) and
 * keeps the state they add up to, for `compact` at the end.
 */
export class StateJournal {
  private handle: fs.FileHandle | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly environments: Map<string, EnvironmentState>;
  private changed = false;

  constructor(
    private readonly stateDir: string,
    private base: StateFile,
  ) {
    this.environments = new Map(Object.entries(base.environments));
  }

  get state(): StateFile {
    return { ...this.base, environments: Object.fromEntries(this.environments) };
  }

  get(name: string): EnvironmentState | undefined {
    return this.environments.get(name);
  }

  get size(): number {
    return this.environments.size;
  }

  record(name: string, state: EnvironmentState | null): Promise<void> {
    if (state) this.environments.set(name, state);
    else this.environments.delete(name);
    this.changed = true;
    const line = `${JSON.stringify({ environment: name, state } satisfies JournalLine)}\n`;
    const next = this.queue.then(() => this.append(line));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async append(line: string): Promise<void> {
    if (!this.handle) {
      if (await fs.mkdir(this.stateDir, { recursive: true })) faultPoint(`mkdir ${this.stateDir}`);
      this.handle = await fs.open(path.join(this.stateDir, JOURNAL_NAME), 'a', 0o644);
    }
    // One write of the whole line: a kill can only tear the last line, which replay ignores.
    await this.handle.write(line);
    faultPoint('append state.journal');
  }

  /**
   * Waits for the appends, then hands the final state to `write` (which writes state.json
   * atomically, or deletes it) and removes the journal. Returns whether anything was recorded.
   */
  async compact(write: (state: StateFile) => Promise<void>): Promise<boolean> {
    await this.queue;
    await this.handle?.close();
    this.handle = null;
    if (!this.changed) return false;
    await write(this.state);
    await removeJournal(this.stateDir);
    return true;
  }
}
