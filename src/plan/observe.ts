import fs from 'node:fs/promises';
import { observeSync } from '../layout/materialize.js';
import type { Observed } from '../layout/tree.js';
import type { StateFile } from '../state/types.js';
import type { DesiredEnvironment, Observations, RootObservation } from './types.js';

/**
 * Reads, never writes: the disk facts the planner needs, for each root that is wanted or
 * recorded, and each entry path either side mentions. Everything runs concurrently; on a
 * no-op run this is the only disk work besides loading the manifest.
 */
export async function observeDisk(desired: readonly DesiredEnvironment[], state: StateFile): Promise<Observations> {
  const wanted = new Map<string, Set<string>>();
  const want = (root: string, paths: Iterable<string>) => {
    const set = wanted.get(root) ?? new Set<string>();
    for (const p of paths) set.add(p);
    wanted.set(root, set);
  };
  for (const d of desired) want(d.path, [...d.entries.map((e) => e.path), ...(d.derived?.paths ?? [])]);
  for (const rec of Object.values(state.environments)) want(rec.path, rec.entries.map((e) => e.path));

  const roots = await Promise.all(
    [...wanted].map(async ([root, paths]): Promise<[string, RootObservation]> => [root, await observeRoot(root, paths)]),
  );
  return Object.fromEntries(roots);
}

async function observeRoot(root: string, paths: Set<string>): Promise<RootObservation> {
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
  const entries: Record<string, Observed> = {};
  for (const p of paths) entries[p] = observeSync(root, p);
  return { children, entries };
}
