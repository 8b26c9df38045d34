import fs from 'node:fs';
import path from 'node:path';
import { parseCoreMetadata, parseNameList, type CoreMetadata } from './core-metadata.js';
import { parseRequirement, type Requirement } from './requirements.js';

/** What discovery reads of a `*.dist-info` directory: cheap files only (RECORD is read on demand). */
export interface DistInfoRead {
  readonly core: CoreMetadata;
  /** `top_level.txt`, or null when the distribution has none (derive from RECORD). */
  readonly topLevel: readonly string[] | null;
}

export function readTextIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function readDistInfo(site: string, entry: string): DistInfoRead {
  const dir = path.join(site, entry);
  const metadata = readTextIfExists(path.join(dir, 'METADATA')) ?? '';
  const topLevel = readTextIfExists(path.join(dir, 'top_level.txt'));
  return { core: parseCoreMetadata(metadata), topLevel: topLevel === null ? null : parseNameList(topLevel) };
}

export function distInfoRequirements(core: CoreMetadata): Requirement[] {
  return core.requiresDist.map((r) => parseRequirement(r)).filter((r): r is Requirement => r !== null);
}

/** The first CSV field of each RECORD row (paths with commas are quoted). */
export function parseRecordPaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('"')) {
      let i = 1;
      let value = '';
      while (i < line.length) {
        const c = line[i] as string;
        if (c === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          break;
        }
        value += c;
        i++;
      }
      out.push(value);
    } else {
      const comma = line.indexOf(',');
      out.push(comma < 0 ? line : line.slice(0, comma));
    }
  }
  return out;
}

/**
 * A path from a file list made relative to the site directory, POSIX, normalised; null for
 * paths outside it (`../../../bin/pip`: scripts and data, never part of the overlay) and for
 * byte-code caches.
 */
export function siteRelative(site: string, p: string): string | null {
  let rel: string;
  if (path.posix.isAbsolute(p)) {
    const r = path.posix.relative(site, p);
    if (r.startsWith('..') || path.posix.isAbsolute(r)) return null;
    rel = r;
  } else {
    rel = path.posix.normalize(p);
  }
  if (rel === '.' || rel === '' || rel === '..' || rel.startsWith('../')) return null;
  rel = rel.replace(/\/+$/, '');
  if (rel.split('/').includes('__pycache__')) return null;
  return rel;
}

/** RECORD paths relative to the site directory; entries outside it and caches dropped. */
export function readRecord(site: string, entry: string): string[] {
  const text = readTextIfExists(path.join(site, entry, 'RECORD'));
  if (text === null) return [];
  const out: string[] = [];
  for (const p of parseRecordPaths(text)) {
    const rel = siteRelative(site, p);
    if (rel !== null) out.push(rel);
  }
  return out;
}
