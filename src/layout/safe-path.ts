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
  return path.join(root, ...parts);
}
