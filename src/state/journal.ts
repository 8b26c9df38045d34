/**
 * The state journal: what changed since the state file was written, one signed line per save,
 * appended beside it (`.envbuild/<manifest>.state.journal`). Writing the whole state after
 * every step made an apply of N environments O(N²) (3.3 MB re-serialised, signed and synced
 * per environment at 1,000); a line holds only the environments that changed, so a save costs
 * O(what changed). The state writer (state-writer.ts) folds the journal back into the state
 * file at the end of a run, or when it grows large.
 *
 * A line is `<mac> <json>\n`. The JSON names the MAC it follows (`prev`: the previous line's,
 * or the state file's for the first line) and holds each changed environment's whole record
 * (null: removed), the whole `creating` map when it changed, and `writtenBy`. The MAC is keyed
 * with the user's state key, so a line is believed only as envbuild's own, in its place:
 * - a torn last line (a kill mid-append: no newline yet) is dropped, silently;
 * - a line whose MAC does not verify, or that does not follow the line before (reordered,
 *   copied from elsewhere), ends the replay there: it and what follows are ignored, with a note;
 * - a journal whose first line follows another state file is stale (a compaction's rename
 *   landed and the kill came before the journal was removed: the file already holds it all),
 *   and is ignored;
 * - a journal beside a state file that is not signed is ignored: the lines would extend a
 *   record nobody vouches for. Ignoring a record never puts files at risk: what the state does
 *   not record, envbuild treats as not its own and refuses to touch.
 * A verified line is still validated like a state file's environment (names, paths inside the
 * environment or the project, symbolic links) before it is believed; one that fails is refused
 * as the state file would be, because a signed line can only be wrong if it was moved here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { faultPoint } from '../fault-injection.js';
import { macMatches, macOf } from './key.js';
import type { EnvironmentState, StateFile } from './types.js';
import { checkCreating, checkEnvironment, checkStateOnDisk, isRecord } from './validate-state.js';

/** `env.yaml.state.json` → `env.yaml.state.journal`, in the same directory. */
export function journalFile(stateFile: string): string {
  return stateFile.replace(/\.json$/, '.journal');
}

/** One save: the environments that changed (null: removed), `creating` when it changed, and who wrote it. */
export interface JournalChange {
  readonly writtenBy: string;
  /** Environment name → its record as a state file holds it (see environmentBody), serialised; 'null' when removed. */
  readonly environments: ReadonlyMap<string, string>;
  /** The whole `creating` map, serialised, when it changed. */
  readonly creating?: string;
}

/** The MAC of a line is over this prefix and its JSON, so a line can never pass for a state file's body. */
const DOMAIN = 'envbuild-journal\n';
const LINE = /^([0-9a-f]{64}) (\{.*\})$/;

/** The line recording `change` after the line (or state file) whose MAC is `prev`, and its own MAC. */
export function journalLine(key: Buffer, prev: string, change: JournalChange): { line: string; mac: string } {
  const environments = [...change.environments].map(([name, text]) => `${JSON.stringify(name)}:${text}`).join(',');
  const json = `{"prev":"${prev}","writtenBy":${JSON.stringify(change.writtenBy)},"environments":{${environments}}${change.creating !== undefined ? `,"creating":${change.creating}` : ''}}`;
  const mac = macOf(key, DOMAIN + json);
  return { line: `${mac} ${json}\n`, mac };
}

/**
 * Appends a line, synced before it returns: the step it records is durable before the next
 * starts. A new journal is created exclusively (never appended to one this run did not start)
 * and its directory synced, so the file survives a power cut along with its lines.
 */
export async function appendJournal(file: string, line: string, created: boolean): Promise<void> {
  const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const handle = await fs.open(file, O_WRONLY | O_APPEND | O_NOFOLLOW | (created ? O_CREAT | O_EXCL : 0), 0o600);
  try {
    await handle.write(line);
    await handle.sync();
  } finally {
    await handle.close();
  }
  faultPoint(`append ${path.basename(file)}`);
  if (created) {
    const dir = await fs.open(path.dirname(file), 'r');
    await dir.sync().finally(() => dir.close());
  }
}

/** Removes the journal, if there is one. */
export async function removeJournal(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  faultPoint(`remove ${path.basename(file)}`);
}

export interface Replayed {
  readonly state: StateFile;
  readonly notes: readonly string[];
  /** The journal's path when one is there (replayed or ignored): the next write folds it in or removes it. */
  readonly journal?: string;
}

