import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CreatedPath } from '../recipe-api/api.js';
import { UserError } from '../errors/user-error.js';
import { faultPoint } from '../fault-injection.js';

/** What a created path is now, in the form state records; null when it is gone. */
export async function describeCreated(file: string): Promise<CreatedPath | null> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return { path: file, kind: 'symlink', target: await fs.readlink(file) };
  if (st.isDirectory()) return { path: file, kind: 'dir' };
  const sha256 = createHash('sha256').update(await fs.readFile(file)).digest('hex');
  return { path: file, kind: 'file', sha256, mode: st.mode & 0o7777 };
}

/** Drift of recorded paths, as plan reasons: `etc/app.ini missing`, `etc/app.ini edited`. */
export async function createdDrift(created: readonly CreatedPath[], shownFrom: string): Promise<string[]> {
  const reasons: string[] = [];
  for (const c of created) {
    const now = await describeCreated(c.path);
    const name = path.relative(shownFrom, c.path) || c.path;
    if (!now) reasons.push(`${name} missing`);
    else if (!sameCreated(c, now)) reasons.push(`${name} edited`);
  }
  return reasons;
}

export function sameCreated(a: CreatedPath, b: CreatedPath): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'file' && b.kind === 'file') return a.sha256 === b.sha256 && a.mode === b.mode;
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  return true;
}

/**
 * The first directory between the innermost of `within` holding `file` and the file itself
 * that is a symbolic link: going through it would remove something elsewhere.
 */
async function linkedParent(file: string, within: readonly string[]): Promise<{ path: string; target: string } | null> {
  const anchor = within
    .filter((dir) => file.startsWith(`${dir}${path.sep}`))
    .sort((a, b) => b.length - a.length)[0];
  if (anchor === undefined) return null;
  let dir = anchor;
  for (const part of path.relative(anchor, path.dirname(file)).split(path.sep).filter(Boolean)) {
    dir = path.join(dir, part);
    const st = await fs.lstat(dir).catch(() => null);
    if (st?.isSymbolicLink()) return { path: dir, target: await fs.readlink(dir) };
    if (!st) return null;
  }
  return null;
}

/**
 * Removes recorded paths, children first, each only if still exactly what the part made: an
 * edited file, a re-pointed link or a directory with something new in it is kept and reported.
 */
export async function removeCreatedPaths(created: readonly CreatedPath[], within: readonly string[] = []): Promise<Array<{ path: string; why: string }>> {
  const kept: Array<{ path: string; why: string }> = [];
  const ordered = [...created].sort((a, b) => b.path.length - a.path.length || (a.path < b.path ? 1 : -1));
  for (const c of ordered) {
    if (!path.isAbsolute(c.path) || path.normalize(c.path) !== c.path || c.path === '/') {
      kept.push({ path: c.path, why: 'not a normalised absolute path; refusing to touch it' });
      continue;
    }
    const link = await linkedParent(c.path, within);
    if (link) {
      throw new UserError('EPATH', `refusing to remove ${c.path}: its parent ${link.path} is now a symbolic link to ${link.target}`, {
        hint: 'envbuild does not follow links it did not make; remove the link and run again',
      });
    }
    const now = await describeCreated(c.path);
    if (!now) continue;
    if (!sameCreated(c, now)) {
      kept.push({ path: c.path, why: 'changed since envbuild created it' });
      continue;
    }
    try {
      if (c.kind === 'dir') await fs.rmdir(c.path);
      else await fs.unlink(c.path);
      faultPoint(`remove ${c.path}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      kept.push({ path: c.path, why: code === 'ENOTEMPTY' || code === 'EEXIST' ? 'not empty' : `could not remove (${code ?? 'error'})` });
    }
  }
  return kept;
}
