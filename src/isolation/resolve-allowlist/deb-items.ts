import { importNameOf, isMetadataEntry, stubsTarget } from '../distribution.js';
import { distItem, moduleItem, type Item, type ResolveContext } from './context.js';

/**
 * What a Debian package installed in the site directories, as items: the distributions whose
 * metadata (or a shadowed copy of it) it installed, the distributions owning its other
 * top-level entries, and the rest as bare modules. Unique, in the context's item order.
 */
export function itemsOfDeb(ctx: ResolveContext, pkg: string): Item[] {
  const { globals } = ctx;
  const items: Item[] = [];
  for (const { site, files } of globals.debFiles(pkg)) {
    const entries = globals.entries(site);
    const comps = [...new Set(files.map((f) => f.split('/')[0] as string))].filter((c) => entries.has(c));
    const dists = globals.distributions.filter(
      (d) => d.site === site && (comps.includes(d.metadataEntry) || d.shadowedMetadataEntries.some((e) => comps.includes(e))),
    );
    const covered = new Set<string>();
    for (const d of dists) {
      items.push(distItem(d));
      covered.add(d.metadataEntry);
      for (const e of d.shadowedMetadataEntries) covered.add(e);
      for (const t of d.topLevel) for (const e of globals.moduleEntries(site, t)) covered.add(e);
    }
    const bare = new Map<string, string[]>();
    for (const c of comps) {
      if (covered.has(c) || isMetadataEntry(c)) continue;
      const isDirEntry = entries.get(c) === true;
      const name = importNameOf(c, isDirEntry) ?? (isDirEntry ? stubsTarget(c) : null);
      if (name === null) continue;
      const owners = globals.ownersOfEntry(site, c);
      if (owners.length > 0) for (const o of owners) items.push(distItem(o));
      else bare.set(name, [...(bare.get(name) ?? []), c]);
    }
    for (const [name, es] of bare) items.push(moduleItem(site, name, es));
  }
  const seen = new Set<string>();
  return items.filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true))).sort(ctx.itemOrder);
}
