import path from 'node:path';
import { parseCoreMetadata, parseNameList, type CoreMetadata } from './core-metadata.js';
import { readTextIfExists, siteRelative } from './read-dist-info.js';
import { parseRequiresTxt, type Requirement } from './requirements.js';

/**
 * What discovery reads of a `*.egg-info`. The directory form holds PKG-INFO and friends; the
 * file form (old distutils installs) is the PKG-INFO itself and says nothing about files.
 */
export interface EggInfoRead {
  readonly core: CoreMetadata;
  readonly topLevel: readonly string[] | null;
  readonly namespacePackages: readonly string[];
}

export function readEggInfo(site: string, entry: string, isDir: boolean): EggInfoRead {
  const p = path.join(site, entry);
  if (!isDir) {
    return { core: parseCoreMetadata(readTextIfExists(p) ?? ''), topLevel: null, namespacePackages: [] };
  }
  const topLevel = readTextIfExists(path.join(p, 'top_level.txt'));
  const ns = readTextIfExists(path.join(p, 'namespace_packages.txt'));
  return {
    core: parseCoreMetadata(readTextIfExists(path.join(p, 'PKG-INFO')) ?? ''),
    topLevel: topLevel === null ? null : parseNameList(topLevel),
    namespacePackages: ns === null ? [] : parseNameList(ns),
  };
}

export function readEggRequirements(site: string, entry: string, isDir: boolean): Requirement[] {
  if (!isDir) return [];
  const text = readTextIfExists(path.join(site, entry, 'requires.txt'));
  return text === null ? [] : parseRequiresTxt(text);
}

/**
 * pip's legacy installs leave `installed-files.txt` (paths relative to the egg-info directory);
 * Debian's egg-info directories have no file list at all (see dpkg.ts). Null when absent.
 */
export function readEggInstalledFiles(site: string, entry: string, isDir: boolean): string[] | null {
  if (!isDir) return null;
  const text = readTextIfExists(path.join(site, entry, 'installed-files.txt'));
  if (text === null) return null;
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (l === '') continue;
    const rel = siteRelative(site, path.posix.isAbsolute(l) ? l : path.posix.join(entry, l));
    if (rel !== null) out.push(rel);
  }
  return out;
}
