import { UserError } from '../errors/user-error.js';

/**
 * Runs one call into a recipe (apply, remove) so that it always ends, with a reason:
 * - `timeoutMs` (the part's `timeout:`): past it, the call's signal is aborted (its commands
 *   are killed) and the part fails, whether or not the recipe heeds the signal;
 * - a promise that can never settle (nothing left in the event loop to settle it) would let
 *   Node exit with code 0 and no summary; `beforeExit` tells exactly that case, and the part
 *   fails instead, naming itself;
 * - the run's own signal (Ctrl-C) is passed on, for the caller to report as an interruption.
 */
export function settleRecipeCall<T>(
  /** `part app.deps (packages)`: how messages name the part, as the runner's other errors do. */
  who: string,
  phase: 'apply' | 'remove',
  outer: AbortSignal,
  timeoutMs: number | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onOuterAbort();
  else outer.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let onBeforeExit: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const e = new UserError('ETIMEOUT', `${who}: ${phase} did not finish within ${describeMs(timeoutMs)} (its timeout); it was stopped`, {
          hint: 'raise the part\'s `timeout:` if it needs longer, or find what it waits for',
        });
        controller.abort(e);
        reject(e);
      }, timeoutMs);
    }
    onBeforeExit = () =>
      reject(
        new UserError('ESTALLED', `${who}: the recipe's ${phase}() never finished: it waits for something that will never happen (a promise nobody settles)`, {
          hint: 'this is a bug in the recipe: report it to its author; a `timeout:` on the part bounds how long it may take',
        }),
      );
    process.once('beforeExit', onBeforeExit);
  });
  let running: Promise<T>;
  try {
    running = Promise.resolve(call(controller.signal));
  } catch (e) {
    running = Promise.reject(e);
  }
  return Promise.race([running, ended]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
    if (onBeforeExit) process.off('beforeExit', onBeforeExit);
    outer.removeEventListener('abort', onOuterAbort);
  });
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
