import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { faultPoint } from '../fault-injection.js';
import { ensureKey, keyPath, macMatches, macOf, readKey } from './key.js';
import { emptyState, STATE_VERSION, type EnvironmentState, type LoadedState, type StateFile } from './types.js';
import { checkStateOnDisk, isInside, parseState } from './validate-state.js';
import { journalFile, removeJournal, replayJournal } from './journal.js';

export const STATE_DIR = '.envbuild';
/** Where version 1 kept the one state of every manifest in a directory. */
export const LEGACY_STATE = 'state.json';

export function stateDir(manifestDir: string): string {
  return path.join(manifestDir, STATE_DIR);
}

/** One state per manifest: `.envbuild/<manifest file name>.state.json` beside it. */
export function statePath(manifestFile: string): string {
  return path.join(stateDir(path.dirname(manifestFile)), `${path.basename(manifestFile)}.state.json`);
}

/** The manifest file names with a state in `manifestDir` (other than `except`). */
export async function otherStates(manifestFile: string): Promise<string[]> {
  const names = await fs.readdir(stateDir(path.dirname(manifestFile))).catch(() => [] as string[]);
  const own = path.basename(statePath(manifestFile));
  return names.filter((n) => n.endsWith('.state.json') && n !== own && !n.includes('.envbuild-')).map((n) => n.slice(0, -'.state.json'.length));
}

/**
 * Reads the manifest's state. A missing one is empty; a version-1 `.envbuild/state.json` is
 * taken over when `belongs` says its environments are this manifest's. The MAC decides trust.
 */
export async function readState(
  manifestFile: string,
  writtenBy: string,
  belongs: (s: StateFile) => boolean = () => true,
  /** The user's key when the caller has read it already (null: there is none). */
  key?: Buffer | null,
): Promise<LoadedState> {
  const manifestDir = path.dirname(manifestFile);
  await refuseLinkedStateDir(manifestDir);
  const file = statePath(manifestFile);
  const text = await readIfPresent(file);
  if (text !== null) {
    const state = parseState(text, file, manifestDir);
    await checkStateOnDisk(state, file, manifestDir);
    const verified = await verify(text, key);
    const signed = verified !== null;
    const notes = signed ? [] : [unsignedNote(file)];
    if (signed && state.project !== undefined && state.project !== manifestDir) {
      notes.push(`the project moved from ${state.project}: its environments are rebuilt in place, because a virtual environment records its own path`);
    }
    // What changed since the file was written (see journal.ts).
    const replayed = await replayJournal(state, verified, file, manifestDir);
    const body = signed && replayed.journal === undefined ? bodyOf(text) : undefined;
    return {
      state: replayed.state,
      trust: signed ? 'signed' : 'unsigned',
      file,
      notes: [...notes, ...replayed.notes],
      ...(body !== undefined ? { body } : {}),
      ...(verified ? { mac: verified.mac } : {}),
      ...(replayed.journal !== undefined ? { journal: replayed.journal } : {}),
    };
  }
  const orphan = await replayJournal(emptyState(writtenBy), undefined, file, manifestDir);
  const leftover = orphan.journal !== undefined ? { journal: orphan.journal } : {};
  const legacyFile = path.join(stateDir(manifestDir), LEGACY_STATE);
  const legacyText = await readIfPresent(legacyFile);
  if (legacyText === null) return { state: emptyState(writtenBy), trust: 'none', file, notes: [], ...leftover };
  const legacy = parseState(legacyText, legacyFile, manifestDir);
  await checkStateOnDisk(legacy, legacyFile, manifestDir);
  if (!belongs(legacy)) {
    return {
      state: emptyState(writtenBy),
      trust: 'none',
      file,
      ...leftover,
      notes: [`${legacyFile} (from an earlier envbuild) records environments this manifest does not declare (${Object.keys(legacy.environments).sort().join(', ')}): left for the manifest it belongs to`],
    };
  }
  return {
    state: legacy,
    trust: 'unsigned',
    file,
    ...leftover,
    migratedFrom: legacyFile,
    notes: [`${legacyFile} from an earlier envbuild is taken over as ${path.basename(file)}; ${UNSIGNED_CONSEQUENCE}`],
  };
}

