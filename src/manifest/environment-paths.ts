import path from 'node:path';
import type { SourceLocation } from '../errors/diagnostic.js';
import { code } from './describe.js';
import type { NormaliseContext } from './normalise-context.js';
import type { KeyPath } from './types.js';

export interface PlacedEnvironment {
  readonly name: string;
  readonly path: string;
  /** Where the path is written, or the environment's key when it is the default. */
  readonly at: SourceLocation;
  readonly keyPath: KeyPath;
}

/**
 * Resolves an environment's directory: `envs/<name>` by default, relative to the manifest's
 * directory. A relative path must stay inside that directory: envbuild creates and removes
 * what is there, and `..` in a path checked into a project is far more often a slip than a
 * wish to build outside it. An absolute path says it means it, and is kept as written.
 */
export function environmentPath(
  name: string,
  written: { readonly value: string; readonly at: SourceLocation } | undefined,
  ctx: NormaliseContext,
): string {
  const keyPath = ['environments', name, 'path'];
  if (!written) return path.join(ctx.dir, 'envs', name);
  // envbuild removes its own staging directories (and names backups) by these patterns.
  const reserved = path
    .resolve(ctx.dir, written.value)
    .split(path.sep)
    .find((part) => /\.envbuild-(staging|backup-.*)$/.test(part) || part === '.envbuild');
  if (reserved !== undefined) {
    ctx.diagnostics.error(`path ${code(written.value)} uses the name ${code(reserved)}, which envbuild reserves for its own directories`, written.at, {
      keyPath,
      hint: 'names ending in .envbuild-staging or .envbuild-backup-…, and .envbuild, are envbuild’s; choose another name',
    });
  }
  if (path.isAbsolute(written.value)) return path.resolve(written.value);
  const resolved = path.resolve(ctx.dir, written.value);
  const inside = path.relative(ctx.dir, resolved);
  if (inside === '') {
    ctx.diagnostics.error(`path ${code(written.value)} is the manifest's own directory`, written.at, {
      keyPath,
      hint: `give the environment a directory of its own, e.g. ${code(`envs/${name}`)}`,
    });
  } else if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    ctx.diagnostics.error(`path ${code(written.value)} leaves the manifest's directory`, written.at, {
      keyPath,
      hint: `use a path inside ${ctx.dir}, or an absolute path if the environment really belongs elsewhere`,
    });
  }
  return resolved;
}

/**
 * Two environments in one directory, or one inside another, would overwrite or delete each
 * other's files. Reported at the later one, naming the earlier; environments sharing one
 * directory are named by the first of them, so n copies of one path make n - 1 problems,
 * not n². Lookups by path keep this near-linear for manifests of any size: the earlier
 * environments around a path are those at the path itself, at its ancestors (at most one
 * per path segment) and at its descendants (one range of the sorted paths).
 */
export function checkOverlaps(environments: readonly PlacedEnvironment[], ctx: NormaliseContext): void {
  // The manifest directory itself is reported by environmentPath; it contains everything.
  const placed = environments.filter((e) => e.path !== ctx.dir);
  /** Each directory's first environment, by manifest order. */
  const firstAt = new Map<string, Earlier>();
  placed.forEach((env, index) => {
    if (!firstAt.has(env.path)) firstAt.set(env.path, { index, env });
  });
  const sortedPaths = [...firstAt.keys()].sort();

  /** The earlier environments at an ancestor or a descendant of this one's directory. */
  const around = (env: PlacedEnvironment, index: number): Found[] => {
    const found: Found[] = [];
    for (let dir = path.dirname(env.path); ; dir = path.dirname(dir)) {
      const ancestor = firstAt.get(dir);
      if (ancestor && ancestor.index < index) found.push({ ...ancestor, relation: 'inside' });
      if (path.dirname(dir) === dir) break;
    }
    const prefix = env.path.endsWith(path.sep) ? env.path : env.path + path.sep;
    for (let i = lowerBound(sortedPaths, prefix); i < sortedPaths.length; i++) {
      const descendant = firstAt.get(sortedPaths[i] ?? '');
      if (!sortedPaths[i]?.startsWith(prefix) || !descendant) break;
      if (descendant.index < index) found.push({ ...descendant, relation: 'contains' });
    }
    return found;
  };

  placed.forEach((later, index) => {
    const same = firstAt.get(later.path);
    // A copy of an earlier environment's directory overlaps whatever that one does, which is
    // reported for that one: saying it again for each copy would only repeat it.
    const found = same && same.index < index ? [{ ...same, relation: 'same' as const }] : around(later, index);
    for (const { env: earlier, relation } of found.sort((a, b) => a.index - b.index)) {
      const message =
        relation === 'same'
          ? `environments ${code(earlier.name)} and ${code(later.name)} have the same path ${later.path}`
          : relation === 'inside'
            ? `environment ${code(later.name)} is inside environment ${code(earlier.name)} (${earlier.path})`
            : `environment ${code(later.name)} contains environment ${code(earlier.name)} (${earlier.path})`;
      ctx.diagnostics.error(message, later.at, {
        keyPath: later.keyPath,
        hint: 'give each environment a directory of its own, neither inside the other',
      });
    }
  });
}

interface Earlier {
  /** Position in manifest order. */
  readonly index: number;
  readonly env: PlacedEnvironment;
}

interface Found extends Earlier {
  readonly relation: Relation;
}

type Relation = 'same' | 'inside' | 'contains';

/** Index of the first element not less than `key` in a sorted array. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
