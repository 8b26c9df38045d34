import fs from 'node:fs';
import path from 'node:path';
import type { PythonInfo } from '../python/interpreter.js';
import { splitMetadataEntryName } from './core-metadata.js';
import {
  importNameOf,
  isMetadataEntry,
  normalizeName,
  stubsTarget,
  type DistributionRecord,
  type MetadataFormat,
  type SiteDirectory,
} from './distribution.js';
import { DpkgDatabase } from './dpkg.js';
import { distInfoRequirements, isMissing, readDistInfo, readRecord, siteRelative } from './read-dist-info.js';
import { readEggInfo, readEggInstalledFiles, readEggRequirements } from './read-egg-info.js';
import type { Requirement } from './requirements.js';

export interface DiscoverOptions {
  /** Extra global directories (the manifest's `search-paths`), absolute, searched after the interpreter's. */
  readonly searchPaths?: readonly string[];
  /**
   * dpkg's database: `undefined` opens `/var/lib/dpkg` when it exists, `null` disables dpkg,
   * a database uses that one (tests point it elsewhere).
   */
  readonly dpkg?: DpkgDatabase | null;
}

/** A file list of a distribution, paths relative to its site directory, and where it came from. */
export interface FileList {
  readonly files: readonly string[];
  readonly source: 'RECORD' | 'installed-files.txt' | 'dpkg';
  /** The dpkg packages the list was taken from (empty unless `source` is `dpkg`). */
  readonly packages: readonly string[];
}

interface SiteScan {
  readonly site: SiteDirectory;
  /** entry name → is a directory (symlinks followed; dangling links left out). */
  readonly entries: ReadonlyMap<string, boolean>;
  /** import name → the entries providing it, including `name-stubs/`. */
  readonly byImportName: ReadonlyMap<string, readonly string[]>;
  owners?: Map<string, DistributionRecord[]>;
}

interface DistExtra {
  readonly metadataIsDir: boolean;
  readonly requiresDist: readonly string[];
  fileList?: FileList | null;
  requirements?: readonly Requirement[];
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function scanDirectory(dir: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) out.set(d.name, true);
    else if (d.isSymbolicLink()) {
      try {
        out.set(d.name, fs.statSync(path.join(dir, d.name)).isDirectory());
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    } else out.set(d.name, false);
  }
  return out;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}

/**
 * The global site directories to take packages from: the interpreter's `globalSitePackages`
 * that exist, then the search paths, deduplicated by realpath (first wins).
 */
export function listSiteDirectories(
  python: Pick<PythonInfo, 'globalSitePackages'>,
  searchPaths: readonly string[] = [],
): { sites: SiteDirectory[]; missingSearchPaths: string[] } {
  const sites: SiteDirectory[] = [];
  const seen = new Set<string>();
  const missingSearchPaths: string[] = [];
  const add = (p: string, origin: SiteDirectory['origin']): void => {
    if (!isDirectory(p)) {
      if (origin === 'search-path') missingSearchPaths.push(p);
      return;
    }
    const realPath = fs.realpathSync(p);
    if (seen.has(realPath)) return;
    seen.add(realPath);
    sites.push({ path: path.resolve(p), realPath, origin });
  };
  for (const p of python.globalSitePackages) add(p, 'interpreter');
  for (const p of searchPaths) add(p, 'search-path');
  return { sites, missingSearchPaths };
}

/**
 * Everything installed in the global site directories, read cheaply: one directory listing per
 * site and, per distribution, its core metadata and `top_level.txt`. File lists (RECORD,
 * installed-files.txt, dpkg) and requirements are read on demand and memoised.
 */
export class GlobalPackages {
  readonly sites: readonly SiteDirectory[];
  readonly missingSearchPaths: readonly string[];
  /** In site order, then by normalised name. */
  readonly distributions: readonly DistributionRecord[];
  readonly dpkg: DpkgDatabase | null;
  readonly #scans = new Map<string, SiteScan>();
  readonly #extra = new Map<DistributionRecord, DistExtra>();
  readonly #byNormalizedName = new Map<string, DistributionRecord>();

