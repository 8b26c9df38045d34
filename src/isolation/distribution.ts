/**
 * What discovery knows about the packages installed in a global site directory. These are
 * observations of disk, not decisions: resolution (resolve-allowlist.ts) turns them into the
 * recorded allowlist.
 */

export type MetadataFormat = 'dist-info' | 'egg-info';

/** A directory whose packages the base interpreter (or the manifest's `search-paths`) offers. */
export interface SiteDirectory {
  /** As the interpreter reports it or the manifest names it; used for link targets. */
  readonly path: string;
  /** Its realpath, by which directories are deduplicated. */
  readonly realPath: string;
  readonly origin: 'interpreter' | 'search-path';
}

/** One installed distribution, found by its `*.dist-info` or `*.egg-info`. */
export interface DistributionRecord {
  /** The `Name:` of its metadata, as written (`PyYAML`, `python-apt`). */
  readonly name: string;
  /** PEP 503: lowercase, runs of `-_.` as one `-`. */
  readonly normalizedName: string;
  readonly version: string;
  /** The site directory (`SiteDirectory.path`) holding it. */
  readonly site: string;
  /** Name of its metadata entry inside the site directory, e.g. `PyYAML-6.0.dist-info`. */
  readonly metadataEntry: string;
  readonly format: MetadataFormat;
  /**
   * Further metadata entries of the same distribution in the same directory, shadowed by
   * `metadataEntry` (Debian ships cryptography with both a dist-info and an egg-info).
   */
  readonly shadowedMetadataEntries: readonly string[];
  /** Import names it provides: `top_level.txt`, else derived from its file list. */
  readonly topLevel: readonly string[];
  /** `Requires-Python`, when declared. */
  readonly requiresPython: string | null;
}

/** PEP 503 name normalisation, the rule pip and PyPI use to compare project names. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MODULE_FILE = /^([A-Za-z_][A-Za-z0-9_]*)(\.py|\.pyc|\.so|\.pyd|\.[^.]+\.so|\.[^.]+\.pyd)$/;

/**
 * The import name a site directory entry provides, or null when it provides none (metadata,
 * `.pth` files, `pkg-stubs/`, `pkg.libs/`, data files). Mirrors what Python's path finder
 * would import, minus the ABI check (see extension-abi.ts).
 */
export function importNameOf(entry: string, isDir: boolean): string | null {
  if (entry === '__pycache__') return null;
  if (isDir) return IDENTIFIER.test(entry) ? entry : null;
  const m = MODULE_FILE.exec(entry);
  return m ? (m[1] ?? null) : null;
}

/** `apt_pkg-stubs` → `apt_pkg`: PEP 561 stub-only packages typed for another top-level name. */
export function stubsTarget(entry: string): string | null {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)-stubs$/.exec(entry);
  return m ? (m[1] ?? null) : null;
}

export function isMetadataEntry(entry: string): boolean {
  return entry.endsWith('.dist-info') || entry.endsWith('.egg-info');
}