const UNSIGNED_CONSEQUENCE =
  'it is not signed, so no recipe, removal command or pip it names is run: parts it records that the manifest no longer declares are removed by deleting only the files they recorded (if unchanged); the next apply records and signs it';

function unsignedNote(file: string): string {
  return `${file} is not signed by this user's key (${keyPath()}): it was copied, edited, or written by another user or machine; ${UNSIGNED_CONSEQUENCE}. If you did not expect this, inspect the file before applying`;
}

async function readIfPresent(file: string): Promise<string | null> {
  try {
    // Synchronous: at 1,000 environments the state is megabytes, and Node's promise-based
    // readFile decodes it in chunks through a StringDecoder, several times slower.
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') {
      throw new UserError('ESTATE_CORRUPT', `refusing to use ${file}: it is a directory`, { hint: 'nothing was changed; move the directory away (envbuild never deletes what it did not create), then run again' });
    }
    throw e;
  }
}

/** The file's MAC, and the key it verifies with, when it verifies with this user's key; else null. */
async function verify(text: string, known?: Buffer | null): Promise<{ mac: string; key: Buffer } | null> {
  const key = known === undefined ? await readKey() : known;
  if (!key) return null;
  // The file as writeState leaves it: the signed body with the MAC as its last member. Its
  // body is then the text without that member, and checking it costs one HMAC instead of
  // parsing and re-serialising megabytes at 1,000 environments. Otherwise, the general way.
  const body = bodyOf(text);
  if (body !== undefined) {
    const mac = MAC_TAIL.exec(text.slice(-MAC_TAIL_LENGTH))![1]!;
    return macMatches(key, body, mac) ? { mac, key } : null;
  }
  const { mac, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return typeof mac === 'string' && macMatches(key, JSON.stringify(rest, null, 2), mac) ? { mac, key } : null;
}

/** The signed body of a state file that ends as writeState ends it, else undefined. */
function bodyOf(text: string): string | undefined {
  return MAC_TAIL.test(text.slice(-MAC_TAIL_LENGTH)) ? `${text.slice(0, -MAC_TAIL_LENGTH)}\n}` : undefined;
}

/** `,\n  "mac": "<64 hex>"\n}\n`: how writeState ends a state file. */
const MAC_TAIL = /^,\n {2}"mac": "([0-9a-f]{64})"\n\}\n$/;
const MAC_TAIL_LENGTH = ',\n  "mac": ""\n}\n'.length + 64;

/** `.envbuild` must be a directory of the project, not a link that would carry writes elsewhere. */
export async function refuseLinkedStateDir(manifestDir: string): Promise<void> {
  const dir = stateDir(manifestDir);
  const st = await fs.lstat(dir).catch(() => null);
  if (st && !st.isDirectory()) {
    const what = st.isSymbolicLink() ? `a symbolic link to ${await fs.readlink(dir)}` : 'not a directory';
    throw new UserError('EPATH', `refusing to use ${dir}: it is ${what}`, {
      hint: 'envbuild keeps its state in a directory of the project; remove the link (or file) and run again',
    });
  }
}

/**
 * The state as written to disk, without its MAC: paths inside the project relative to the
 * manifest's directory (a moved project is recognised), others absolute; site-packages
 * relative to its environment.
 */
export function stateBody(state: StateFile, manifestFile: string): string {
  const dir = path.dirname(manifestFile);
  const environments = Object.fromEntries(Object.entries(state.environments).map(([name, env]) => [name, environmentBody(env, dir)]));
  const body = {
    format: state.format,
    version: STATE_VERSION,
    writtenBy: state.writtenBy,
    manifest: path.basename(manifestFile),
    project: dir,
    environments,
    ...(state.creating && Object.keys(state.creating).length > 0 ? { creating: state.creating } : {}),
  };
  return JSON.stringify(body, null, 2);
}

