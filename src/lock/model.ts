/**
 * An environment's lock as envbuild holds it in memory: what PEP 751 records (`[[packages]]`)
 * plus what it has no field for (`[tool.envbuild]`: the interpreter, the isolation, the
 * resolved allowlist, the digest of the manifest inputs). Paths are as written in the file:
 * relative to the manifest directory (POSIX separators), or absolute only for paths that are
 * the same on every machine (`/usr/lib/python3/dist-packages`).
 */

/** Where a locked package comes from: exactly one PEP 751 source kind, or a bare pin. */
export type LockSource =
  | { readonly kind: 'wheel'; readonly name: string; readonly url?: string; readonly path?: string; readonly sha256: string }
  | { readonly kind: 'sdist'; readonly name: string; readonly url?: string; readonly path?: string; readonly sha256: string }
  | { readonly kind: 'archive'; readonly url?: string; readonly path?: string; readonly sha256: string }
  | { readonly kind: 'directory'; readonly path: string; readonly editable: boolean }
  /** The fallback for pips without `--report`: the version pip installed, no file, no hash. */
  | { readonly kind: 'pinned' };

export interface LockPackage {
  readonly name: string;
  /** Absent for a source tree (`directory`): PEP 751 forbids a version it cannot guarantee. */
  readonly version?: string;
  readonly marker?: string;
  readonly requiresPython?: string;
  /** Canonical names of the locked packages it depends on. */
  readonly dependencies: readonly string[];
  readonly source: LockSource;
  /** The parts of the environment that install it (envbuild's, under `[packages.tool.envbuild]`). */
  readonly parts: readonly string[];
  /** Named by a part's requirements (not only a dependency). */
  readonly requested: boolean;
}

export interface LockInterpreter {
  readonly implementation: string;
  /** Exact: `3.11.2`. */
  readonly version: string;
  /** `cpython-311-x86_64-linux-gnu`, or null (Python 2). */
  readonly soabi: string | null;
  /** `sysconfig.get_platform()`: `linux-x86_64`. */
  readonly platform: string;
  /** The most specific wheel tag the interpreter accepts (`cp311-cp311-linux_x86_64`). */
  readonly tag: string;
  /** Only when absolute on every machine (`/usr/bin/python3.11`); a pyenv path is not. */
  readonly executable?: string;
}

export interface LockGlobal {
  readonly name: string;
  readonly version: string;
  readonly location: string;
  /** Why it is in the allowlist: `allowed (env.yaml:7)`, `dependency of requests (charset-normalizer<4,>=2)`. */
  readonly reason: string;
}

/** A locked package as recipes see it: local paths absolute (the file keeps them relative). */
export type LockedPackage = Omit<LockPackage, 'parts'>;

/** An environment's lock after the lock stage of a command: what to install, what changes, what is wrong. */
export interface EnvironmentLockStatus {
  /** Absolute path of the lock file. */
  readonly file: string;
  readonly lock: EnvironmentLock | null;
  readonly text: string | null;
  /** The file is missing or its content changes. */
  readonly write: boolean;
  /** What changes against the lock on disk: `+ attrs 23.2.0`, `~ idna 3.6 → 3.7`, `- six 1.16.0`. */
  readonly changes: readonly string[];
  /** Why the lock cannot be used as it is (refused by --locked / --frozen, reported by check). */
  readonly problems: readonly string[];
  /** The packages locked for each part, absolute; a part missing here installs unlocked. */
  readonly byPart: ReadonlyMap<string, readonly LockedPackage[]>;
  /** For a part resolvable only by installing (old pips): record what it installed. */
  pin(part: string, packages: readonly LockedPackage[]): Promise<void>;
}

export interface EnvironmentLock {
  readonly environment: string;
  /** `sha256:<hex>` of the manifest inputs the lock was made from. */
  readonly inputs: string;
  readonly interpreter: LockInterpreter;
  readonly isolation: string;
  readonly layout: 'venv' | 'classic';
  readonly allowlist: readonly LockGlobal[];
  /** How the packages were found: `pip 23.0.1 --report`, or the pinned fallback with its reason. */
  readonly resolver: string;
  readonly packages: readonly LockPackage[];
  /** In memory only: parts that are pinned after they install (pip without --report). */
  readonly pendingParts?: readonly string[];
}

/** PEP 503 normalisation, as pip and PEP 751 compare names. */
export function canonical(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export function lockFileName(environment: string): string {
  return `pylock.${environment}.toml`;
}
