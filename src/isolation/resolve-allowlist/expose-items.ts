import type { DistributionRecord } from '../distribution.js';
import { exposeDistribution } from '../exposure.js';
import { firstRootAt, type Included, type Inclusions, type ResolveContext } from './context.js';

/** An included item with the top-level entries of its site directory that the overlay links. */
export interface Exposed {
  readonly inc: Included;
  readonly expose: readonly string[];
}

/**
 * Step 3: what to expose of each item, in item order. A module item exposes its files; a
 * distribution what its file list says is its own (see `exposeDistribution`), which may be only
 * its metadata (a warning) or may be impossible to tell apart from another's (an error).
 */
export function exposeItems(ctx: ResolveContext, included: Inclusions): Exposed[] {
  const all = included.all().sort((a, b) => ctx.itemOrder(a.item, b.item));
  const includedDists = new Set<DistributionRecord>();
  for (const inc of all) if (inc.item.kind === 'dist') includedDists.add(inc.item.dist);
  return all.map((inc) => ({ inc, expose: exposeOne(ctx, inc, includedDists) }));
}

function exposeOne(ctx: ResolveContext, inc: Included, includedDists: ReadonlySet<DistributionRecord>): string[] {
  const item = inc.item;
  if (item.kind === 'module') return [...item.entries];
  const dist = item.dist;
  const at = firstRootAt(inc);
  const exposure = exposeDistribution(ctx.globals, dist, includedDists);
  if (exposure.metadataOnly) {
    ctx.diagnostics.warn(
      at,
      `${dist.name} ${dist.version} has neither a file list nor top_level.txt: only its metadata is exposed`,
      'allow its modules by import name with "module: NAME"',
    );
  }
  for (const u of exposure.unsplittable) {
    ctx.diagnostics.error(
      at,
      `${u.entry}/ in ${dist.site} is shared by ${dist.name} and ${u.others.join(', ')}, and ${dist.name} has no file list (RECORD, installed-files.txt or dpkg) to tell its part`,
      `allow ${u.others.join(', ')} as well, or the directory with "path:"`,
    );
  }
  return [...exposure.expose];
}
