/**
 * The UserError (or the subclass given, such as ManifestError) a call or a promise ends with, for
 * asserting its code, message and hint; anything else fails the test.
 */
import { UserError } from '../../src/errors/user-error.js';

export function refusal<E extends UserError = UserError>(f: () => unknown, kind: abstract new (...args: never[]) => E = UserError as never): E {
  try {
    f();
  } catch (e) {
    if (e instanceof kind) return e;
    throw e;
  }
  throw new Error(`expected a ${kind.name}`);
}

export async function rejection(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}
