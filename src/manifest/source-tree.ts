import type { SourceLocation } from '../errors/diagnostic.js';

/**
 * A manifest value with the position of every node, independent of the YAML library, so
 * layers from several files can be merged while each value keeps the file that holds it.
 * Mappings use a `Map` because plain objects reorder integer-like keys, and the order of
 * environments and parts is part of the contract.
 */
export type SourceNode = MapNode | SeqNode | ScalarNode;

export type ScalarValue = string | number | boolean | null;

export interface MapEntry {
  /** Where the key is written. */
  readonly keyAt: SourceLocation;
  readonly value: SourceNode;
}

export interface MapNode {
  readonly kind: 'map';
  readonly at: SourceLocation;
  readonly entries: ReadonlyMap<string, MapEntry>;
}

export interface SeqNode {
  readonly kind: 'seq';
  readonly at: SourceLocation;
  readonly items: readonly SourceNode[];
}

export interface ScalarNode {
  readonly kind: 'scalar';
  readonly at: SourceLocation;
  readonly value: ScalarValue;
  /** The text as written for plain (unquoted) scalars: `3.10` for a value read as 3.1. */
  readonly source?: string;
}

/** Plain JSON-like data for the schema validator and for recipes' options. */
export function toPlain(node: SourceNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map':
      // fromEntries defines own properties, so a `__proto__` key stays a key (and is then
      // reported as unknown) instead of replacing the object's prototype.
      return Object.fromEntries([...node.entries].map(([k, e]) => [k, toPlain(e.value)]));
  }
}

/** The child of a node by key or index, if there is one. */
export function childOf(node: SourceNode, segment: string | number): MapEntry | undefined {
  if (node.kind === 'map') return node.entries.get(String(segment));
  if (node.kind === 'seq') {
    const index = typeof segment === 'number' ? segment : /^\d+$/.test(segment) ? Number(segment) : NaN;
    const item = node.items[index];
    return item === undefined ? undefined : { keyAt: item.at, value: item };
  }
  return undefined;
}

/**
 * Layers `upper` over `lower` as `extends` defines it: mappings merge key by key (an
 * overridden key keeps its original place, so a base's part order survives), anything else
 * is replaced. An empty value (`app:` with nothing after it) over a mapping adds nothing
 * rather than erasing it, because that is how YAML spells "this key, no changes here".
 */
export function mergeNodes(lower: SourceNode, upper: SourceNode): SourceNode {
  if (lower.kind === 'map' && upper.kind === 'scalar' && upper.value === null) return lower;
  if (lower.kind !== 'map' || upper.kind !== 'map') return upper;
  const entries = new Map(lower.entries);
  for (const [key, entry] of upper.entries) {
    const below = entries.get(key);
    entries.set(key, below ? { keyAt: entry.keyAt, value: mergeNodes(below.value, entry.value) } : entry);
  }
  return { kind: 'map', at: upper.at, entries };
}
