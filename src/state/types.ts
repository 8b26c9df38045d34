import type { EntryDigest } from '../layout/tree.js';
import type { PartRecord } from '../recipe-api/api.js';

export const STATE_FORMAT = 'envbuild-state';
export const STATE_VERSION = 1;

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
}

export interface EnvironmentState {
  /** Absolute path of the environment root. */
  readonly path: string;
  readonly inputs: EnvironmentInputs;
  /** Every path envbuild created in the environment, in creation order (parents first). */
  readonly entries: readonly RecordedEntry[];
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
  readonly environments: Readonly<Record<string, EnvironmentState>>;
}

export function emptyState(writtenBy: string): StateFile {
  return { format: STATE_FORMAT, version: STATE_VERSION, writtenBy, environments: {} };
}
