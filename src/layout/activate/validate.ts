import path from 'node:path';
import { UserError } from '../../errors/user-error.js';
import type { ActivationContext } from './context.js';

/** C0 and C1 controls, DEL included: a newline or a NUL cannot be quoted in every shell. */
const CONTROL = /\p{Cc}/u;

/** A control character, shown as a code point a user can find in their manifest. */
export function findControlCharacter(s: string): string | undefined {
  const m = CONTROL.exec(s);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/**
 * Refuses what no activation script can carry faithfully. The same rules as venv's where venv
 * has one: it refuses an environment path holding the PATH separator too (prepending such a
 * path to PATH would add two wrong entries, one of them relative).
 */
export function assertActivationContext(ctx: ActivationContext): void {
  const { envDir, prompt } = ctx;
  if (!envDir.startsWith('/')) {
    throw new UserError('ELAYOUT', `environment path "${envDir}" is not absolute`, {
      hint: 'this is a bug in the caller: resolve the path against the manifest directory first',
    });
  }
  if (path.posix.normalize(envDir) !== envDir || (envDir !== '/' && envDir.endsWith('/'))) {
    throw new UserError('ELAYOUT', `environment path "${envDir}" is not normalised`, {
      hint: 'this is a bug in the caller: pass the path through path.resolve() first',
    });
  }
  const control = findControlCharacter(envDir);
  if (control !== undefined) {
    throw new UserError('ELAYOUT', `environment path ${JSON.stringify(envDir)} contains the control character ${control}`, {
      hint: 'choose a path made of printable characters',
    });
  }
  if (envDir.includes(':')) {
    throw new UserError('ELAYOUT', `environment path "${envDir}" contains ":", the PATH separator`, {
      hint: 'activating it would put wrong directories on PATH (python -m venv refuses such paths too); choose a path without ":"',
    });
  }
  if (prompt === '') {
    throw new UserError('ELAYOUT', 'the prompt is empty', { hint: 'give the environment a prompt, or leave the default (its name)' });
  }
  const promptControl = findControlCharacter(prompt);
  if (promptControl !== undefined) {
    throw new UserError('ELAYOUT', `prompt ${JSON.stringify(prompt)} contains the control character ${promptControl}`, {
      hint: 'a prompt is one line of printable text',
    });
  }
}
