import path from 'node:path';
import { ensureKey } from './key.js';
import { appendJournal, journalFile, journalLine, removeJournal } from './journal.js';
import { deleteState, environmentBody, refuseLinkedStateDir, statePath, writeSignedState } from './store.js';
import type { StateFile } from './types.js';

/** The state as a run found it. */
export interface StateOnDisk {
  readonly state: StateFile;
  /** The signed body as read ('' when not signed): a whole write of the same bytes is skipped. */
  readonly body: string;
  /** The state file's MAC, when it is signed: lines appended to it chain from it. */
  readonly mac?: string;
  /** A journal was found beside it: the first write folds it into a new state file. */
  readonly journal?: boolean;
}

/**
 * The journal is folded into the state file once it holds this many times the file's bytes (and
 * at least MIN_JOURNAL): replaying it stays cheap, and the rewrites, growing geometrically with
 * the state, cost O(N) over a run.
 */
const GROWTH = 4;
const MIN_JOURNAL = 1 << 20;

/**
 * Writes a run's state as it changes, in O(what changed): a line in the journal per save (see
 * journal.ts) over a signed state file, and the whole state file, signed, when there is none
 * to extend (the first write of a state not signed, migrated or moved, or one found with a
 * journal), when the journal has grown large, and at the end of the run (`finish`), so a
 * finished run leaves one state file, byte for byte as writeState writes it.
 *
 * Saves arrive one at a time (the caller queues them); each is durable before it returns.
 */
export class StateWriter {
  private readonly manifestDir: string;
  private readonly journal: string;
  /** The MAC the next line follows; undefined: the next write is a whole state file. */
  private chain: string | undefined;
  /** What a whole write compares with, to skip writing the same bytes. */
  private body: string;
  private baseBytes: number;
  /** Bytes this writer appended since the last whole write; 0: no journal of ours on disk. */
  private journalBytes = 0;
  /** The state of the last whole write (or as read), and each environment's text appended since. */
  private durable: StateFile;
  private readonly appended = new Map<string, string>();
  private creating: string;
  private writtenBy: string;
  private key: Buffer | undefined;

  constructor(private readonly manifestFile: string, start: StateOnDisk) {
    this.manifestDir = path.dirname(manifestFile);
    this.journal = journalFile(statePath(manifestFile));
    // A journal extends only a signed file that says where it is as this run would write it:
    // a moved project or a renamed manifest is recorded by writing the whole file once.
    const extendable = start.state.project === this.manifestDir && start.state.manifest === path.basename(manifestFile);
    this.chain = extendable && !start.journal ? start.mac : undefined;
    this.body = start.journal ? '' : start.body;
    this.baseBytes = start.body.length;
    this.durable = start.state;
    this.creating = creatingText(start.state);
    this.writtenBy = start.state.writtenBy;
  }

  /**
   * Records `state`, in which only the environments named in `changed` (and `creating` and
   * `writtenBy`) may differ from what was last written. Returns whether anything was written.
   */
  async write(state: StateFile, changed: Iterable<string>): Promise<boolean> {
    if (this.chain === undefined) return this.whole(state, this.body);
    const environments = new Map<string, string>();
    for (const name of new Set(changed)) {
      const text = this.textOf(state, name);
      if (text !== (this.appended.get(name) ?? this.textOf(this.durable, name))) environments.set(name, text);
    }
    const creating = creatingText(state);
    if (environments.size === 0 && creating === this.creating && state.writtenBy === this.writtenBy) return false;
    this.key ??= await ensureKey();
    await refuseLinkedStateDir(this.manifestDir);
    const { line, mac } = journalLine(this.key, this.chain, { writtenBy: state.writtenBy, environments, ...(creating !== this.creating ? { creating } : {}) });
    try {
      await appendJournal(this.journal, line, this.journalBytes === 0);
    } catch (e) {
      // A journal this run did not start is in the way: the whole state, written, replaces it.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return this.whole(state);
    }
    this.chain = mac;
    this.journalBytes += Buffer.byteLength(line);
    for (const [name, text] of environments) this.appended.set(name, text);
    this.creating = creating;
    this.writtenBy = state.writtenBy;
    if (this.journalBytes > Math.max(MIN_JOURNAL, GROWTH * this.baseBytes)) await this.whole(state);
    return true;
  }

  /** At the end of a run: the journal folded into the state file. Returns whether anything was written. */
  async finish(state: StateFile): Promise<boolean> {
    return this.journalBytes > 0 ? this.whole(state) : false;
  }

  /** Every environment gone: the state file and its journal are removed (and a version-1 file it came from). */
  async remove(legacy?: string): Promise<void> {
    await deleteState(this.manifestFile, legacy);
    this.chain = undefined;
    this.body = '';
    this.baseBytes = 0;
    this.journalBytes = 0;
  }

  /**
   * The whole state, signed, through a temporary and a rename; then the journal goes. A kill
   * between the two leaves a journal that follows the old file's MAC: stale, never replayed.
   */
  private async whole(state: StateFile, previousBody?: string): Promise<boolean> {
    const written = await writeSignedState(this.manifestFile, state, previousBody);
    if (written === null) return false;
    await removeJournal(this.journal);
    this.chain = written.mac;
    this.body = '';
    this.baseBytes = written.bytes;
    this.journalBytes = 0;
    this.durable = state;
    this.appended.clear();
    this.creating = creatingText(state);
    this.writtenBy = state.writtenBy;
    return true;
  }

  /** An environment's record as a line holds it ('null': none). */
  private textOf(state: StateFile, name: string): string {
    const env = state.environments[name];
    return env === undefined ? 'null' : JSON.stringify(environmentBody(env, this.manifestDir));
  }
}

function creatingText(state: StateFile): string {
  return JSON.stringify(state.creating ?? {});
}
