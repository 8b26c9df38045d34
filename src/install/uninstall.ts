/**
 * Uninstalls a distribution by its RECORD, as pip does — but a RECORD is untrusted, so every
 * path it lists is checked first: all of them must be inside the environment (lexically and
 * with symlinks resolved), or nothing is removed. Directories left empty are removed up to the
 * scheme directories themselves.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { isInside } from './env-dirs.js';
import { parseRecord } from './record.js';
import { canonicalName } from './wheel-filename.js';
import { parseHeaders } from './wheel-metadata.js';
import type { InstallTarget, UninstallResult } from './types.js';

/** `.dist-info` directories of `name` in the target's lib directories. */
export async function findDistInfos(target: Pick<InstallTarget, 'purelib' | 'platlib'>, name: string): Promise<string[]> {
  return (await distInfosByName(target)).get(canonicalName(name)) ?? [];
}

/** Every `.dist-info` directory in the target's lib directories by canonical name: one listing each. */
export async function distInfosByName(target: Pick<InstallTarget, 'purelib' | 'platlib'>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const lib of new Set([target.purelib, target.platlib])) {
    let names: string[];
    try {
      names = await fs.readdir(lib);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith('.dist-info')) continue;
      const key = canonicalName(n.slice(0, -'.dist-info'.length).split('-')[0] ?? '');
      out.set(key, [...(out.get(key) ?? []), path.join(lib, n)]);
    }
  }
  return out;
}

export async function uninstallDistInfo(target: Pick<InstallTarget, 'prefix' | 'scripts' | 'purelib' | 'platlib' | 'headers' | 'data'>, distInfo: string): Promise<UninstallResult> {
  const prefix = path.resolve(target.prefix);
  const realPrefix = await fs.realpath(prefix);
  const meta = parseHeaders(await fs.readFile(path.join(distInfo, 'METADATA'), 'utf8').catch(() => ''));
  let recordText: string;
  try {
    recordText = await fs.readFile(path.join(distInfo, 'RECORD'), 'utf8');
  } catch {
    throw new UserError('EUNINSTALL', `cannot uninstall ${path.basename(distInfo)}: it has no RECORD`, { hint: 'it was not installed from a wheel; remove it by hand or reinstall it first' });
  }
  const base = path.dirname(distInfo);
  const files = new Set<string>();
  for (const row of parseRecord(recordText)) {
    const p = path.resolve(base, row.path);
    if (!isInside(prefix, p) || row.path.includes('\0')) {
      throw new UserError('EUNINSTALL', `refusing to uninstall ${path.basename(distInfo)}: its RECORD lists ${row.path}, outside the environment ${prefix}`, {
        hint: 'the RECORD was altered; nothing was removed',
      });
    }
    files.add(p);
    // pip removes the bytecode of every listed module too.
    if (p.endsWith('.py')) files.add(path.join(path.dirname(p), '__pycache__', path.basename(p, '.py')));
  }
  for (const p of files) {
    const realParent = await fs.realpath(path.dirname(p)).catch(() => undefined);
    if (realParent !== undefined && !isInside(realPrefix, realParent)) {
      throw new UserError('EUNINSTALL', `refusing to uninstall ${path.basename(distInfo)}: ${p} resolves outside the environment`, { hint: 'a symlink inside the environment points elsewhere; nothing was removed' });
    }
  }
  const removed: string[] = [];
  for (const p of files) {
    if (path.basename(path.dirname(p)) === '__pycache__' && !p.endsWith('.pyc')) {
      removed.push(...(await removePycs(p)));
      continue;
    }
    try {
      await fs.unlink(p);
      removed.push(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  await fs.rm(distInfo, { recursive: true, force: true });
  const keep = new Set([prefix, target.scripts, target.purelib, target.platlib, target.headers, target.data].map((d) => path.resolve(d)));
  await removeEmptyParents([...files, distInfo], keep, prefix);
  return { name: meta.get('name')?.[0] ?? path.basename(distInfo), version: meta.get('version')?.[0] ?? '', removed };
}

/** `<dir>/__pycache__/<module>.*.pyc` for a stem path `<dir>/__pycache__/<module>`. */
async function removePycs(stem: string): Promise<string[]> {
  const dir = path.dirname(stem);
  const prefix = `${path.basename(stem)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.filter((n) => n.startsWith(prefix) && n.endsWith('.pyc'))) {
    await fs.unlink(path.join(dir, n)).catch(() => undefined);
    out.push(path.join(dir, n));
  }
  return out;
}

async function removeEmptyParents(paths: readonly string[], keep: ReadonlySet<string>, prefix: string): Promise<void> {
  const dirs = new Set<string>();
  for (const p of paths) for (let d = path.dirname(p); isInside(prefix, d) && !keep.has(d); d = path.dirname(d)) dirs.add(d);
  // Deepest first, so a parent is tried after its children.
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fs.rmdir(d).catch(() => undefined);
}
