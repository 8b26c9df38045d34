/**
 * What the cache keeps beside an unpacked wheel (`<cache>/wheels/<sha256>/entry.json`): every
 * fact installing needs, computed and verified once at unpack time, so that installing from a
 * warm cache reads one small JSON file and links files.
 */
import type { ScriptEntryPoint } from './entry-points.js';

/** Bump when the entry's layout changes: older entries are then unpacked again beside. */
export const CACHE_FORMAT = 1;

export interface CachedFile {
  /** The path inside the wheel (POSIX, validated). */
  readonly path: string;
  /** RECORD's `sha256=…` as computed at unpack time. */
  readonly hash: string;
  readonly size: number;
  readonly executable: boolean;
  /** A `.data/scripts` file starting with `#!python`: rewritten per environment. */
  readonly pythonShebang: boolean;
}

export interface CachedWheel {
  readonly format: number;
  readonly filename: string;
  readonly sha256: string;
  readonly name: string;
  readonly version: string;
  /** `<name>-<version>.dist-info` as the wheel spells it. */
  readonly distInfo: string;
  readonly rootIsPurelib: boolean;
  /** Tags from the file name. */
  readonly tags: readonly string[];
  readonly files: readonly CachedFile[];
  readonly entryPoints: readonly ScriptEntryPoint[];
}

/** The directory holding the wheel's files inside a cache entry. */
export const FILES_DIR = 'files';
export const ENTRY_FILE = 'entry.json';

/** Checks an entry.json read back from disk (the cache is shared, so it is untrusted input). */
export function isCachedWheel(v: unknown, sha256: string): v is CachedWheel {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    e['format'] === CACHE_FORMAT &&
    e['sha256'] === sha256 &&
    typeof e['name'] === 'string' &&
    typeof e['version'] === 'string' &&
    typeof e['distInfo'] === 'string' &&
    typeof e['filename'] === 'string' &&
    typeof e['rootIsPurelib'] === 'boolean' &&
    Array.isArray(e['tags']) &&
    Array.isArray(e['files']) &&
    Array.isArray(e['entryPoints']) &&
    (e['files'] as unknown[]).every((f) => {
      const r = f as Record<string, unknown>;
      return typeof r['path'] === 'string' && typeof r['hash'] === 'string' && typeof r['size'] === 'number' && typeof r['executable'] === 'boolean';
    })
  );
}
