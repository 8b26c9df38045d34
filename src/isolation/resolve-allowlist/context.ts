import type { Diagnostic, SourceLocation } from '../../errors/diagnostic.js';
import type { AllowEntry, IsolationSpec } from '../../manifest/types.js';
import type { PythonInfo } from '../../python/interpreter.js';
import type { InclusionReason } from '../allowlist.js';
import type { GlobalPackages } from '../discover-globals.js';
import type { DistributionRecord } from '../distribution.js';
import type { MarkerEnvironment } from '../markers.js';

/**
 * The shared vocabulary of the allowlist pipeline: what an included item is, the inclusions
 * collected so far, and the diagnostics. Each step (match, close, expose, check, assemble)
 * reads a `ResolveContext` and adds to it; none keeps state of its own.
 */

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A distribution, or modules no distribution claims (a Debian package's bare files). */
export type Item =
  | { readonly kind: 'dist'; readonly key: string; readonly dist: DistributionRecord }
  | { readonly kind: 'module'; readonly key: string; readonly name: string; readonly site: string; readonly entries: readonly string[] };

export interface Included {
  readonly item: Item;
  readonly reasons: InclusionReason[];
  /** The allowlist entries that brought it in (directly or through dependencies): where its problems are reported. */
  readonly roots: Set<AllowEntry>;
}

export function distItem(dist: DistributionRecord): Item {
  return { kind: 'dist', key: `${dist.site}\0${dist.normalizedName}`, dist };
}

export function moduleItem(site: string, name: string, entries: readonly string[]): Item {
  return { kind: 'module', key: `${site}\0module:${name}`, name, site, entries: [...entries].sort(cmp) };
}

export function itemName(item: Item): string {
  return item.kind === 'dist' ? item.dist.name : item.name;
}

export function itemSite(item: Item): string {
  return item.kind === 'dist' ? item.dist.site : item.site;
}

/** The entry a Debian package owns for the item: its metadata, or its first module file. */
export function itemAnchor(item: Item): string {
  return item.kind === 'dist' ? item.dist.metadataEntry : (item.entries[0] as string);
}

/** Where an item's problems are reported: the first allowlist entry that brought it in. */
export function firstRootAt(inc: Included): SourceLocation | undefined {
  return [...inc.roots][0]?.at;
}

function sameReason(a: InclusionReason, b: InclusionReason): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every item included so far, by key, with why and through which entries. */
export class Inclusions {
  readonly #byKey = new Map<string, Included>();

  /** Includes an item (or adds a reason and roots to it); true when it is new. */
  add(item: Item, reason: InclusionReason, roots: Iterable<AllowEntry>): boolean {
    let inc = this.#byKey.get(item.key);
    const isNew = !inc;
    if (!inc) {
      inc = { item, reasons: [], roots: new Set() };
      this.#byKey.set(item.key, inc);
    }
    if (!inc.reasons.some((r) => sameReason(r, reason))) inc.reasons.push(reason);
    for (const r of roots) inc.roots.add(r);
    return isNew;
  }

  get(key: string): Included | undefined {
    return this.#byKey.get(key);
  }

  keys(): Set<string> {
    return new Set(this.#byKey.keys());
  }

  /** In insertion order. */
  all(): Included[] {
    return [...this.#byKey.values()];
  }
}

/** Allowed `{path}` entries, by resolved absolute path. */
export type AllowedPathMap = Map<string, { reasons: InclusionReason[] }>;

/** Every problem is collected (warnings once per message and place); the caller decides when to throw. */
export class DiagnosticCollector {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(at: SourceLocation | undefined, message: string, hint?: string): void {
    this.errors.push({ severity: 'error', message, ...(at ? { location: at } : {}), ...(hint ? { hint } : {}) });
  }

  warn(at: SourceLocation | undefined, message: string, hint?: string): void {
    if (this.warnings.some((w) => w.message === message && w.location === at)) return;
    this.warnings.push({ severity: 'warning', message, ...(at ? { location: at } : {}), ...(hint ? { hint } : {}) });
  }
}

/** By location, then message: the order a reader expects, independent of processing order. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): string =>
    d.location ? `${d.location.file}\0${String(d.location.line).padStart(8, '0')}\0${String(d.location.col).padStart(8, '0')}` : '';
  return ds.sort((a, b) => cmp(key(a), key(b)) || cmp(a.message, b.message));
}

/** What every step of the pipeline reads. */
export interface ResolveContext {
  readonly spec: IsolationSpec;
  readonly python: PythonInfo;
  readonly globals: GlobalPackages;
  readonly markers: MarkerEnvironment;
  /** Directory that relative `{path}` entries are resolved against; absent: they are errors. */
  readonly baseDir: string | undefined;
  readonly diagnostics: DiagnosticCollector;
  /** The searched site directories, for messages. */
  readonly sitesText: string;
  /** Items are processed and reported by name, then in path order: never by temp-dir names. */
  readonly itemOrder: (a: Item, b: Item) => number;
  /** Orders locations by the site directories' order. */
  readonly siteRank: (site: string) => number;
}

export function makeContext(
  spec: ResolveContext['spec'],
  python: PythonInfo,
  globals: GlobalPackages,
  markers: MarkerEnvironment,
  baseDir: string | undefined,
): ResolveContext {
  const siteIndex = new Map(globals.sites.map((s, i) => [s.path, i]));
  const siteRank = (site: string): number => siteIndex.get(site) ?? 0;
  const itemOrder = (a: Item, b: Item): number =>
    cmp(a.kind, b.kind) ||
    cmp(a.kind === 'dist' ? a.dist.normalizedName : a.name, b.kind === 'dist' ? b.dist.normalizedName : b.name) ||
    siteRank(itemSite(a)) - siteRank(itemSite(b)) ||
    cmp(a.key, b.key);
  return {
    spec,
    python,
    globals,
    markers,
    baseDir,
    diagnostics: new DiagnosticCollector(),
    sitesText: globals.sites.map((s) => s.path).join(', ') || '(none exists)',
    itemOrder,
    siteRank,
  };
}
