import path from 'node:path';
import type { AllowedDistribution, AllowedModule, AllowedPath, InclusionReason, ResolvedAllowlist } from '../allowlist.js';
import { importNameOf } from '../distribution.js';
import { cmp, itemAnchor, itemSite, sortDiagnostics, type AllowedPathMap, type ResolveContext } from './context.js';
import type { Exposed } from './expose-items.js';

/**
 * Step 5: the recorded allowlist, sorted by name then site order, reasons in entry order.
 * Warnings are sorted by location; errors have been thrown before this step.
 */
export function assembleAllowlist(ctx: ResolveContext, exposed: readonly Exposed[], paths: AllowedPathMap): ResolvedAllowlist {
  const { python, globals, spec } = ctx;
  const distributions: AllowedDistribution[] = [];
  const modules: AllowedModule[] = [];
  for (const { inc, expose } of exposed) {
    const item = inc.item;
    const site = itemSite(item);
    const debPackages = globals.debPackagesOf(site, itemAnchor(item));
    const reasons = [...inc.reasons].sort(compareReasons);
    if (item.kind === 'module') {
      modules.push({ name: item.name, location: site, expose: [...expose], debPackages, reasons });
      continue;
    }
    const d = item.dist;
    distributions.push({
      name: d.name,
      normalizedName: d.normalizedName,
      version: d.version,
      location: site,
      metadataDir: path.join(site, d.metadataEntry),
      format: d.format,
      topLevel: exposedTopLevel(ctx, site, expose),
      expose: [...expose],
      debPackages,
      reasons,
    });
  }
  const bySite = (a: string, b: string): number => ctx.siteRank(a) - ctx.siteRank(b);
  distributions.sort((a, b) => cmp(a.normalizedName, b.normalizedName) || bySite(a.location, b.location));
  modules.sort((a, b) => cmp(a.name, b.name) || bySite(a.location, b.location));
  const allowedPaths: AllowedPath[] = [...paths]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([p, v]) => ({ path: p, reasons: v.reasons.sort(compareReasons) }));
  return {
    format: 1,
    target: { executable: python.executable, version: python.version, soabi: python.soabi },
    dependencies: spec.dependencies,
    sites: globals.sites.map((s) => s.path),
    distributions,
    modules,
    paths: allowedPaths,
    warnings: sortDiagnostics(ctx.diagnostics.warnings),
  };
}

/** Import names from what is exposed, not top_level.txt, which may name what another package ships. */
function exposedTopLevel(ctx: ResolveContext, site: string, expose: readonly string[]): string[] {
  const topLevel = new Set<string>();
  for (const e of expose) {
    const first = e.split('/')[0] as string;
    const n = importNameOf(first, ctx.globals.entries(site).get(first) === true);
    if (n !== null) topLevel.add(n);
  }
  return [...topLevel].sort(cmp);
}

/** Entries (in manifest order) before dependencies (by what needed them). */
export function compareReasons(a: InclusionReason, b: InclusionReason): number {
  if (a.kind !== b.kind) return a.kind === 'allowed' ? -1 : 1;
  if (a.kind === 'allowed' && b.kind === 'allowed') {
    return cmp(a.entry.at.file, b.entry.at.file) || a.entry.at.line - b.entry.at.line || a.entry.at.col - b.entry.at.col;
  }
  if (a.kind === 'dependency' && b.kind === 'dependency') {
    return cmp(a.of, b.of) || cmp(a.via, b.via) || cmp(a.requirement, b.requirement);
  }
  return 0;
}
