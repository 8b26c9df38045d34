import type { EntryDigest } from '../layout/tree.js';
import type { PartRecord } from '../recipe-api/api.js';

export const STATE_FORMAT = 'envbuild-state';
/**
 * 2: one file per manifest (`.envbuild/<manifest>.state.json`), paths inside the project
 * written relative to the manifest's directory, an `id` per environment (the `envbuild-id`
 * its marker carries) and a MAC. 1: `.envbuild/state.json`, absolute paths; read to migrate.
 */
export const STATE_VERSION = 2;

/**
 * The inputs that define an environment's base. A change to python or layout replaces the
 * environment (its site-packages and ABI depend on them); isolation or prompt only update it.
 */
export interface EnvironmentInputs {
  readonly python: { readonly executable: string; readonly version: string };
  readonly layout: 'venv' | 'classic';
  /** Canonical one-line description: `full`, `system`, `cherry-pick: apt, yaml`. */
  readonly isolation: string;
  readonly prompt: string;
  /** Cherry-pick only: `name==version` of each allowlisted global distribution. */
  readonly globals?: readonly string[];
}

export interface RecordedEntry {
  /** Relative to the environment root, POSIX separators. */
  readonly path: string;
  readonly digest: EntryDigest;
  /**
   * Files only: `inode:size:mtime:ctime` (ns) of the file as envbuild left it, so that a plan
   * can confirm it unchanged with one lstat instead of reading and hashing it. Believed only
   * from a signed state, and only while the disk shows the same fingerprint.
   */
  readonly stat?: string;
}

export interface EnvironmentState {
  /** Absolute path of the environment root (in memory; on disk relative to the manifest when inside it). */
  readonly path: string;
  /**
   * The random id written into the environment's marker (`envbuild-id` in pyvenv.cfg, or
   * envbuild.cfg for the classic layout) when it was created: a directory is removed as this
   * environment only while it carries this id. Absent in states migrated from version 1.
   */
  readonly id?: string;
  /** Directories above the root that envbuild created for it (absolute), removed with it when empty. */
  readonly parents?: readonly string[];
  readonly inputs: EnvironmentInputs;
  /** Every path envbuild created in the environment, in creation order (parents first). */
  readonly entries: readonly RecordedEntry[];
  /** Parts started and not yet recorded (an interrupted run): part → filesystem time it started. */
  readonly pending?: Readonly<Record<string, number>>;
  /** Per-part records, owned by the recipe runner. */
  readonly parts: Readonly<Record<string, PartRecord>>;
  /** Where the environment's site-packages is, for removing parts once its interpreter is gone. */
  readonly sitePackages?: string;
  /** Cherry-pick only: the allowlist as resolved when applied, for `check` to detect drift. */
  readonly allowlist?: unknown;
}

export interface StateFile {
  readonly format: typeof STATE_FORMAT;
  readonly version: typeof STATE_VERSION;
  /** Version of envbuild that last wrote the file, for diagnosing mixed installations. */
  readonly writtenBy: string;
  /** File name of the manifest this state belongs to (one state per manifest). */
  readonly manifest?: string;
  /** The manifest's directory when the state was written: a different one means the project moved. */
  readonly project?: string;
  readonly environments: Readonly<Record<string, EnvironmentState>>;
  /**
   * Environments being built and not yet recorded: name → filesystem time the build started.
   * Directories above the root born since then are the build's own, on a retry too.
   */
  readonly creating?: Readonly<Record<string, number>>;
}

export function emptyState(writtenBy: string): StateFile {
  return { format: STATE_FORMAT, version: STATE_VERSION, writtenBy, environments: {} };
}

/**
 * How far a state file is believed. `signed`: its MAC verifies with this user's key, so it is
 * envbuild's own record on this machine. `unsigned`: no MAC, a MAC that does not verify, or a
 * version-1 file — read for planning, but nothing it names is run (recipe modules, removal
 * commands, pip). `none`: there was no state file.
 */
export type StateTrust = 'signed' | 'unsigned' | 'none';

export interface LoadedState {
  readonly state: StateFile;
  readonly trust: StateTrust;
  /** The file read (or to be written). */
  readonly file: string;
  /** A version-1 `.envbuild/state.json` taken over for this manifest; removed at the first write. */
  readonly migratedFrom?: string;
  /** Facts about the state to show in plan and apply output. */
  readonly notes: readonly string[];
  /** A signed state's body as read (what its MAC covers): what a write compares with to skip an unchanged state. */
  readonly body?: string;
  /** A signed state file's MAC: the journal written next chains from it (see journal.ts). */
  readonly mac?: string;
  /** A journal found beside the state (replayed into `state`, or ignored): the next write folds it in or removes it. */
  readonly journal?: string;
}