/**
 * The state with the journal beside `stateFile` replayed onto it. `signed` is the state file's
 * MAC and the key it verified with; null when it did not verify, undefined when there is no
 * state file (a journal left by a destroy killed between removing the two): only a signed
 * state's journal is believed.
 */
export async function replayJournal(
  state: StateFile,
  signed: { readonly mac: string; readonly key: Buffer } | null | undefined,
  stateFile: string,
  manifestDir: string,
): Promise<Replayed> {
  const file = journalFile(stateFile);
  const text = await readJournal(file);
  if (text === null) return { state, notes: [] };
  if (typeof text !== 'string') return { state, notes: [`${file} is ignored: it is ${text.not}`], journal: file };
  if (signed === null || signed === undefined) {
    return { state, notes: signed === null && text !== '' ? [`${file} is ignored: the changes it records extend a state that is not signed`] : [], journal: file };
  }
  const { mac, key } = signed;
  const lines = text.split('\n');
  // The last piece is '' after a complete line; anything else is a line torn by a kill.
  lines.pop();
  let prev = mac;
  const environments: Record<string, EnvironmentState> = { ...state.environments };
  const touched: Record<string, EnvironmentState> = {};
  let creating = state.creating;
  let writtenBy = state.writtenBy;
  const notes: string[] = [];
  for (const [i, line] of lines.entries()) {
    const m = LINE.exec(line);
    const json = m?.[2];
    const data = m && macMatches(key, DOMAIN + json!, m[1]!) ? parseLine(json!) : null;
    if (data === null || data.prev !== prev) {
      // The first line verifying but following another state: a journal already folded in.
      const stale = i === 0 && data !== null;
      if (!stale) notes.push(`${file}: line ${i + 1} and after are ignored: ${data === null ? 'not signed by this user\'s key' : 'out of order'}; the changes they record are treated as unknown`);
      break;
    }
    for (const [name, record] of Object.entries(data.environments)) {
      if (record === null) {
        delete environments[name];
        delete touched[name];
      } else {
        const checked = checkEnvironment(file, manifestDir, name, record, true) as unknown as EnvironmentState;
        environments[name] = touched[name] = checked;
      }
    }
    if (data.creating !== undefined) creating = checkCreating(file, data.creating);
    writtenBy = data.writtenBy;
    prev = m![1]!;
  }
  await checkStateOnDisk({ ...state, environments: touched }, file, manifestDir);
  const { creating: _old, ...rest } = state;
  const replayed = { ...rest, writtenBy, environments, ...(creating && Object.keys(creating).length > 0 ? { creating } : {}) };
  return { state: replayed, notes, journal: file };
}

/**
 * The environment roots another manifest's journal records (name → root; null: removed), in
 * order, read only for their paths as that manifest's state file is (see prepare.ts): lines
 * are not verified, since a path wrongly taken as another manifest's only makes this one
 * refuse to build there. Stops at the first line it cannot read.
 */
export async function journalRoots(stateFile: string, manifestDir: string): Promise<Array<[string, string | null]>> {
  const text = await readJournal(journalFile(stateFile)).catch(() => null);
  if (typeof text !== 'string') return [];
  const roots: Array<[string, string | null]> = [];
  for (const line of text.split('\n').slice(0, -1)) {
    const data = parseLine(LINE.exec(line)?.[2] ?? '');
    if (data === null) break;
    try {
      for (const [name, record] of Object.entries(data.environments)) {
        roots.push([name, record === null ? null : (checkEnvironment(stateFile, manifestDir, name, record, true)['path'] as string)]);
      }
    } catch {
      break;
    }
  }
  return roots;
}

interface Line {
  readonly prev: string;
  readonly writtenBy: string;
  readonly environments: Readonly<Record<string, unknown>>;
  readonly creating?: unknown;
}

/** The line's JSON, when it has a line's shape (its records are checked as they are applied). */
function parseLine(json: string): Line | null {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isRecord(data) || typeof data['prev'] !== 'string' || typeof data['writtenBy'] !== 'string' || !isRecord(data['environments'])) return null;
  return data as unknown as Line;
}

/**
 * The journal's text; null when there is none. Opened without following a link and without
 * blocking, so that a link, a FIFO or a device planted in its place is only reported (the next
 * write removes it), never read from or waited on; a directory is refused as a state file is.
 */
async function readJournal(file: string): Promise<string | null | { not: string }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') return { not: 'a symbolic link' };
    throw e;
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      throw new UserError('ESTATE_CORRUPT', `refusing to use ${file}: it is a directory`, { hint: 'nothing was changed; move the directory away (envbuild never deletes what it did not create), then run again' });
    }
    if (!st.isFile()) return { not: 'not a regular file' };
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