  constructor(python: Pick<PythonInfo, 'globalSitePackages'>, options: DiscoverOptions = {}) {
    const { sites, missingSearchPaths } = listSiteDirectories(python, options.searchPaths);
    this.sites = sites;
    this.missingSearchPaths = missingSearchPaths;
    this.dpkg = options.dpkg === undefined ? DpkgDatabase.open() : options.dpkg;
    const distributions: DistributionRecord[] = [];
    for (const site of sites) {
      const entries = scanDirectory(site.path);
      const byImportName = new Map<string, string[]>();
      for (const [entry, isDir] of [...entries].sort((a, b) => byName(a[0], b[0]))) {
        const name = importNameOf(entry, isDir) ?? (isDir ? stubsTarget(entry) : null);
        if (name === null) continue;
        const list = byImportName.get(name);
        if (list) list.push(entry);
        else byImportName.set(name, [entry]);
      }
      const scan: SiteScan = { site, entries, byImportName };
      this.#scans.set(site.path, scan);
      distributions.push(...this.#readDistributions(scan));
    }
    this.distributions = distributions;
    for (const d of distributions) {
      if (!this.#byNormalizedName.has(d.normalizedName)) this.#byNormalizedName.set(d.normalizedName, d);
    }
  }

  #readDistributions(scan: SiteScan): DistributionRecord[] {
    const site = scan.site.path;
    interface Candidate {
      entry: string;
      format: MetadataFormat;
      isDir: boolean;
      name: string;
      version: string;
      topLevel: readonly string[] | null;
      requiresDist: readonly string[];
      requiresPython: string | null;
    }
    const groups = new Map<string, Candidate[]>();
    for (const [entry, isDir] of scan.entries) {
      if (!isMetadataEntry(entry)) continue;
      const format: MetadataFormat = entry.endsWith('.dist-info') ? 'dist-info' : 'egg-info';
      if (format === 'dist-info' && !isDir) continue;
      const fromName = splitMetadataEntryName(entry);
      let c: Candidate;
      if (format === 'dist-info') {
        const r = readDistInfo(site, entry);
        c = {
          entry,
          format,
          isDir,
          name: r.core.name ?? fromName.name,
          version: r.core.version ?? fromName.version ?? '0',
          topLevel: r.topLevel,
          requiresDist: r.core.requiresDist,
          requiresPython: r.core.requiresPython,
        };
      } else {
        const r = readEggInfo(site, entry, isDir);
        c = {
          entry,
          format,
          isDir,
          name: r.core.name ?? fromName.name,
          version: r.core.version ?? fromName.version ?? '0',
          topLevel: r.topLevel,
          requiresDist: [],
          requiresPython: r.core.requiresPython,
        };
      }
      const key = normalizeName(c.name);
      const list = groups.get(key);
      if (list) list.push(c);
      else groups.set(key, [c]);
    }
    const out: DistributionRecord[] = [];
    for (const [normalizedName, candidates] of [...groups].sort((a, b) => byName(a[0], b[0]))) {
      // dist-info is what pip and importlib trust first; among equals the entry name decides.
      candidates.sort((a, b) => (a.format === b.format ? byName(a.entry, b.entry) : a.format === 'dist-info' ? -1 : 1));
      const primary = candidates[0] as Candidate;
      const base: DistributionRecord = {
        name: primary.name,
        normalizedName,
        version: primary.version,
        site,
        metadataEntry: primary.entry,
        format: primary.format,
        shadowedMetadataEntries: candidates.slice(1).map((c) => c.entry),
        topLevel: primary.topLevel ?? [],
        requiresPython: primary.requiresPython,
      };
      let topLevel = primary.topLevel;
      if (topLevel === null) {
        // No top_level.txt: the import names are the top-level entries of its file list.
        const list = this.#readFileList(base, primary.isDir);
        topLevel = list ? topLevelImportNames(list.files, scan.entries) : [];
      }
      const final: DistributionRecord = { ...base, topLevel: [...topLevel].sort() };
      this.#extra.set(final, { metadataIsDir: primary.isDir, requiresDist: primary.requiresDist });
      out.push(final);
    }
    return out;
  }

  #scan(site: string): SiteScan {
    const s = this.#scans.get(site);
    if (!s) throw new Error(`not a discovered site directory: ${site}`);
    return s;
  }

