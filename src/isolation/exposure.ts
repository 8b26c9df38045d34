import fs from 'node:fs';
import path from 'node:path';
import type { GlobalPackages } from './discover-globals.js';
import { isMetadataEntry, type DistributionRecord } from './distribution.js';

/** What of a distribution the overlay links, or why part of it cannot be linked. */
export interface Exposure {
  /** Paths relative to the distribution's site directory, sorted. */
  readonly expose: readonly string[];
  /**
   * Top-level directories shared with distributions that are not allowed, which this one has
   * no file list to split (an egg-info without installed-files.txt off dpkg systems).
   */
  readonly unsplittable: ReadonlyArray<{ readonly entry: string; readonly others: readonly string[] }>;
  /** Neither a file list nor top_level.txt: nothing but the metadata could be found. */
  readonly metadataOnly: boolean;
}

interface Node {
  readonly children: Map<string, Node>;
  /** Holds a file of the distribution being exposed. */
  mine: boolean;
  /** Holds a file of a distribution that is not allowed (or may: see `unknownExcluded`). */
  excluded: boolean;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function newNode(): Node {
  return { children: new Map(), mine: false, excluded: false };
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The entries of a distribution's site directory to link: its top-level packages, modules,
 * `-stubs` packages and other top-level files from its file list (or, without one, the entries
 * providing its `top_level.txt` names), plus its metadata directory. `.pth` files are left out
 * but for `-nspkg.pth`: on a plain path entry they do nothing, and where the overlay is a site
 * directory (the classic layout's `addsitedir`) any other one might run code.
 *
 * A top-level directory that distributions outside `included` also own (a namespace such as
 * Debian's `lazr/`) is not linked whole: the distribution's portions are, at the shallowest
 * depth holding none of the others' files.
 */
export function exposeDistribution(
  globals: GlobalPackages,
  dist: DistributionRecord,
  included: ReadonlySet<DistributionRecord>,
): Exposure {
  const site = dist.site;
  const entries = globals.entries(site);
  const list = globals.fileList(dist);
  const comps = new Set<string>([dist.metadataEntry]);
  if (list) {
    for (const f of list.files) {
      const c = f.split('/')[0] as string;
      if (!entries.has(c) || (c.endsWith('.pth') && !c.endsWith('-nspkg.pth')) || isMetadataEntry(c)) continue;
      comps.add(c);
    }
  } else {
    for (const t of dist.topLevel) for (const e of globals.moduleEntries(site, t)) comps.add(e);
  }
  const expose: string[] = [];
  const unsplittable: Array<{ entry: string; others: string[] }> = [];
  for (const c of [...comps].sort(cmp)) {
    const owners = entries.get(c) === true && !isMetadataEntry(c) ? globals.ownersOfEntry(site, c) : [];
    const others = owners.filter((o) => o !== dist && !included.has(o));
    if (others.length === 0) {
      expose.push(c);
      continue;
    }
    if (!list) {
      unsplittable.push({ entry: c, others: others.map((o) => o.name) });
      continue;
    }
    const root = newNode();
    const insert = (files: readonly string[], flag: 'mine' | 'excluded'): void => {
      for (const f of files) {
        if (!f.startsWith(`${c}/`) || !exists(path.join(site, f))) continue;
        let node = root;
        for (const part of f.slice(c.length + 1).split('/')) {
          let child = node.children.get(part);
          if (!child) node.children.set(part, (child = newNode()));
          node = child;
        }
        node[flag] = true;
      }
    };
    insert(list.files, 'mine');
    for (const o of others) {
      const oList = globals.fileList(o);
      // Without a list the other's files are unknown: assume they may be anywhere below c/.
      if (oList) insert(oList.files, 'excluded');
      else root.excluded = true;
    }
    const propagate = (n: Node): void => {
      for (const child of n.children.values()) {
        propagate(child);
        n.mine ||= child.mine;
        n.excluded ||= child.excluded;
      }
    };
    const unknownOthers = root.excluded;
    propagate(root);
    root.excluded ||= unknownOthers;
    const emit = (n: Node, rel: string): void => {
      if (!n.excluded || n.children.size === 0) {
        expose.push(rel);
        return;
      }
      for (const [name, child] of [...n.children].sort((a, b) => cmp(a[0], b[0]))) if (child.mine) emit(child, `${rel}/${name}`);
    };
    if (root.mine) emit(root, c);
  }
  return {
    expose: [...new Set(expose)].sort(cmp),
    unsplittable,
    metadataOnly: !list && dist.topLevel.length === 0,
  };
}
