/**
 * The installer's public types, in one module that imports nothing, so the packages recipe,
 * the lock code and tests can depend on them without pulling in the installer itself.
 *
 * ```ts
 * import { installWheels } from '../install/index.js';
 * const { installed } = await installWheels(target, [{ path: '/wh/attrs-23.2.0-py3-none-any.whl', sha256, requested: true }]);
 * ```
 */

/**
 * Where a wheel's files go. Every directory is absolute and inside `prefix`, the environment's
 * root: nothing is ever written outside it.
 */
export interface InstallTarget {
  /** The environment's root (`sys.prefix` inside it); `<name>.data/data/` maps here. */
  readonly prefix: string;
  /** The environment's interpreter, written into script shebangs (`<prefix>/bin/python`). */
  readonly python: string;
  readonly purelib: string;
  readonly platlib: string;
  readonly scripts: string;
  /**
   * Base of C headers; each distribution's go into `<headers>/<name>` as pip's venv scheme
   * does (`<prefix>/include/site/python3.11/<name>`).
   */
  readonly headers: string;
  /** `<name>.data/data/` maps here; `prefix` for every scheme pip and installer use. */
  readonly data: string;
  /** Tags the interpreter accepts, most preferred first (`supportedTags(info)`). */
  readonly tags: readonly string[];
  /** `major.minor` of the interpreter: names pip's versioned scripts (`pip3.11`). */
  readonly pythonVersion: string;
}

/** One wheel to install: a local file or a URL, with the hash the lock pins. */
export interface WheelRequest {
  /** A local wheel file (absolute, or relative to the working directory). */
  readonly path?: string;
  /** `file://`, `http://` or `https://`. Credentials in it are never shown or recorded. */
  readonly url?: string;
  /** The wheel's sha256 (hex). Required for http(s); checked when given for local files. */
  readonly sha256?: string;
  /** A top-level requirement: writes `REQUESTED`, as pip does for what the user asked for. */
  readonly requested?: boolean;
  /**
   * Write PEP 610 `direct_url.json`: true for a wheel named by path or URL rather than found on
   * an index or in find-links (pip does the same).
   */
  readonly directUrl?: boolean;
}

/** How files reach an environment from the cache. `auto` tries clone, then hardlink, then copy. */
export type LinkMode = 'auto' | 'clone' | 'hardlink' | 'copy';

/** A progress event, e.g. to draw a bar for a large download. */
export interface InstallProgress {
  readonly kind: 'download' | 'unpack' | 'install';
  /** The wheel's file name. */
  readonly wheel: string;
  readonly bytes?: number;
  readonly totalBytes?: number;
}

export interface InstallOptions {
  /** The cache root (default `defaultCacheDir(process.env)`); wheels go in `<cacheDir>/wheels/`. */
  readonly cacheDir?: string;
  /** Default `auto`, or `$ENVBUILD_LINK_MODE`. */
  readonly linkMode?: LinkMode;
  /**
   * Install even when a file's hash or size differs from the wheel's RECORD (some wheels ship
   * wrong RECORDs). Off by default: such a wheel is refused, naming the file.
   */
  readonly allowRecordMismatch?: boolean;
  /** Environment variables for credentials and settings (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onProgress?: (event: InstallProgress) => void;
  readonly signal?: AbortSignal;
  /** HTTP retries (default 3) and the first backoff in ms (default 500, doubling). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

/** What one wheel installed. */
export interface InstalledDistribution {
  /** As METADATA spells it. */
  readonly name: string;
  readonly version: string;
  /** The absolute `.dist-info` directory. */
  readonly distInfo: string;
  /** Every file written (absolute), RECORD included. */
  readonly files: readonly string[];
  /** How the wheel's files reached the environment. */
  readonly linkMode: Exclude<LinkMode, 'auto'>;
  /** The wheel's sha256 (hex), its key in the cache. */
  readonly sha256: string;
}

export interface InstallResult {
  readonly installed: readonly InstalledDistribution[];
  /** Distributions replaced by another version of the same name (uninstalled first). */
  readonly replaced: readonly { readonly name: string; readonly version: string }[];
}

export interface UninstallResult {
  readonly name: string;
  readonly version: string;
  readonly removed: readonly string[];
}
