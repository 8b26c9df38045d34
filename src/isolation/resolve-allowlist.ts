import fs from 'node:fs';
import path from 'node:path';
import { satisfies, validRange } from '@renovatebot/pep440';
import type { Diagnostic, SourceLocation } from '../errors/diagnostic.js';
import { ManifestError } from '../errors/user-error.js';
import type { AllowEntry, IsolationSpec } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import type {
  AllowedDistribution,
  AllowedModule,
  AllowedPath,
  InclusionReason,
  ResolvedAllowlist,
} from './allowlist.js';
import { closestNames } from './closest-names.js';
import { discoverGlobals, type DiscoverOptions, type GlobalPackages } from './discover-globals.js';
import { importNameOf, isMetadataEntry, normalizeName, stubsTarget, type DistributionRecord } from './distribution.js';
import { isPythonPackage } from './dpkg.js';
import { foreignExtensions } from './extension-abi.js';
import { exposeDistribution } from './exposure.js';
import { markerEnvironment, type MarkerEnvironment } from './markers.js';
import { requirementApplies } from './requirements.js';

export interface ResolveOptions extends Omit<DiscoverOptions, 'searchPaths'> {
  /** A discovery to reuse (it must have been made with the spec's search paths). */
  readonly globals?: GlobalPackages;
  /** Marker variables to override (the rest come from the interpreter's probe). */
  readonly markerEnvironment?: Partial<MarkerEnvironment>;
  /** Directory that relative `{path}` entries are resolved against (the manifest's); absent: they are errors. */
  readonly baseDir?: string;
}

type Item =
  | { readonly kind: 'dist'; readonly key: string; readonly dist: DistributionRecord }
  | { readonly kind: 'module'; readonly key: string; readonly name: string; readonly site: string; readonly entries: readonly string[] };

interface Included {
  readonly item: Item;
  readonly reasons: InclusionReason[];
  /** The allowlist entries that brought it in (directly or through dependencies): where its problems are reported. */
  readonly roots: Set<AllowEntry>;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function distItem(dist: DistributionRecord): Item {
  return { kind: 'dist', key: `${dist.site}\0${dist.normalizedName}`, dist };
}

function moduleItem(site: string, name: string, entries: readonly string[]): Item {
  return { kind: 'module', key: `${site}\0module:${name}`, name, site, entries: [...entries].sort(cmp) };
}

function itemName(item: Item): string {
  return item.kind === 'dist' ? item.dist.name : item.name;
}

function itemSite(item: Item): string {
  return item.kind === 'dist' ? item.dist.site : item.site;
}

function entryLabel(e: AllowEntry): string {
  return e.kind === 'path' ? `path ${e.path}` : `${e.kind} ${e.name}`;
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): string =>
    d.location ? `${d.location.file}\0${String(d.location.line).padStart(8, '0')}\0${String(d.location.col).padStart(8, '0')}` : '';
  return ds.sort((a, b) => cmp(key(a), key(b)) || cmp(a.message, b.message));
}

function compareReasons(a: InclusionReason, b: InclusionReason): number {
  if (a.kind !== b.kind) return a.kind === 'allowed' ? -1 : 1;
  if (a.kind === 'allowed' && b.kind === 'allowed') {
    return cmp(a.entry.at.file, b.entry.at.file) || a.entry.at.line - b.entry.at.line || a.entry.at.col - b.entry.at.col;
  }
  if (a.kind === 'dependency' && b.kind === 'dependency') {
    return cmp(a.of, b.of) || cmp(a.via, b.via) || cmp(a.requirement, b.requirement);
  }
  return 0;
}

function sameReason(a: InclusionReason, b: InclusionReason): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
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
 * Files under a path on disk, relative to `root`, caches skipped. The exposed entry itself may
 * be a symlink; links below it are not followed (a cycle would never end).
 */
function walkFiles(root: string, rel: string, out: string[], top = true): void {
  const abs = path.join(root, rel);
  let stat: fs.Stats;
  try {
    stat = top ? fs.statSync(abs) : fs.lstatSync(abs);
  } catch {
    return;
  }
  if (!stat.isDirectory()) {
    out.push(rel);
    return;
  }
  for (const name of fs.readdirSync(abs).sort(cmp)) {
    if (name === '__pycache__') continue;
    walkFiles(root, `${rel}/${name}`, out, false);
  }
}

