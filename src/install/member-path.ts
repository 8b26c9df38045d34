import { UserError } from '../errors/user-error.js';

/**
 * Refuses a path from a wheel (a zip member, a RECORD row made relative) that is absolute,
 * holds `..`, `.`, empty components, a backslash or NUL: such a path could land outside the
 * environment, and no honest wheel has one.
 */
export function checkMemberPath(name: string, wheel: string): void {
  const parts = name.split('/');
  if (name === '' || name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\\') || name.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new UserError('EWHEELPATH', `${wheel}: refusing member "${name}": it would be written outside the environment`, {
      hint: 'the wheel is malformed or malicious; nothing was installed from it',
    });
  }
}
