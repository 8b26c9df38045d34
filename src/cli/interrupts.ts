import type { Io } from './types.js';

/**
 * Runs `work` with Ctrl-C meaning "finish the current step and save state"; a second
 * Ctrl-C leaves at once.
 */
export async function withInterrupts<T>(io: Io, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(130);
    io.err(`\nenvbuild: ${signal} received, stopping after the current step (press Ctrl-C again to quit at once)`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** listr2's live renderer on a terminal, plain lines in CI and pipes, nothing for JSON. */
export function progressMode(json: boolean): 'interactive' | 'plain' | 'silent' {
  if (json) return 'silent';
  return process.stdout.isTTY && !process.env['CI'] ? 'interactive' : 'plain';
}
