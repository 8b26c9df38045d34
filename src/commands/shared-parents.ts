import fs from 'node:fs/promises';
import path from 'node:path';
import type { StateFile } from '../state/types.js';

/**
 * The directories inside the project, above the roots of the environments this run builds,
 * that are envbuild's own: recorded as a parent by any environment, absent when the run
 * starts (this run makes them), or born since an interrupted build below them started.
 *
 * Taken once, before any environment is built, so what each environment records does not
 * depend on which of them happened to make a shared directory such as `envs/` first — nor on
 * whether an earlier, killed run made it: every environment below such a directory records
 * it, and `destroy` removes it with the last of them, when empty.
 */
export async function ownedAbove(
  project: string,
  /** Environment name → the root this run builds it at. */
  roots: ReadonlyMap<string, string>,
  previous: StateFile,
  /** The interrupted builds' start times (name → filesystem time), when state is trusted. */
  creating: Readonly<Record<string, number>>,
): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const env of Object.values(previous.environments)) for (const dir of env.parents ?? []) owned.add(dir);
  const builds = Object.entries(creating).flatMap(([name, since]) => {
    const root = roots.get(name) ?? previous.environments[name]?.path;
    return root ? [{ root, since }] : [];
  });
  const seen = new Set<string>();
  for (const root of roots.values()) {
    for (const dir of ancestorsInside(project, root)) {
      if (seen.has(dir) || owned.has(dir)) continue;
      seen.add(dir);
      const st = await fs.lstat(dir).catch(() => null);
      if (st === null) {
        owned.add(dir);
        continue;
      }
      const born = st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs;
      if (st.isDirectory() && builds.some((b) => b.root.startsWith(`${dir}/`) && born >= b.since)) owned.add(dir);
    }
  }
  return owned;
}

/**
 * What an environment records as its parents: those its build found it made, and every
 * directory above its root that is envbuild's (see `ownedAbove`), inside the project,
 * outermost first.
 */
export function recordedParents(project: string, root: string, made: readonly string[], owned: ReadonlySet<string>): string[] {
  const above = new Set(ancestorsInside(project, root));
  const all = new Set([...made.filter((d) => above.has(d)), ...[...above].filter((d) => owned.has(d))]);
  return [...all].sort((a, b) => a.length - b.length);
}

/** The directories strictly between the project directory and `root`, outermost first. */
function ancestorsInside(project: string, root: string): string[] {
  const out: string[] = [];
  for (let at = path.dirname(root); at.startsWith(`${project}/`); at = path.dirname(at)) out.unshift(at);
  return out;
}