/** One environment as a state file (or a journal line) holds it, paths written as stateBody says. */
export function environmentBody(env: EnvironmentState, manifestDir: string): Record<string, unknown> {
  const rel = (p: string) => (isInside(manifestDir, p) ? path.relative(manifestDir, p) : p);
  return {
    ...env,
    path: rel(env.path),
    ...(env.parents !== undefined ? { parents: env.parents.map(rel) } : {}),
    ...(env.sitePackages !== undefined ? { sitePackages: path.relative(env.path, env.sitePackages) } : {}),
    parts: Object.fromEntries(Object.entries(env.parts).map(([p, r]) => [p, { ...r, created: r.created.map((c) => ({ ...c, path: rel(c.path) })) }])),
  };
}

/**
 * Writes the state, signed, through a temporary file (fsync'd, mode 0600) and rename, so an
 * interruption leaves either the old or the new file, never a torn one; a temporary left by a
 * killed run is removed by `sweepStateTemporaries`. Returns whether the bytes changed: an
 * unchanged state is not rewritten, so a no-op apply touches no file.
 */
export async function writeState(manifestFile: string, state: StateFile, previousBody?: string): Promise<boolean> {
  return (await writeSignedState(manifestFile, state, previousBody)) !== null;
}

/** writeState, returning what a journal appended to the file chains from (its MAC) and its size; null when unchanged. */
export async function writeSignedState(manifestFile: string, state: StateFile, previousBody?: string): Promise<{ mac: string; bytes: number } | null> {
  const body = stateBody(state, manifestFile);
  if (body === previousBody) return null;
  const manifestDir = path.dirname(manifestFile);
  const dir = stateDir(manifestDir);
  await refuseLinkedStateDir(manifestDir);
  if (await fs.mkdir(dir, { recursive: true, mode: 0o700 })) faultPoint(`mkdir ${dir}`);
  const key = await ensureKey();
  const mac = macOf(key, body);
  const text = `${body.slice(0, -2)},\n  "mac": "${mac}"\n}\n`;
  const file = statePath(manifestFile);
  const tmp = `${file}.envbuild-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    faultPoint(`temporary of ${path.basename(file)}`);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  faultPoint(`write ${path.basename(file)}`);
  // The rename is durable only once the directory is synced.
  const dirHandle = await fs.open(dir, 'r');
  await dirHandle.sync().finally(() => dirHandle.close());
  return { mac, bytes: Buffer.byteLength(text) };
}

/** Once the migrated state is written, the version-1 file it came from goes. */
export async function removeLegacyState(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  faultPoint(`remove ${path.basename(file)}`);
}

/** Removes temporaries of state writes killed before their rename. */
export async function sweepStateTemporaries(manifestDir: string): Promise<void> {
  const names = await fs.readdir(stateDir(manifestDir)).catch(() => []);
  for (const name of names) {
    if (!/^[^/]*state\.json\.envbuild-[0-9a-f]{8}\.tmp$/.test(name)) continue;
    await fs.rm(path.join(stateDir(manifestDir), name), { force: true });
    faultPoint(`sweep ${name}`);
  }
}

/**
 * After destroy: drop the state file, then its journal (a journal left alone by a kill in
 * between is believed by nothing: see journal.ts), and the folder when nothing else is in it.
 */
export async function deleteState(manifestFile: string, legacy?: string): Promise<void> {
  await fs.rm(statePath(manifestFile), { force: true });
  faultPoint(`remove ${path.basename(statePath(manifestFile))}`);
  await removeJournal(journalFile(statePath(manifestFile)));
  if (legacy) await removeLegacyState(legacy);
}

/** Removes `.envbuild/` when nothing is left in it (no state, no lock). */
export async function removeStateDirIfEmpty(manifestDir: string): Promise<void> {
  await fs.rmdir(stateDir(manifestDir)).catch(() => undefined);
}
