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
 * other's files. Reported at the later one, naming the earlier.
 */
export function checkOverlaps(environments: readonly PlacedEnvironment[], ctx: NormaliseContext): void {
  // The manifest directory itself is reported by environmentPath; it contains everything.
  const placed = environments.filter((e) => e.path !== ctx.dir);
  for (const [j, later] of placed.entries()) {
    for (const earlier of placed.slice(0, j)) {
      const relation = overlap(earlier.path, later.path);
      if (!relation) continue;
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
  }
}

function overlap(a: string, b: string): 'same' | 'inside' | 'contains' | undefined {
  if (a === b) return 'same';
  if (b.startsWith(a.endsWith(path.sep) ? a : a + path.sep)) return 'inside';
  if (a.startsWith(b.endsWith(path.sep) ? b : b + path.sep)) return 'contains';
  return undefined;
}
