import type { SourceLocation } from '../errors/diagnostic.js';
import type { Diagnostics } from './diagnostics.js';
import type { SourceNode } from './source-tree.js';
import type { KeyPath, SourceMap } from './types.js';

/** What normalising one environment needs: where relative paths start, and where to report. */
export interface NormaliseContext {
  /** The top manifest's directory. */
  readonly dir: string;
  readonly source: SourceMap;
  readonly diagnostics: Diagnostics;
  /** PEP 440 specifiers met on the way, checked together afterwards. */
  readonly specifiers: PendingSpecifier[];
}

export interface PendingSpecifier {
  readonly specifier: string;
  readonly at: SourceLocation;
  readonly keyPath: KeyPath;
}

/** A field's value and where it was written: in the environment itself or in `defaults`. */
export interface WrittenField {
  readonly node: SourceNode;
  readonly path: KeyPath;
}
