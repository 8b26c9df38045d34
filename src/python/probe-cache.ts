import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { PROBE_SCRIPT } from './probe-script.js';
import { checkPythonInfo } from './probe-output.js';
import type { ProbeOutcome } from './probe.js';
import type { Env } from './pyenv.js';

/**
 * Probe results across runs, so that a second discovery spawns no Python at all. An entry is
 * keyed by the interpreter's real path and trusted only while the file's size, mtime, inode
 * and ctime are unchanged (a rebuild or reinstall changes at least one; ctime cannot be set
 * back, so a binary rewritten in place with its size and mtime restored is still noticed). The file is a cache: anything
 * unreadable, corrupt or written by another format or probe is ignored and rewritten.
 *
 * Concurrent runs: each writes its whole view atomically and the last one wins, so an entry
 * probed by the loser is probed again next time — never a wrong answer, at worst a spawn.
 */

/** Bump when the file's layout changes; the probe script's own hash covers changes to what it reports. */
const FORMAT = 1;
const PROBE_HASH = createHash('sha256').update(PROBE_SCRIPT).digest('hex').slice(0, 16);

export const CACHE_FILE_NAME = 'interpreters.json';

/** The parts of a stat that identify one build of a binary. */
export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** Changed by every write, chmod or rename of the inode, and not settable by utimes. */
  readonly ctimeMs: number;
}

type StoredEntry = FileIdentity & ({ readonly info: unknown } | { readonly error: string });

interface CacheFile {
  readonly format: number;
  readonly probe: string;
  readonly entries: Record<string, StoredEntry>;
}

/**
 * `$ENVBUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/envbuild`, else `~/.cache/envbuild`.
 * Relative values are ignored, as the XDG spec asks.
 */
export function defaultCacheDir(env: Env): string {
  const own = env['ENVBUILD_CACHE_DIR'];
  if (own !== undefined && path.isAbsolute(own)) return own;
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(env['HOME'] ?? homedir(), '.cache');
  return path.join(base, 'envbuild');
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.ctimeMs === b.ctimeMs;
}

function isIdentity(v: Record<string, unknown>): boolean {
  return typeof v['size'] === 'number' && typeof v['mtimeMs'] === 'number' && typeof v['ino'] === 'number' && typeof v['ctimeMs'] === 'number';
}

export class ProbeCache {
  private readonly entries: Map<string, StoredEntry>;
  private dirty: boolean;

  private constructor(
    /** Undefined: in memory only. */
    readonly file: string | undefined,
    entries: Map<string, StoredEntry>,
    dirty: boolean,
  ) {
    this.entries = entries;
    this.dirty = dirty;
  }

  /** Never throws: a missing, unreadable or foreign file gives an empty cache (rewritten on save). */
  static async open(file: string | undefined): Promise<ProbeCache> {
    if (file === undefined) return new ProbeCache(undefined, new Map(), false);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return new ProbeCache(file, new Map(), false);
    }
    const entries = parseCacheFile(text);
    // A file that was there but unusable is rewritten even if nothing new is probed.
    return new ProbeCache(file, entries ?? new Map(), entries === undefined);
  }

  /** The outcome recorded for `realPath`, if it was recorded for this very file. */
  get(realPath: string, identity: FileIdentity): ProbeOutcome | undefined {
    const entry = this.entries.get(realPath);
    if (entry === undefined || !sameIdentity(entry, identity)) return undefined;
    if ('error' in entry) return { ok: false, reason: entry.error, cacheable: true };
    const checked = checkPythonInfo(entry.info);
    return checked.ok ? { ok: true, info: checked.info } : undefined;
  }

  /** Records a probe; transient failures (timeouts, signals) are not recorded. */
  set(realPath: string, identity: FileIdentity, outcome: ProbeOutcome): void {
    if (!outcome.ok && !outcome.cacheable) return;
    const { size, mtimeMs, ino, ctimeMs } = identity;
    const entry: StoredEntry = outcome.ok ? { size, mtimeMs, ino, ctimeMs, info: outcome.info } : { size, mtimeMs, ino, ctimeMs, error: outcome.reason };
    const previous = this.entries.get(realPath);
    if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(entry)) return;
    this.entries.set(realPath, entry);
    this.dirty = true;
  }

  /**
   * Writes the file atomically if anything changed since it was read. A cache that cannot be
   * written (read-only home, full disk) costs only speed, so errors are swallowed.
   */
  async save(): Promise<void> {
    if (!this.dirty || this.file === undefined) return;
    const sorted = Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const content: CacheFile = { format: FORMAT, probe: PROBE_HASH, entries: sorted };
    this.dirty = false;
    try {
      // Loaded here, not at start-up: it costs ~9 ms and a run that probed nothing writes nothing.
      const { default: writeFileAtomic } = await import('write-file-atomic');
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, `${JSON.stringify(content, null, 1)}\n`, { fsync: false });
    } catch {
      this.dirty = true;
    }
  }
}

/** Entries of a cache file of this format and probe, or undefined when it is anything else. */
function parseCacheFile(text: string): Map<string, StoredEntry> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const file = value as Partial<Record<keyof CacheFile, unknown>>;
  if (file.format !== FORMAT || file.probe !== PROBE_HASH) return undefined;
  if (typeof file.entries !== 'object' || file.entries === null || Array.isArray(file.entries)) return undefined;
  const entries = new Map<string, StoredEntry>();
  for (const [key, raw] of Object.entries(file.entries as Record<string, unknown>)) {
    if (!path.isAbsolute(key) || typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Record<string, unknown>;
    if (!isIdentity(entry)) continue;
    if (typeof entry['error'] === 'string' || 'info' in entry) entries.set(key, entry as unknown as StoredEntry);
  }
  return entries;
}
