import { spawn } from 'node:child_process';
import os from 'node:os';

/** Signals a user or a supervisor may send envbuild that belong to the command it runs. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * Runs a program on the terminal envbuild was given and returns its exit status as a shell
 * would: its exit code, or 128 + the signal number when a signal ended it. Signals sent to
 * envbuild are passed on to the program (as npm and uv do), so `kill` and Ctrl-C reach it
 * and envbuild leaves only after it has.
 */
export function runChild(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = () => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
