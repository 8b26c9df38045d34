import path from 'node:path';
import type { PythonInfo } from '../python/interpreter.js';
import type { TreeEntry } from '../layout/tree.js';
import { overlayLinks, type ResolvedAllowlist } from './allowlist.js';
import { OVERLAY_PTH_NAME, renderSitePth } from './site-pth.js';
import { OVERLAY_ROOT } from '../layout/safe-path.js';

/**
 * Where the overlay lives: the entry-path root `@overlay`, which is the directory
 * `<parent>/.<name>.envbuild-overlay` beside the environment (see `overlayRootOf`). Outside the
 * environment's prefix, so pip treats the allowed packages as it treats global ones with
 * `--system-site-packages` (not "local": `pip freeze --local` leaves them out, `pip uninstall`
 * refuses them); outside site-packages, which pip owns and scans for `.pth` files; and away from
 * the directories Debian's Python adds by itself. It is recorded, moved and removed with the
 * environment's other entries, and reached through a relative `.pth` line.
 */
export const OVERLAY_DIR = OVERLAY_ROOT;

/** Keeps the overlay out of `git status` when environments live in the project (as `envs/` does). */
const OVERLAY_GITIGNORE = '# Created by envbuild: the links of a cherry-pick environment.\n*\n';

export interface OverlayContext {
  /** Absolute path of the manifest, written in the `.pth` header. */
  readonly manifestFile: string;
  /** The environment's name, written in the `.pth` header. */
  readonly environment: string;
  /** The environment's directory: the overlay sits beside it, reached from site-packages by its name. */
  readonly root: string;
  /** The base interpreter: its venv scheme's `purelib` is the environment's site-packages. */
  readonly python: Pick<PythonInfo, 'venvScheme'>;
  /** Overrides `OVERLAY_DIR` (relative to the environment root). */
  readonly overlayDir?: string;
  /**
   * Whether to write the `.pth` file (default true). The classic layout's generated site.py
   * adds the overlay itself with `addsitedir`, and passes false.
   */
  readonly pth?: boolean;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The overlay of a cherry-pick environment as tree entries, paths relative to the environment
 * root: the overlay directory (with a `.gitignore`); a real directory for each namespace split between allowed and
 * other distributions (`lazr/`); an absolute symlink for every exposed package, module,
 * `-stubs` package and metadata directory; and the `.pth` file in site-packages (whose parent
 * directories belong to the layout). Pure: same inputs, same entries, same bytes.
 */
export function renderOverlay(allowlist: ResolvedAllowlist, ctx: OverlayContext): TreeEntry[] {
  const overlayDir = ctx.overlayDir ?? OVERLAY_DIR;
  const entries: TreeEntry[] = [{ kind: 'dir', path: overlayDir }];
  if (overlayDir === OVERLAY_ROOT) {
    entries.push({ kind: 'file', path: `${overlayDir}/.gitignore`, content: OVERLAY_GITIGNORE, mode: 0o644 });
  }
  const links = overlayLinks(allowlist);
  // Parents before children: state records entries in this order and removes them in reverse.
  const dirs = new Set<string>();
  for (const link of links) {
    const parts = link.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of [...dirs].sort()) entries.push({ kind: 'dir', path: path.posix.join(overlayDir, d) });
  for (const link of links) {
    entries.push({ kind: 'symlink', path: path.posix.join(overlayDir, link.path), target: link.target });
  }
  if (ctx.pth !== false) {
    const sitePackages = ctx.python.venvScheme.purelib;
    entries.push({
      kind: 'file',
      path: path.posix.join(sitePackages, OVERLAY_PTH_NAME),
      content: renderSitePth({
        allowlist,
        manifestFile: ctx.manifestFile,
        environment: ctx.environment,
        sitePackages,
        overlayDir,
        rootName: path.basename(ctx.root),
      }),
    });
  }
  // A symlink and the same path as a directory would be a resolution bug; dedupe defensively.
  const seen = new Set<string>();
  return entries
    .filter((e) => (seen.has(e.path) ? false : (seen.add(e.path), true)))
    .sort((a, b) => cmp(a.path, b.path));
}
