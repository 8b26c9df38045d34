/**
 * Finds installed distributions and their entry points by reading metadata directories only
 * (no interpreter runs): the environment's site-packages first, then the directories its `.pth`
 * files add (a cherry-pick overlay, legacy editable projects), then — for `isolation: system` —
 * the base interpreter's global site-packages. The first distribution of a name wins, as on
 * `sys.path`.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RecipeEnvironment } from 'envbuild/recipe';

export interface EntryPoint {
  /** The script name. */
  readonly name: string;
  readonly module: string;
  /** `main` or `cli.main`; empty when the entry point names a module only. */
  readonly attr: string;
  readonly group: 'console_scripts' | 'gui_scripts';
}

export interface Distribution {
  /** Canonical (PEP 503) name. */
  readonly name: string;
  readonly metadataDir: string;
  readonly entryPoints: readonly EntryPoint[];
  /** Absolute paths pip recorded as installed for this distribution (RECORD), when it has one. */
  readonly recorded: ReadonlySet<string>;
}

export function canonicalName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Directories where the environment's interpreter finds distributions, in path order. */
export async function searchDirs(env: RecipeEnvironment): Promise<string[]> {
  const dirs = [env.sitePackages];
  let names: string[] = [];
  try {
    names = (await readdir(env.sitePackages)).filter((n) => n.endsWith('.pth')).sort();
  } catch {
    // no site-packages yet: nothing else either
  }
  for (const pth of names) {
    const text = await readFile(path.join(env.sitePackages, pth), 'utf8').catch(() => '');
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || /^import[\s\t]/.test(line)) continue;
      dirs.push(path.resolve(env.sitePackages, line));
    }
  }
  if (env.isolation === 'system') dirs.push(...env.base.globalSitePackages);
  return [...new Set(dirs)];
}

/** The distribution named `name` as the environment sees it, or undefined. */
export async function findDistribution(dirs: readonly string[], name: string): Promise<Distribution | undefined> {
  const wanted = canonicalName(name);
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      const m = /^(.+?)(-[^-]+?)?\.(dist-info|egg-info)$/.exec(entry);
      if (!m || canonicalName(m[1] as string) !== wanted) continue;
      const metadataDir = path.join(dir, entry);
      return { name: wanted, metadataDir, entryPoints: await readEntryPoints(metadataDir), recorded: await readRecord(dir, metadataDir) };
    }
  }
  return undefined;
}

/** Every distribution in `dir` (for looking up scripts by name when no distribution is named). */
export async function listDistributions(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir))
      .map((e) => /^(.+?)(-[^-]+?)?\.(dist-info|egg-info)$/.exec(e)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(canonicalName)
      .sort();
  } catch {
    return [];
  }
}

async function readEntryPoints(metadataDir: string): Promise<EntryPoint[]> {
  let text: string;
  try {
    text = await readFile(path.join(metadataDir, 'entry_points.txt'), 'utf8');
  } catch {
    return [];
  }
  const out: EntryPoint[] = [];
  let group = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      group = (header[1] as string).trim();
      continue;
    }
    if (group !== 'console_scripts' && group !== 'gui_scripts') continue;
    const m = /^([^=\s]+)\s*=\s*([A-Za-z_][\w.]*)\s*(?::\s*([A-Za-z_][\w.]*))?\s*(\[.*\])?$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1] as string, module: m[2] as string, attr: m[3] ?? '', group });
  }
  return out;
}

/** The RECORD of a dist-info (or installed-files.txt of an egg-info), as absolute paths. */
async function readRecord(dir: string, metadataDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const record = await readFile(path.join(metadataDir, 'RECORD'), 'utf8').catch(() => undefined);
  if (record !== undefined) {
    for (const line of record.split(/\r?\n/)) {
      const file = line.startsWith('"') ? line.slice(1, line.indexOf('"', 1)) : line.split(',')[0];
      if (file) out.add(path.resolve(dir, file));
    }
    return out;
  }
  const files = await readFile(path.join(metadataDir, 'installed-files.txt'), 'utf8').catch(() => '');
  for (const line of files.split(/\r?\n/)) if (line.trim() !== '') out.add(path.resolve(metadataDir, line.trim()));
  return out;
}
