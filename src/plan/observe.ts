import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readEnvironmentId } from '../layout/identity.js';
import { observeSync, type KnownFile } from '../layout/materialize.js';
import type { Observed } from '../layout/tree.js';
import type { StateFile } from '../state/types.js';
import type { DesiredEnvironment, Observations, RootObservation } from './types.js';

/**
 * Reads, never writes: the disk facts the planner needs, for each root that is wanted or
 * recorded, and each entry path either side mentions. Everything runs concurrently; on a
 * no-op run this is the only disk work besides loading the manifest.
 */
export async function observeDisk(
  desired: readonly DesiredEnvironment[],
  state: StateFile,
  project?: string,
  { trusted = false }: { readonly trusted?: boolean } = {},
): Promise<Observations> {
  const wanted = new Map<string, Set<string>>();
  const want = (root: string, paths: Iterable<string>) => {
    const set = wanted.get(root) ?? new Set<string>();
    for (const p of paths) set.add(p);
    wanted.set(root, set);
  };
  for (const d of desired) want(d.path, [...d.entries.map((e) => e.path), ...(d.derived?.paths ?? [])]);
  for (const rec of Object.values(state.environments)) want(rec.path, rec.entries.map((e) => e.path));
  const known = trusted ? knownFiles(state) : new Map<string, Map<string, KnownFile>>();
  const components = new Map<string, Stats | null>();

  const roots = await Promise.all(
    [...wanted].map(async ([root, paths]): Promise<[string, RootObservation]> => {
      const [seen, linked] = await Promise.all([observeRoot(root, paths, known.get(root)), project ? linkOnTheWay(project, root, components) : null]);
      return [root, linked ? { ...seen, linked } : seen];
    }),
  );
  return Object.fromEntries(roots);
}

/**
 * The first symbolic link between the project and `root` (the root itself included), for
 * roots inside the project: writing there would write wherever the link points.
 */
async function linkOnTheWay(project: string, root: string, seen: Map<string, Stats | null>): Promise<{ path: string; target: string } | null> {
  const rel = path.relative(project, root);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  let at = project;
  for (const name of rel.split(path.sep)) {
    at = path.join(at, name);
    // Synchronous, like the entries below: one lstat per component, once for the parents
    // many roots share (`envs/`).
    let st = seen.get(at);
    if (st === undefined) {
      try {
        st = lstatSync(at);
      } catch {
        st = null;
      }
      seen.set(at, st);
    }
    if (!st) return null;
    if (st.isSymbolicLink()) return { path: at, target: readlinkSync(at) };
  }
  return null;
}

/**
 * Per root, the recorded files that carry a fingerprint. Only a signed state's: a forged
 * fingerprint would otherwise make a plan take an edited file for the recorded one.
 */
function knownFiles(state: StateFile): Map<string, Map<string, KnownFile>> {
  const out = new Map<string, Map<string, KnownFile>>();
  for (const rec of Object.values(state.environments)) {
    const files = out.get(rec.path) ?? new Map<string, KnownFile>();
    for (const e of rec.entries) if (e.stat !== undefined) files.set(e.path, { digest: e.digest, stat: e.stat });
    out.set(rec.path, files);
  }
  return out;
}

async function observeRoot(root: string, paths: Set<string>, known?: ReadonlyMap<string, KnownFile>): Promise<RootObservation> {
  let children: string[] | null;
  try {
    children = (await fs.readdir(root)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    // A file where the root should be is "something in the way", not an absent root.
    children = code === 'ENOTDIR' ? ['(a file)'] : null;
  }
  if (children === null) return { children, entries: {} };
  // Synchronous stats: at thousands of small paths, one promise each cost more than the stat.
  const entries: Record<string, Observed> = {};
  for (const p of paths) {
    const k = known?.get(p);
    entries[p] = observeSync(root, p, k);
  }
  return { children, entries, marker: await readEnvironmentId(root) };
}
