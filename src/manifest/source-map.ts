import type { SourceLocation } from '../errors/diagnostic.js';
import { childOf, type SourceNode } from './source-tree.js';
import { clip } from './describe.js';
import type { KeyPath, SourceMap } from './types.js';

/** A `SourceMap` over a (possibly merged) source tree: every node knows its own file. */
export class TreeSourceMap implements SourceMap {
  constructor(private readonly root: SourceNode) {}

  locate(path: KeyPath): SourceLocation {
    return this.find(path, 'value');
  }

  locateKey(path: KeyPath): SourceLocation {
    return this.find(path, 'key');
  }

  /**
   * A missing path falls back to the key of the nearest enclosing node that exists: for a
   * missing required key that is the line naming the parent (`app:`), which reads better
   * than the parent's first child, where a block mapping's own position would be.
   */
  private find(path: KeyPath, want: 'key' | 'value'): SourceLocation {
    let node = this.root;
    let keyAt = this.root.at;
    for (const segment of path) {
      const child = childOf(node, segment);
      if (!child) return keyAt;
      node = child.value;
      keyAt = child.keyAt;
    }
    return want === 'key' ? keyAt : node.at;
  }
}

/** `environments.app.isolation.allow[1]`; keys that would read ambiguously are quoted. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const written of path) {
    const segment = typeof written === 'string' ? clip(written) : written;
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * Turns a JSON pointer from the validator into a key path, using the tree to tell list
 * indices (numbers) from mapping keys that happen to look like numbers.
 */
export function pointerToKeyPath(root: SourceNode, pointer: string): KeyPath {
  if (pointer === '') return [];
  const path: Array<string | number> = [];
  let node: SourceNode | undefined = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node?.kind === 'seq') {
      path.push(Number(segment));
    } else {
      path.push(segment);
    }
    node = node ? childOf(node, segment)?.value : undefined;
  }
  return path;
}
