import path from 'node:path';
import { UserError } from '../errors/user-error.js';

/**
 * The first component of an entry path that stands for the environment's overlay directory
 * (cherry-pick isolation). The overlay lives beside the environment, not in it: pip counts as
 * "local" (`pip freeze --local`, `pip list --local`, what `pip uninstall` may touch) only what
 * lies under `sys.prefix`, and the allowed global packages must not be, exactly as with
 * `--system-site-packages`. No renderer makes a path component starting with `@` otherwise.
 */
export const OVERLAY_ROOT = '@overlay';

const STAGING_NAME = /^\.(.+)\.envbuild-staging$/;

/** The overlay directory's name for an environment directory named `rootName`: `.<name>.envbuild-overlay`. */
export function overlayDirName(rootName: string): string {
  return `.${rootName}.envbuild-overlay`;
}

/**
 * Where the overlay of the environment at `root` lives: `<parent>/.<name>.envbuild-overlay`, a
 * name reserved for envbuild like the staging directory's. An environment built in its staging
 * directory (`.<name>.envbuild-staging`) gets its final overlay: only the root is renamed.
 */
export function overlayRootOf(root: string): string {
  const base = path.basename(root);
  const name = STAGING_NAME.exec(base)?.[1] ?? base;
  return path.join(path.dirname(root), overlayDirName(name));
}

/** The directory an entry path starts from and its components below it, after checking it. */
export function entryBase(root: string, rel: string): { readonly base: string; readonly parts: readonly string[] } {
  if (rel === '' || path.isAbsolute(rel) || rel.includes('\0')) {
    throw new UserError('EPATH', `refusing path "${rel}": entry paths must be relative to the environment`);
  }
  const parts = rel.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw new UserError('EPATH', `refusing path "${rel}": it must not contain "..", "." or empty components`);
  }
  if (parts[0] === OVERLAY_ROOT) return { base: overlayRootOf(root), parts: parts.slice(1) };
  return { base: root, parts };
}

/**
 * Joins an entry path to an environment root, refusing anything that could land outside it
 * (or outside its overlay directory, for paths starting with `@overlay`). Entry paths come from
 * our own renderers but also from state.json, which is untrusted input (a hand-edited or
 * corrupted state must never make envbuild write or delete elsewhere).
 */
export function joinInside(root: string, rel: string): string {
  // The common case in two regular expressions: a plan joins every entry of every environment.
  if (isPlainEntryPath(rel)) {
    return rel.startsWith(`${OVERLAY_ROOT}/`) ? path.join(overlayRootOf(root), rel.slice(OVERLAY_ROOT.length + 1)) : path.join(root, rel);
  }
  const { base, parts } = entryBase(root, rel);
  return path.join(base, ...parts);
}

/** Relative, no NUL, no empty, `.` or `..` component: what entryBase accepts (`@overlay` alone aside). */
const ENTRY_PATH = /^(?:[^/\0]+\/)*[^/\0]+$/;
const DOT_COMPONENT = /(?:^|\/)\.\.?(?:\/|$)/;
export function isPlainEntryPath(rel: string): boolean {
  return ENTRY_PATH.test(rel) && !DOT_COMPONENT.test(rel) && rel !== OVERLAY_ROOT;
}

/**
 * Entry path `to` relative to the directory `from` (both entry paths of the environment named
 * `rootName`), for the `.pth` line and site.py: relative, so a moved project keeps working.
 */
export function relativeEntryPath(rootName: string, from: string, to: string): string {
  const place = (rel: string): string => {
    const [first, ...rest] = rel.split('/');
    return first === OVERLAY_ROOT ? path.posix.join('/p', overlayDirName(rootName), ...rest) : path.posix.join('/p/root', rel);
  };
  return path.posix.relative(place(from), place(to));
}

