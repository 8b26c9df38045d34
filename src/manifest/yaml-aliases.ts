/** Alias expansion measured before anything expands it: the guard against alias bombs. */
import { isAlias, isMap, isScalar, isSeq, type Alias, type Document, type Node } from 'yaml';

/**
 * How many values aliases may add to a document beyond those written in it, whatever its
 * size: a hand-written manifest repeating a few settings stays far below. Past that, the
 * aliases may add at most as many values as are written, so expanding a manifest can at
 * most double it. This measures what yaml's own guard (`maxAliasCount`, a count of alias
 * uses) misses: ninety aliases of a list of 200 000 numbers pass that guard and expand a
 * 1.5 MB file into 18 million values, which exhausts the heap.
 */
export const MIN_ALIAS_EXPANSION = 10_000;

export interface AliasMeasure {
  /** Nodes as written, each alias counted once. */
  readonly written: number;
  /** Nodes once every alias is replaced by what it names. */
  readonly expanded: number;
  /** The alias that stands for the most values, to point the user at the bomb's fuse. */
  readonly largest: { readonly alias: Alias; readonly size: number } | undefined;
}

/**
 * Counts the document's values as written and as expanded, without expanding anything:
 * one post-order walk with an explicit stack, each alias taking the size of its anchor
 * (an anchor is always complete before an alias to it, except an alias inside its own
 * anchor, which counts once). Sizes are floats: a billion laughs is only a big number here.
 */
export function measureAliases(doc: Document): AliasMeasure {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let written = 0;
  let largest: AliasMeasure['largest'];
  interface Frame {
    readonly node: Node;
    readonly children: readonly unknown[];
    next: number;
    total: number;
  }
  const stack: Frame[] = [];
  /** The size of a leaf, or undefined when a frame was opened for a collection. */
  const enter = (node: unknown): number | undefined => {
    written += 1;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const size = (target && sizes.get(target)) ?? 1;
      if (!largest || size > largest.size) largest = { alias: node, size };
      return size;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return 1;
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      sizes.set(node, 1);
      return 1;
    }
    const children: unknown[] = isMap(node) ? node.items.flatMap((pair) => [pair.key, pair.value]) : node.items;
    stack.push({ node, children, next: 0, total: 1 });
    return undefined;
  };

  let expanded = enter(doc.contents) ?? 0;
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if (frame.next < frame.children.length) {
      const size = enter(frame.children[frame.next]);
      frame.next += 1;
      if (size !== undefined) frame.total += size;
      continue;
    }
    stack.pop();
    sizes.set(frame.node, frame.total);
    const parent = stack.at(-1);
    if (parent) parent.total += frame.total;
    else expanded = frame.total;
  }
  return { written, expanded, largest };
}
