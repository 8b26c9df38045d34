import fs from 'node:fs';
import path from 'node:path';
import { satisfies, validRange } from '@renovatebot/pep440';
import type { AllowEntry } from '../../manifest/types.js';
import type { InclusionReason } from '../allowlist.js';
import { closestNames } from '../closest-names.js';
import { importNameOf, normalizeName } from '../distribution.js';
import { isPythonPackage } from '../dpkg.js';
import { itemsOfDeb } from './deb-items.js';
import { distItem, moduleItem, type AllowedPathMap, type Inclusions, type ResolveContext } from './context.js';

type EntryOf<K extends AllowEntry['kind']> = Extract<AllowEntry, { kind: K }>;

/**
 * Step 1: each allowlist entry to what it names — a distribution, the owners of a module (or
 * its bare files), what a Debian package installed, a directory. An entry that matches nothing
 * is an error at the entry, with a suggestion when one is close.
 */
export function matchEntries(ctx: ResolveContext, included: Inclusions, paths: AllowedPathMap): void {
  for (const entry of ctx.spec.allow) {
    const reason: InclusionReason = { kind: 'allowed', entry: copyEntry(entry) };
    const add = (item: Parameters<Inclusions['add']>[0]): void => void included.add(item, reason, [entry]);
    switch (entry.kind) {
      case 'dist': {
        const dist = matchDistribution(ctx, entry);
        if (dist) add(distItem(dist));
        break;
      }
      case 'module':
        for (const item of matchModule(ctx, entry)) add(item);
        break;
      case 'deb':
        for (const item of matchDebPackage(ctx, entry)) add(item);
        break;
      case 'path': {
        const p = matchPath(ctx, entry);
        if (p === null) break;
        const prev = paths.get(p);
        if (prev) prev.reasons.push(reason);
        else paths.set(p, { reasons: [reason] });
        break;
      }
    }
  }
}

/** The distribution a `dist:` entry names, if it is installed and satisfies the entry's version. */
export function matchDistribution(ctx: ResolveContext, entry: EntryOf<'dist'>) {
  const { globals, diagnostics } = ctx;
  const dist = globals.findDistribution(normalizeName(entry.name));
  if (!dist) {
    const modules = globals.findModule(entry.name);
    const suggestions = closestNames(entry.name, globals.distributions.map((d) => d.name));
    const hint =
      modules && modules.owners.length > 0 ?
        `${entry.name} is an import name, provided by ${modules.owners.map((o) => o.name).join(', ')}: write "module: ${entry.name}" or name the distribution`
      : suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?`
      : undefined;
    diagnostics.error(entry.at, `no distribution named "${entry.name}" in the global site directories (searched ${ctx.sitesText})`, hint);
    return null;
  }
  if (entry.version === undefined) return dist;
  if (!validRange(entry.version)) {
    diagnostics.error(entry.at, `"${entry.version}" is not a PEP 440 version specifier`, 'e.g. ">=6", "==2.6.*", ">=1.2,<2"');
    return null;
  }
  if (!satisfies(dist.version, entry.version, { prereleases: true })) {
    diagnostics.error(
      entry.at,
      `${dist.name} ${dist.version} in ${dist.site} does not satisfy the required version "${entry.version}"`,
      `install a matching version globally, or change the specifier to one that ${dist.version} satisfies`,
    );
    return null;
  }
  return dist;
}

/** The items a `module:` entry names: the distributions owning it, or its bare files. */
export function matchModule(ctx: ResolveContext, entry: EntryOf<'module'>) {
  const { globals, python, diagnostics } = ctx;
  if (importNameOf(entry.name, true) === null) {
    const top = entry.name.split('.')[0] ?? entry.name;
    diagnostics.error(entry.at, `"${entry.name}" is not a top-level import name`, entry.name.includes('.') ? `allow "${top}"` : undefined);
    return [];
  }
  const found = globals.findModule(entry.name);
  if (!found) {
    const stdlibDirs = [...new Set([python.stdlib, python.platstdlib, ...python.sysPath])];
    const inStdlib = stdlibDirs.some((d) => exists(path.join(d, entry.name)) || exists(path.join(d, `${entry.name}.py`)));
    const suggestions = closestNames(entry.name, globals.importNames());
    diagnostics.error(
      entry.at,
      `no module named "${entry.name}" in the global site directories (searched ${ctx.sitesText})`,
      inStdlib ? `${entry.name} is in the standard library, which every environment can import: remove this entry`
      : suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?`
      : undefined,
    );
    return [];
  }
  return found.owners.length > 0 ? found.owners.map(distItem) : [moduleItem(found.site, entry.name, found.entries)];
}

/** The items a `deb:` entry names: what the installed Debian package put in the site directories. */
export function matchDebPackage(ctx: ResolveContext, entry: EntryOf<'deb'>) {
  const { globals, diagnostics } = ctx;
  const dpkg = globals.dpkg;
  if (!dpkg) {
    diagnostics.error(entry.at, `"deb: ${entry.name}" needs dpkg, and this system has none (no /var/lib/dpkg/status)`, 'name the distribution or module instead');
    return [];
  }
  if (!dpkg.isInstalled(entry.name)) {
    const installed = dpkg.installedPackages();
    const suggestions = closestNames(entry.name, installed.filter(isPythonPackage));
    const prefixed = `python3-${entry.name}`;
    diagnostics.error(
      entry.at,
      `Debian package "${entry.name}" is not installed`,
      installed.includes(prefixed) ? `did you mean ${prefixed}?`
      : suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?`
      : `install it with apt, or name a package from "dpkg -l 'python3-*'"`,
    );
    return [];
  }
  const items = itemsOfDeb(ctx, entry.name);
  if (items.length === 0) {
    diagnostics.error(entry.at, `Debian package "${entry.name}" has no files in the global site directories (searched ${ctx.sitesText})`);
  }
  return items;
}

/** The absolute directory a `path:` entry names, or null (reported) when it cannot be used. */
export function matchPath(ctx: ResolveContext, entry: EntryOf<'path'>): string | null {
  let p = entry.path;
  if (!path.isAbsolute(p)) {
    if (ctx.baseDir === undefined) {
      ctx.diagnostics.error(entry.at, `path "${p}" must be absolute`);
      return null;
    }
    p = path.resolve(ctx.baseDir, p);
  }
  p = path.resolve(p);
  if (/[\r\n]|\s$/.test(p)) {
    // site.py reads .pth files line by line and strips trailing whitespace.
    ctx.diagnostics.error(entry.at, `path ${JSON.stringify(p)} cannot be written to a .pth file (line break or trailing space)`);
    return null;
  }
  if (!isDir(p)) {
    ctx.diagnostics.error(entry.at, `path ${p} does not exist or is not a directory`);
    return null;
  }
  return p;
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

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
