/** yaml's document to envbuild's source tree: aliases expanded, positions kept, keys checked. */
import { isAlias, isMap, isScalar, isSeq, Scalar, type Alias, type Node } from 'yaml';
import type { SourceLocation } from '../errors/diagnostic.js';
import { code } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import type { MapEntry, ScalarValue, SourceNode } from './source-tree.js';
import { MAX_DEPTH } from './yaml-syntax.js';

/**
 * Converts yaml's nodes into a SourceNode tree. Aliases are expanded (the tree has no
 * sharing, so merging can never alter two places at once); values reached through an alias
 * keep the position where the anchored value is written.
 */
export class TreeBuilder {
  private readonly anchors = new Map<string, Node>();
  /** Each alias resolves to the anchor defined before it, even when replayed later. */
  private readonly aliasTargets = new Map<Alias, Node | undefined>();
  private readonly expanding = new Set<Node>();
  private replaying = 0;
  /** Set when some value could not be represented and was replaced by null. */
  lostValues = false;

  constructor(
    private readonly text: string,
    private readonly at: (offset: number | undefined) => SourceLocation,
    private readonly diagnostics: Diagnostics,
  ) {}

  build(node: unknown, fallback: SourceLocation, depth: number): SourceNode {
    if (node === null || node === undefined) return { kind: 'scalar', at: fallback, value: null };
    const at = isAlias(node) || isScalar(node) || isMap(node) || isSeq(node) ? this.position(node, fallback) : fallback;

    if (depth > MAX_DEPTH) {
      if (!this.lostValues) this.diagnostics.error(`values are nested more than ${MAX_DEPTH} levels deep`, at);
      return this.lost(at);
    }

    if (isAlias(node)) return this.expandAlias(node, at, depth);
    if (this.replaying === 0 && (isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) {
      this.anchors.set(node.anchor, node);
    }

    if (isScalar(node)) return this.scalar(node, at, fallback);
    if (isSeq(node)) {
      return { kind: 'seq', at, items: node.items.map((item) => this.build(item, at, depth + 1)) };
    }
    if (isMap(node)) {
      const entries = new Map<string, MapEntry>();
      for (const pair of node.items) {
        // `: value` (a stray colon, or a key lost to a typo): yaml reads an empty key, which
        // would be reported as an unknown key `null`.
        if (pair.key === null || (isScalar(pair.key) && pair.key.value === null && pair.key.type === Scalar.PLAIN && pair.key.source === '')) {
          // An empty key's range starts where its line does; the `:` is what to point at.
          const start = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
          const colon = start === undefined ? -1 : this.text.indexOf(':', start);
          const node: unknown = pair.value;
          const where = colon >= 0 ? this.at(colon) : isScalar(node) || isMap(node) || isSeq(node) ? this.position(node, at) : at;
          this.diagnostics.error('a key is missing before this `:`', where, { hint: 'write `name: value`; a line cannot start with `:`' });
          continue;
        }
        const keyNode = isAlias(pair.key) ? this.build(pair.key, at, depth + 1) : undefined;
        const key = keyNode ?? (isScalar(pair.key) ? this.scalar(pair.key, this.position(pair.key, at), at) : undefined);
        const keyAt = key?.at ?? (isMap(pair.key) || isSeq(pair.key) ? this.position(pair.key, at) : at);
        if (!key || key.kind !== 'scalar') {
          this.diagnostics.error('a mapping key must be a plain value such as a name, not a list or a mapping', keyAt);
          this.lostValues = true;
          continue;
        }
        const name = keyText(key.value, key.source);
        const first = entries.get(name);
        if (first) {
          this.diagnostics.error(
            `duplicate key ${code(name)}: it is already set at line ${first.keyAt.line}, col ${first.keyAt.col}`,
            keyAt,
            { hint: 'a key can appear once in a mapping; remove or merge one of them' },
          );
          continue;
        }
        entries.set(name, { keyAt, value: this.build(pair.value, keyAt, depth + 1) });
      }
      return { kind: 'map', at, entries };
    }
    this.diagnostics.error('unsupported YAML node', at);
    return this.lost(at);
  }

  private expandAlias(alias: Alias, at: SourceLocation, depth: number): SourceNode {
    if (!this.aliasTargets.has(alias)) this.aliasTargets.set(alias, this.anchors.get(alias.source));
    const target = this.aliasTargets.get(alias);
    if (!target) {
      this.diagnostics.error(`unknown alias ${code(`*${alias.source}`)}`, at, {
        hint: `define the anchor ${code(`&${alias.source}`)} on a value before the alias that repeats it`,
      });
      return this.lost(at);
    }
    if (this.expanding.has(target)) {
      this.diagnostics.error(`alias ${code(`*${alias.source}`)} is used inside the value it names`, at, {
        hint: 'a value cannot contain itself; an alias may only repeat a value written before it, outside it',
      });
      return this.lost(at);
    }
    this.expanding.add(target);
    this.replaying += 1;
    try {
      return this.build(target, at, depth);
    } finally {
      this.replaying -= 1;
      this.expanding.delete(target);
    }
  }

  private scalar(node: Scalar, at: SourceLocation, fallback: SourceLocation): SourceNode {
    const value: unknown = node.value;
    const plain = node.type === Scalar.PLAIN ? node.source : undefined;
    // `key:` with nothing after it: yaml places the empty value after the colon, but the
    // line to point at is the key's.
    const where = value === null && plain === '' ? fallback : at;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { kind: 'scalar', at: where, value: value satisfies ScalarValue, ...(plain ? { source: plain } : {}) };
    }
    if (typeof value === 'bigint') return { kind: 'scalar', at, value: Number(value) };
    this.diagnostics.error(`unsupported YAML value${node.tag ? ` (tag ${code(node.tag)})` : ''}`, at, {
      hint: 'a manifest holds plain strings, numbers, booleans, lists and mappings',
    });
    return this.lost(at);
  }

  private lost(at: SourceLocation): SourceNode {
    this.lostValues = true;
    return { kind: 'scalar', at, value: null };
  }

  private position(node: { range?: readonly [number, number, number] | null | undefined }, fallback: SourceLocation): SourceLocation {
    return node.range ? this.at(node.range[0]) : fallback;
  }
}

/** Keys are compared as the names users see: `1:` and `"1":` are the same key. */
function keyText(value: ScalarValue, source: string | undefined): string {
  if (typeof value === 'string') return value;
  return source ?? String(value);
}