  /** The first distribution of that (normalised) name in site order, as Python would find it. */
  findDistribution(normalizedName: string): DistributionRecord | undefined {
    return this.#byNormalizedName.get(normalizedName);
  }

  /** Entries of a site directory: name → is a directory. */
  entries(site: string): ReadonlyMap<string, boolean> {
    return this.#scan(site).entries;
  }

  /** Entries of a site that provide an import name: `pkg/`, `mod.py`, `mod.cpython-311-….so`, `pkg-stubs/`. */
  moduleEntries(site: string, importName: string): readonly string[] {
    return this.#scan(site).byImportName.get(importName) ?? [];
  }

  /** Every import name on offer, sorted (for "did you mean"). */
  importNames(): string[] {
    const names = new Set<string>();
    for (const s of this.#scans.values()) for (const n of s.byImportName.keys()) names.add(n);
    return [...names].sort();
  }

  /** The first site providing an import name, with the distributions that own it there. */
  findModule(importName: string): { site: string; entries: readonly string[]; owners: DistributionRecord[] } | null {
    for (const site of this.sites) {
      const entries = this.moduleEntries(site.path, importName);
      if (entries.length === 0) continue;
      const owners = new Set<DistributionRecord>();
      for (const e of entries) for (const d of this.ownersOfEntry(site.path, e)) owners.add(d);
      return { site: site.path, entries, owners: [...owners].sort((a, b) => byName(a.normalizedName, b.normalizedName)) };
    }
    return null;
  }

  /**
   * Distributions of a site that own a top-level entry: those whose import names cover it and,
   * when they have a file list, list something in it. Two or more owners of a directory make it
   * a shared namespace (Debian's `lazr/`).
   */
  ownersOfEntry(site: string, entry: string): DistributionRecord[] {
    const scan = this.#scan(site);
    if (!scan.owners) {
      const owners = new Map<string, DistributionRecord[]>();
      const add = (e: string, d: DistributionRecord): void => {
        const list = owners.get(e);
        if (!list) owners.set(e, [d]);
        else if (!list.includes(d)) list.push(d);
      };
      for (const d of this.distributions) {
        if (d.site !== site) continue;
        add(d.metadataEntry, d);
        for (const e of d.shadowedMetadataEntries) add(e, d);
        for (const t of d.topLevel) for (const e of scan.byImportName.get(t) ?? []) add(e, d);
      }
      scan.owners = owners;
    }
    // top_level.txt can claim more than the distribution's files hold: Debian's setuptools names
    // pkg_resources, which python3-pkg-resources ships. A file list, when known, has the last word.
    return (scan.owners.get(entry) ?? []).filter((d) => {
      if (d.metadataEntry === entry || d.shadowedMetadataEntries.includes(entry)) return true;
      const list = this.fileList(d);
      return list === null || list.files.some((f) => f === entry || f.startsWith(`${entry}/`));
    });
  }

  /** Requirements as declared (Requires-Dist, or requires.txt), unfiltered. */
  requirements(dist: DistributionRecord): readonly Requirement[] {
    const extra = this.#extraOf(dist);
    if (!extra.requirements) {
      extra.requirements =
        dist.format === 'dist-info' ?
          distInfoRequirements({ name: null, version: null, requiresDist: extra.requiresDist, requiresPython: null })
        : readEggRequirements(dist.site, dist.metadataEntry, extra.metadataIsDir);
    }
    return extra.requirements;
  }

  #extraOf(dist: DistributionRecord): DistExtra {
    const extra = this.#extra.get(dist);
    if (!extra) throw new Error(`unknown distribution record ${dist.name} in ${dist.site}`);
    return extra;
  }

