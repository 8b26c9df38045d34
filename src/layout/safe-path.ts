import path from 'node:path';
import { UserError } from '../errors/user-error.js';

/**
 * Joins an entry path to an environment root, refusing anything that could land outside it.
 * Entry paths come from our own renderers but also from state.json, which is untrusted input
 * (a hand-edited or corrupted state must never make envbuild write or delete elsewhere).
 */
export function joinInside(root: string, rel: string): string {
  if (rel === '' || path.isAbsolute(rel) || rel.includes('\0')) {
    throw new UserError('EPATH', `refusing path "${rel}": entry paths must be relative to the environment`);
  }
  const parts = rel.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw new UserError('EPATH', `refusing path "${rel}": it must not contain "..", "." or empty components`);
  }
  // The components are plain names, so joining to a normalised absolute root is concatenation
  // (called for every entry of every environment: path.join's normalising showed in profiles).
  if (root !== lastRoot) {
    lastRoot = root;
    lastBase = path.isAbsolute(root) ? path.normalize(root).replace(/\/+$/, '') : null;
  }
  return lastBase === null ? path.join(root, ...parts) : `${lastBase}/${rel}`;
}

let lastRoot: string | undefined;
let lastBase: string | null = null;
