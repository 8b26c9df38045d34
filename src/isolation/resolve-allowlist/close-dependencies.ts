import { satisfies, validRange } from '@renovatebot/pep440';
import type { AllowEntry } from '../../manifest/types.js';
import type { InclusionReason } from '../allowlist.js';
import { isPythonPackage } from '../dpkg.js';
import { requirementApplies } from '../requirements.js';
import { itemsOfDeb } from './deb-items.js';
import { distItem, itemAnchor, itemName, itemSite, type Included, type Inclusions, type Item, type ResolveContext } from './context.js';

/**
 * Step 2: the dependency closure of what the entries matched — declared requirements (markers
 * evaluated for the target interpreter) and, on dpkg systems, the Depends of python3-*
 * packages. Each item found carries the roots of the item that needed it. With
 * `dependencies: ignore` nothing is followed; with `error` every item the entries did not name
 * is an error at each root.
 */
export function closeOverDependencies(ctx: ResolveContext, included: Inclusions): void {
  if (ctx.spec.dependencies === 'ignore') return;
  const named = included.keys();
  const queue = included
    .all()
    .map((i) => i.item)
    .sort(ctx.itemOrder);
  while (queue.length > 0) {
    const item = queue.shift() as Item;
    const roots = included.get(item.key)?.roots ?? new Set<AllowEntry>();
    const found = [...metadataDependencies(ctx, item, roots), ...dpkgDependencies(ctx, item)];
    for (const { dep, reason } of found) if (included.add(dep, reason, roots)) queue.push(dep);
  }
  if (ctx.spec.dependencies === 'error') reportUnnamed(ctx, included, named);
}

interface Found {
  readonly dep: Item;
  readonly reason: InclusionReason;
}

/** The installed distributions an item's Requires-Dist names (and applies to the target). */
export function metadataDependencies(ctx: ResolveContext, item: Item, roots: ReadonlySet<AllowEntry>): Found[] {
  if (item.kind !== 'dist') return [];
  const { globals, diagnostics } = ctx;
  const firstAt = [...roots][0]?.at;
  const out: Found[] = [];
  for (const req of globals.requirements(item.dist)) {
    const applies = requirementApplies(req, ctx.markers);
    if (!applies.applies) {
      if (applies.why === 'invalid-marker') {
        diagnostics.warn(firstAt, `${item.dist.name} declares "${req.raw}", whose marker envbuild cannot evaluate (${applies.detail}); not followed`);
      }
      continue;
    }
    const dep = globals.findDistribution(req.normalizedName);
    if (!dep) {
      diagnostics.warn(
        firstAt,
        `${item.dist.name} ${item.dist.version} requires "${req.raw}", which is not installed in the global site directories (searched ${ctx.sitesText})`,
        'the environment gets what is there; install it globally or in the environment if the import fails',
      );
      continue;
    }
    if (req.specifier && validRange(req.specifier) && !satisfies(dep.version, req.specifier, { prereleases: true })) {
      diagnostics.warn(firstAt, `${item.dist.name} requires "${req.raw}", but the global ${dep.name} is ${dep.version}; allowing it anyway`);
    }
    out.push({ dep: distItem(dep), reason: { kind: 'dependency', of: item.dist.name, via: 'metadata', requirement: req.raw } });
  }
  return out;
}

/** The items of the python3-* packages the item's Debian package depends on (transitively through empty ones). */
export function dpkgDependencies(ctx: ResolveContext, item: Item): Found[] {
  const { globals } = ctx;
  const dpkg = globals.dpkg;
  if (!dpkg) return [];
  const start = globals.debPackagesOf(itemSite(item), itemAnchor(item));
  const visited = new Set<string>(start);
  const pkgQueue = [...start];
  const out: Found[] = [];
  while (pkgQueue.length > 0) {
    const pkg = pkgQueue.shift() as string;
    for (const dep of dpkg.dependencies(pkg)) {
      const q = dep.package;
      if (q === null || !isPythonPackage(q) || visited.has(q)) continue;
      visited.add(q);
      const items = itemsOfDeb(ctx, q);
      // A python3-* package with nothing in the site directories may still depend on one that has.
      if (items.length === 0) pkgQueue.push(q);
      const requirement = `${pkg} → ${dep.written}${dep.virtual ? ` (provided by ${q})` : ''}`;
      for (const depItem of items) {
        if (depItem.key === item.key) continue;
        out.push({ dep: depItem, reason: { kind: 'dependency', of: itemName(item), via: 'dpkg', requirement } });
      }
    }
  }
  return out;
}

/** `dependencies: error`: each item the entries did not name is an error at every entry that needed it. */
function reportUnnamed(ctx: ResolveContext, included: Inclusions, named: ReadonlySet<string>): void {
  const byOrder = (a: Included, b: Included): number => ctx.itemOrder(a.item, b.item);
  for (const inc of included.all().sort(byOrder)) {
    if (named.has(inc.item.key)) continue;
    const via = inc.reasons
      .filter((r): r is Extract<InclusionReason, { kind: 'dependency' }> => r.kind === 'dependency')
      .map((r) => `${r.of} (${r.via === 'metadata' ? `requires "${r.requirement}"` : `dpkg: ${r.requirement}`})`);
    for (const root of inc.roots) {
      ctx.diagnostics.error(
        root.at,
        `${entryLabel(root)} needs ${itemName(inc.item)}, which the allowlist does not name (dependencies: error): needed by ${via.join(', ')}`,
        `add "${itemName(inc.item)}" to the allowlist, or set "dependencies: follow"`,
      );
    }
  }
}

function entryLabel(e: AllowEntry): string {
  return e.kind === 'path' ? `path ${e.path}` : `${e.kind} ${e.name}`;
}