/** Plain copy of an entry, so a recorded allowlist holds no references into the manifest. */
function copyEntry(e: AllowEntry): AllowEntry {
  switch (e.kind) {
    case 'dist':
      return e.version === undefined ?
          { kind: 'dist', name: e.name, at: { ...e.at } }
        : { kind: 'dist', name: e.name, version: e.version, at: { ...e.at } };
    case 'module':
      return { kind: 'module', name: e.name, at: { ...e.at } };
    case 'deb':
      return { kind: 'deb', name: e.name, at: { ...e.at } };
    case 'path':
      return { kind: 'path', path: e.path, at: { ...e.at } };
  }
}

/**
 * Resolves the allowlist of a cherry-pick environment against the global packages of `python`
 * (its `globalSitePackages`, then `spec.searchPaths`). Every problem is collected; if any is an
 * error a `ManifestError` is thrown carrying all of them, each at its entry's `at`.
 * For other isolation modes the allowlist is empty.
 */
export function resolveAllowlist(spec: IsolationSpec, python: PythonInfo, opts: ResolveOptions = {}): ResolvedAllowlist {
  const target = { executable: python.executable, version: python.version, soabi: python.soabi };
  if (spec.mode !== 'cherry-pick') {
    return { format: 1, target, dependencies: spec.dependencies, sites: [], distributions: [], modules: [], paths: [], warnings: [] };
  }
  const globals =
    opts.globals ??
    discoverGlobals(python, { searchPaths: spec.searchPaths, ...(opts.dpkg === undefined ? {} : { dpkg: opts.dpkg }) });
  const env = markerEnvironment(python, opts.markerEnvironment);
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const error = (at: SourceLocation | undefined, message: string, hint?: string): void => {
    errors.push({ severity: 'error', message, ...(at ? { location: at } : {}), ...(hint ? { hint } : {}) });
  };
  const warn = (at: SourceLocation | undefined, message: string, hint?: string): void => {
    if (warnings.some((w) => w.message === message && w.location === at)) return;
    warnings.push({ severity: 'warning', message, ...(at ? { location: at } : {}), ...(hint ? { hint } : {}) });
  };
  const sitesText = globals.sites.map((s) => s.path).join(', ') || '(none exists)';
  const siteIndex = new Map(globals.sites.map((s, i) => [s.path, i]));
  // Items are processed and reported by name, then in path order: never by temp-dir names.
  const itemOrder = (a: Item, b: Item): number =>
    cmp(a.kind, b.kind) ||
    cmp(a.kind === 'dist' ? a.dist.normalizedName : a.name, b.kind === 'dist' ? b.dist.normalizedName : b.name) ||
    (siteIndex.get(itemSite(a)) ?? 0) - (siteIndex.get(itemSite(b)) ?? 0) ||
    cmp(a.key, b.key);

  for (const p of globals.missingSearchPaths) warn(undefined, `search path ${p} does not exist or is not a directory`);

  const included = new Map<string, Included>();
  const paths = new Map<string, { reasons: InclusionReason[] }>();
  /** Includes an item (or adds a reason and roots to it); true when it is new. */
  const add = (item: Item, reason: InclusionReason, roots: Iterable<AllowEntry>): boolean => {
    let inc = included.get(item.key);
    const isNew = !inc;
    if (!inc) {
      inc = { item, reasons: [], roots: new Set() };
      included.set(item.key, inc);
    }
    if (!inc.reasons.some((r) => sameReason(r, reason))) inc.reasons.push(reason);
    for (const r of roots) inc.roots.add(r);
    return isNew;
  };

  /** What a Debian package installed in the site directories, as distributions and bare modules. */
  const itemsOfDeb = (pkg: string): Item[] => {
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
    return items.filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true))).sort(itemOrder);
  };

  // 1. The entries themselves.
  for (const entry of spec.allow) {
    const roots = [entry];
    const reason: InclusionReason = { kind: 'allowed', entry: copyEntry(entry) };
    switch (entry.kind) {
      case 'dist': {
        const dist = globals.findDistribution(normalizeName(entry.name));
        if (!dist) {
          const modules = globals.findModule(entry.name);
          const suggestions = closestNames(entry.name, globals.distributions.map((d) => d.name));
          const hint =
            modules && modules.owners.length > 0 ?
              `${entry.name} is an import name, provided by ${modules.owners.map((o) => o.name).join(', ')}: write "module: ${entry.name}" or name the distribution`
            : suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?`
            : undefined;
          error(entry.at, `no distribution named "${entry.name}" in the global site directories (searched ${sitesText})`, hint);
          break;
        }
        if (entry.version !== undefined) {
          if (!validRange(entry.version)) {
            error(entry.at, `"${entry.version}" is not a PEP 440 version specifier`, 'e.g. ">=6", "==2.6.*", ">=1.2,<2"');
            break;
          }
          if (!satisfies(dist.version, entry.version, { prereleases: true })) {
            error(
              entry.at,
              `${dist.name} ${dist.version} in ${dist.site} does not satisfy the required version "${entry.version}"`,
              `install a matching version globally, or change the specifier to one that ${dist.version} satisfies`,
            );
            break;
          }
        }
        add(distItem(dist), reason, roots);
        break;
      }
      case 'module': {
        if (importNameOf(entry.name, true) === null) {
          const top = entry.name.split('.')[0] ?? entry.name;
          error(entry.at, `"${entry.name}" is not a top-level import name`, entry.name.includes('.') ? `allow "${top}"` : undefined);
          break;
        }
        const found = globals.findModule(entry.name);
        if (!found) {
          const stdlibDirs = [...new Set([python.stdlib, python.platstdlib, ...python.sysPath])];
          const inStdlib = stdlibDirs.some(
            (d) => exists(path.join(d, entry.name)) || exists(path.join(d, `${entry.name}.py`)),
          );
          const suggestions = closestNames(entry.name, globals.importNames());
          error(
            entry.at,
            `no module named "${entry.name}" in the global site directories (searched ${sitesText})`,
            inStdlib ? `${entry.name} is in the standard library, which every environment can import: remove this entry`
            : suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?`
            : undefined,
          );
          break;
        }
        if (found.owners.length > 0) for (const d of found.owners) add(distItem(d), reason, roots);
        else add(moduleItem(found.site, entry.name, found.entries), reason, roots);
        break;
      }
      case 'deb': {
        const dpkg = globals.dpkg;
        if (!dpkg) {
          error(entry.at, `"deb: ${entry.name}" needs dpkg, and this system has none (no /var/lib/dpkg/status)`, 'name the distribution or module instead');
          break;
        }
        if (!dpkg.isInstalled(entry.name)) {
          const installed = dpkg.installedPackages();
          const suggestions = closestNames(entry.name, installed.filter(isPythonPackage));
          const prefixed = `python3-${entry.name}`;
          error(
            entry.at,
            `Debian package "${entry.name}" is not installed`,
            installed.includes(prefixed) ? `did you mean ${prefixed}?`
            : suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?`
            : `install it with apt, or name a package from "dpkg -l 'python3-*'"`,
          );
          break;
        }
        const items = itemsOfDeb(entry.name);
        if (items.length === 0) {
          error(entry.at, `Debian package "${entry.name}" has no files in the global site directories (searched ${sitesText})`);
          break;
        }
        for (const item of items) add(item, reason, roots);
        break;
      }
      case 'path': {
        let p = entry.path;
        if (!path.isAbsolute(p)) {
          if (opts.baseDir === undefined) {
            error(entry.at, `path "${p}" must be absolute`);
            break;
          }
          p = path.resolve(opts.baseDir, p);
        }
        p = path.resolve(p);
        if (/[\r\n]|\s$/.test(p)) {
          // site.py reads .pth files line by line and strips trailing whitespace.
          error(entry.at, `path ${JSON.stringify(p)} cannot be written to a .pth file (line break or trailing space)`);
          break;
        }
        if (!isDir(p)) {
          error(entry.at, `path ${p} does not exist or is not a directory`);
          break;
        }
        const prev = paths.get(p);
        if (prev) prev.reasons.push(reason);
        else paths.set(p, { reasons: [reason] });
        break;
      }
    }
  }

  // 2. The dependency closure: declared requirements, and on dpkg systems the Depends of python3-* packages.
  const allowedKeys = new Set(included.keys());
  if (spec.dependencies !== 'ignore') {
    const queue = [...included.values()].map((i) => i.item).sort(itemOrder);
    const rootsOf = (item: Item): Set<AllowEntry> => included.get(item.key)?.roots ?? new Set();
    while (queue.length > 0) {
      const item = queue.shift() as Item;
      const roots = rootsOf(item);
      const firstAt = [...roots][0]?.at;
      if (item.kind === 'dist') {
        for (const req of globals.requirements(item.dist)) {
          const applies = requirementApplies(req, env);
          if (!applies.applies) {
            if (applies.why === 'invalid-marker') {
              warn(firstAt, `${item.dist.name} declares "${req.raw}", whose marker envbuild cannot evaluate (${applies.detail}); not followed`);
            }
            continue;
          }
          const dep = globals.findDistribution(req.normalizedName);
          if (!dep) {
            warn(
              firstAt,
              `${item.dist.name} ${item.dist.version} requires "${req.raw}", which is not installed in the global site directories (searched ${sitesText})`,
              'the environment gets what is there; install it globally or in the environment if the import fails',
            );
            continue;
          }
          if (req.specifier && validRange(req.specifier) && !satisfies(dep.version, req.specifier, { prereleases: true })) {
            warn(firstAt, `${item.dist.name} requires "${req.raw}", but the global ${dep.name} is ${dep.version}; allowing it anyway`);
          }
          const depItem = distItem(dep);
          if (add(depItem, { kind: 'dependency', of: item.dist.name, via: 'metadata', requirement: req.raw }, roots)) queue.push(depItem);
        }
      }
      const dpkg = globals.dpkg;
      if (dpkg) {
        const anchor = item.kind === 'dist' ? item.dist.metadataEntry : (item.entries[0] as string);
        const start = globals.debPackagesOf(itemSite(item), anchor);
        const visited = new Set<string>(start);
        const pkgQueue = [...start];
        while (pkgQueue.length > 0) {
          const pkg = pkgQueue.shift() as string;
          for (const dep of dpkg.dependencies(pkg)) {
            const q = dep.package;
            if (q === null || !isPythonPackage(q) || visited.has(q)) continue;
            visited.add(q);
            const items = itemsOfDeb(q);
            // A python3-* package with nothing in the site directories may still depend on one that has.
            if (items.length === 0) pkgQueue.push(q);
            const requirement = `${pkg} → ${dep.written}${dep.virtual ? ` (provided by ${q})` : ''}`;
            for (const depItem of items) {
              if (depItem.key === item.key) continue;
              if (add(depItem, { kind: 'dependency', of: itemName(item), via: 'dpkg', requirement }, roots)) queue.push(depItem);
            }
          }
        }
      }
    }
    if (spec.dependencies === 'error') {
      for (const inc of [...included.values()].sort((a, b) => itemOrder(a.item, b.item))) {
        if (allowedKeys.has(inc.item.key)) continue;
        const via = inc.reasons
          .filter((r): r is Extract<InclusionReason, { kind: 'dependency' }> => r.kind === 'dependency')
          .map((r) => `${r.of} (${r.via === 'metadata' ? `requires "${r.requirement}"` : `dpkg: ${r.requirement}`})`);
        for (const root of inc.roots) {
          error(
            root.at,
            `${entryLabel(root)} needs ${itemName(inc.item)}, which the allowlist does not name (dependencies: error): needed by ${via.join(', ')}`,
            `add "${itemName(inc.item)}" to the allowlist, or set "dependencies: follow"`,
          );
        }
      }
    }
  }

  // 3. What to expose of each item; ABI and Requires-Python checks.
  const includedDists = new Set<DistributionRecord>();
  for (const inc of included.values()) if (inc.item.kind === 'dist') includedDists.add(inc.item.dist);

  const exposeOf = (inc: Included): string[] => {
    const item = inc.item;
    if (item.kind === 'module') return [...item.entries];
    const dist = item.dist;
    const at = [...inc.roots][0]?.at;
    const exposure = exposeDistribution(globals, dist, includedDists);
    if (exposure.metadataOnly) {
      warn(
        at,
        `${dist.name} ${dist.version} has neither a file list nor top_level.txt: only its metadata is exposed`,
        'allow its modules by import name with "module: NAME"',
      );
    }
    for (const u of exposure.unsplittable) {
      error(
        at,
        `${u.entry}/ in ${dist.site} is shared by ${dist.name} and ${u.others.join(', ')}, and ${dist.name} has no file list (RECORD, installed-files.txt or dpkg) to tell its part`,
        `allow ${u.others.join(', ')} as well, or the directory with "path:"`,
      );
    }
    return [...exposure.expose];
  };

  const distributions: AllowedDistribution[] = [];
  const modules: AllowedModule[] = [];
  const linkOwners = new Map<string, { target: string; inc: Included }>();
  for (const inc of [...included.values()].sort((a, b) => itemOrder(a.item, b.item))) {
    const item = inc.item;
    const site = itemSite(item);
    const expose = exposeOf(inc);
    const at = [...inc.roots][0]?.at;

    // Extension modules the target interpreter cannot load.
    const list = item.kind === 'dist' ? globals.fileList(item.dist) : null;
    let files: string[] = [];
    if (list) {
      files = list.files.filter((f) => expose.some((e) => f === e || f.startsWith(`${e}/`)));
    } else {
      for (const e of expose) walkFiles(site, e, files);
    }
    const foreign = foreignExtensions(files, python).filter((f) => exists(path.join(site, f.file)));
    if (foreign.length > 0) {
      for (const root of inc.roots) {
        error(
          root.at,
          `${itemName(item)} has extension modules built for another interpreter: ${foreign
            .map((f) => path.join(site, f.file))
            .join(', ')}; ${python.executable} (Python ${python.version}) loads only ${python.extensionSuffixes.join(', ')}`,
          `install ${itemName(item)} for Python ${python.version}, or build the environment on the interpreter it was built for`,
        );
      }
    }
    if (item.kind === 'dist') {
      const rp = item.dist.requiresPython;
      if (rp && validRange(rp.replace(/\s+/g, '')) && !satisfies(python.version, rp.replace(/\s+/g, ''), { prereleases: true })) {
        warn(at, `${item.dist.name} ${item.dist.version} declares Requires-Python "${rp}", which Python ${python.version} does not satisfy`);
      }
    }

    // Two items may not claim the same path in the overlay.
    for (const e of expose) {
      const targetPath = `${site}/${e}`;
      for (const [other, owner] of linkOwners) {
        const clash = other === e ? owner.target !== targetPath : other.startsWith(`${e}/`) || e.startsWith(`${other}/`);
        if (!clash || owner.inc === inc) continue;
        for (const root of new Set([...inc.roots, ...owner.inc.roots])) {
          error(
            root.at,
            `${itemName(item)} (${targetPath}) and ${itemName(owner.inc.item)} (${owner.target}) both provide ${e === other ? e : `${e} / ${other}`}`,
            'allow only one of them',
          );
        }
      }
      linkOwners.set(e, { target: targetPath, inc });
    }

    const debPackages =
      item.kind === 'dist' ? globals.debPackagesOf(site, item.dist.metadataEntry) : globals.debPackagesOf(site, item.entries[0] as string);
    const reasons = [...inc.reasons].sort(compareReasons);
    if (item.kind === 'dist') {
      const d = item.dist;
      // From what is exposed, not top_level.txt, which may name what another package ships.
      const topLevel = new Set<string>();
      for (const e of expose) {
        const first = e.split('/')[0] as string;
        const n = importNameOf(first, globals.entries(site).get(first) === true);
        if (n !== null) topLevel.add(n);
      }
      distributions.push({
        name: d.name,
        normalizedName: d.normalizedName,
        version: d.version,
        location: site,
        metadataDir: path.join(site, d.metadataEntry),
        format: d.format,
        topLevel: [...topLevel].sort(cmp),
        expose,
        debPackages,
        reasons,
      });
    } else {
      modules.push({ name: item.name, location: site, expose, debPackages, reasons });
    }
  }

  const sortedErrors = sortDiagnostics(errors);
  const sortedWarnings = sortDiagnostics(warnings);
  if (sortedErrors.length > 0) throw new ManifestError([...sortedErrors, ...sortedWarnings]);

  const bySite = (a: string, b: string): number => (siteIndex.get(a) ?? 0) - (siteIndex.get(b) ?? 0);
  distributions.sort((a, b) => cmp(a.normalizedName, b.normalizedName) || bySite(a.location, b.location));
  modules.sort((a, b) => cmp(a.name, b.name) || bySite(a.location, b.location));
  const allowedPaths: AllowedPath[] = [...paths]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([p, v]) => ({ path: p, reasons: v.reasons.sort(compareReasons) }));
  return {
    format: 1,
    target,
    dependencies: spec.dependencies,
    sites: globals.sites.map((s) => s.path),
    distributions,
    modules,
    paths: allowedPaths,
    warnings: sortedWarnings,
  };
}