  /**
   * The files of a distribution relative to its site (caches excluded; entries may be missing
   * on disk): RECORD for dist-info, `installed-files.txt` for pip's egg-info, else dpkg's list
   * (Debian's egg-info has none of its own). Null when nothing says.
   */
  fileList(dist: DistributionRecord): FileList | null {
    const extra = this.#extraOf(dist);
    if (extra.fileList === undefined) extra.fileList = this.#readFileList(dist, extra.metadataIsDir);
    return extra.fileList;
  }

  #readFileList(dist: DistributionRecord, metadataIsDir: boolean): FileList | null {
    if (dist.format === 'dist-info') {
      const files = readRecord(dist.site, dist.metadataEntry);
      if (files.length > 0) return { files, source: 'RECORD', packages: [] };
    } else {
      const files = readEggInstalledFiles(dist.site, dist.metadataEntry, metadataIsDir);
      if (files) return { files, source: 'installed-files.txt', packages: [] };
    }
    const packages = this.debPackagesOf(dist.site, dist.metadataEntry);
    if (packages.length === 0 || !this.dpkg) return null;
    const scan = this.#scan(dist.site);
    const files = new Set<string>();
    for (const pkg of packages) for (const f of this.#debFilesIn(pkg, scan.site)) files.add(f);
    // A package shipping several distributions: keep the portion this one's names claim.
    const otherMetadata = [...files].filter(
      (f) => !f.includes('/') && isMetadataEntry(f) && f !== dist.metadataEntry && !dist.shadowedMetadataEntries.includes(f),
    );
    let list = [...files];
    if (otherMetadata.length > 0 && dist.topLevel.length > 0) {
      const mine = new Set<string>([dist.metadataEntry, ...dist.shadowedMetadataEntries]);
      for (const t of dist.topLevel) for (const e of scan.byImportName.get(t) ?? []) mine.add(e);
      list = list.filter((f) => mine.has(f.split('/')[0] as string));
    }
    return { files: list.sort(), source: 'dpkg', packages };
  }

  /** dpkg packages owning an entry (path relative to the site), empty without dpkg. */
  debPackagesOf(site: string, relPath: string): string[] {
    if (!this.dpkg) return [];
    const s = this.#scan(site).site;
    const owners = new Set<string>(this.dpkg.ownersOf(path.posix.join(s.path, relPath), s.path));
    if (s.realPath !== s.path) {
      for (const o of this.dpkg.ownersOf(path.posix.join(s.realPath, relPath), s.realPath)) owners.add(o);
    }
    return [...owners].sort();
  }

  /** A dpkg package's files inside one site directory, relative to it. */
  #debFilesIn(pkg: string, site: SiteDirectory): string[] {
    const out: string[] = [];
    for (const f of this.dpkg?.files(pkg) ?? []) {
      for (const prefix of site.realPath === site.path ? [site.path] : [site.path, site.realPath]) {
        if (!f.startsWith(`${prefix}/`)) continue;
        const rel = siteRelative(prefix, f);
        if (rel !== null) out.push(rel);
        break;
      }
    }
    return out;
  }

  /** A dpkg package's files per site directory (only sites it has files in), relative paths. */
  debFiles(pkg: string): Array<{ site: string; files: string[] }> {
    const out: Array<{ site: string; files: string[] }> = [];
    for (const site of this.sites) {
      const files = this.#debFilesIn(pkg, site);
      if (files.length > 0) out.push({ site: site.path, files: files.sort() });
    }
    return out;
  }
}

/** Import names from the first components of a file list, as found on disk. */
export function topLevelImportNames(files: readonly string[], entries: ReadonlyMap<string, boolean>): string[] {
  const names = new Set<string>();
  for (const f of files) {
    const first = f.split('/')[0] as string;
    const isDir = entries.get(first);
    if (isDir === undefined) continue;
    const n = importNameOf(first, isDir);
    if (n !== null) names.add(n);
  }
  return [...names].sort();
}

/** Discovers the global packages an interpreter offers (plus search paths). */
export function discoverGlobals(python: Pick<PythonInfo, 'globalSitePackages'>, options: DiscoverOptions = {}): GlobalPackages {
  return new GlobalPackages(python, options);
}
