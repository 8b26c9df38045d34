import type { SourceLocation } from '../errors/diagnostic.js';

/** A key path into the manifest document, e.g. `['environments', 'app', 'python']`. */
export type KeyPath = ReadonlyArray<string | number>;

/**
 * Maps key paths back to where they were written. Through `extends` each value keeps the
 * file that holds it. `locate` falls back to the nearest enclosing node that exists, so a
 * missing required key is reported at its parent mapping.
 */
export interface SourceMap {
  locate(path: KeyPath): SourceLocation;
  /** Location of the key itself (not its value), used for unknown-key diagnostics. */
  locateKey(path: KeyPath): SourceLocation;
}

export type IsolationMode = 'full' | 'system' | 'cherry-pick';
export type LayoutRequest = 'auto' | 'venv' | 'classic';
export type DependencyPolicy = 'follow' | 'ignore' | 'error';

/** One allowlist entry of a cherry-pick environment, normalised from its manifest forms. */
export type AllowEntry =
  | { readonly kind: 'dist'; readonly name: string; readonly version?: string; readonly at: SourceLocation }
  | { readonly kind: 'module'; readonly name: string; readonly at: SourceLocation }
  | { readonly kind: 'deb'; readonly name: string; readonly at: SourceLocation }
  | { readonly kind: 'path'; readonly path: string; readonly at: SourceLocation };

export interface IsolationSpec {
  readonly mode: IsolationMode;
  /** Empty unless mode is cherry-pick. */
  readonly allow: readonly AllowEntry[];
  /** Extra global directories to discover packages in, absolute. */
  readonly searchPaths: readonly string[];
  readonly dependencies: DependencyPolicy;
}

/** A part as written: the recipe reference and its options, untouched (recipes validate them). */
export interface PartSpec {
  readonly name: string;
  readonly recipe: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** `timeout:`, in milliseconds: how long its apply may run. Runner-level, not an option. */
  readonly timeoutMs?: number;
  readonly at: SourceLocation;
}

/** One environment after validation and defaults, before interpreters are resolved. */
export interface EnvironmentSpec {
  readonly name: string;
  /** The `python:` request as written: a version range, a command name or an absolute path. */
  readonly python: string;
  /** Absolute path of the environment's root. */
  readonly path: string;
  readonly prompt: string;
  readonly layout: LayoutRequest;
  readonly isolation: IsolationSpec;
  readonly parts: readonly PartSpec[];
  /** Where the environment's own key is written. */
  readonly at: SourceLocation;
}

/** A validated manifest with defaults applied. */
export interface Manifest {
  /** Absolute path of the manifest file. */
  readonly file: string;
  /** Directory holding the manifest: relative paths and `.envbuild/` are resolved against it. */
  readonly dir: string;
  readonly format: 1;
  readonly environments: readonly EnvironmentSpec[];
  readonly source: SourceMap;
  /** Lock files: where (`lock-dir:`, absolute; default the manifest's directory) and whether to write them (`locks:`). */
  readonly locks: { readonly dir: string; readonly write: boolean };
}
