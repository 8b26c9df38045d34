/**
 * The desired content of an environment as plain data. Layouts (venv, classic) and the
 * isolation overlay render lists of entries with pure functions; apply materialises them,
 * state records them, and the planner compares them with what is on disk. Paths are POSIX,
 * relative to the environment root, never absolute and never containing `..`.
 */
export type TreeEntry = DirEntry | FileEntry | SymlinkEntry | CopyEntry;

export interface DirEntry {
  readonly kind: 'dir';
  readonly path: string;
}

export interface FileEntry {
  readonly kind: 'file';
  readonly path: string;
  readonly content: string | Uint8Array;
  /** Permission bits; 0o644 when absent. */
  readonly mode?: number;
}

export interface SymlinkEntry {
  readonly kind: 'symlink';
  readonly path: string;
  /** The link's target exactly as written (absolute, or relative to the link's directory). */
  readonly target: string;
}

/**
 * A copy (or hard link when on the same filesystem) of a file outside the environment, for
 * the classic layout's interpreter binary, which must not be a symlink.
 */
export interface CopyEntry {
  readonly kind: 'copy';
  readonly path: string;
  /** Absolute path of the source file. */
  readonly source: string;
  readonly mode?: number;
}

/**
 * What state remembers of an entry envbuild created, and what the planner observes on disk:
 * enough to tell "still what we made" from "edited" without keeping the content.
 */
export type EntryDigest =
  | { readonly kind: 'dir' }
  | { readonly kind: 'file'; readonly sha256: string; readonly mode: number }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'copy'; readonly size: number; readonly sha256: string };

/** What is at a path on disk now. `other` covers sockets, devices and a file where a dir should be. */
export type Observed =
  | { readonly kind: 'missing' }
  | { readonly kind: 'dir' }
  | { readonly kind: 'file'; readonly sha256: string; readonly mode: number; readonly size: number }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'other' };
