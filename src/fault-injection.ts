/**
 * Test-only fault injection. The reliability tests set `ENVBUILD_FAULT_KILL_AFTER=N` to make
 * the process kill itself with SIGKILL right after its N-th change to the disk, then check
 * that the next apply converges. Every point is also traced to stderr as
 * `envbuild-fault-point <n> <what>`, so a test can count the points of a run (with a huge N)
 * and aim at each one. The variable is read once; when unset, `faultPoint` returns at once.
 * Never set it outside tests.
 */
import { writeSync } from 'node:fs';

const KILL_AFTER = Number(process.env['ENVBUILD_FAULT_KILL_AFTER'] ?? 0) || 0;
let count = 0;

/** Call after each mutation of the disk (a file written, renamed, removed; state saved). */
export function faultPoint(what: string): void {
  if (KILL_AFTER <= 0) return;
  count++;
  writeSync(2, `envbuild-fault-point ${count} ${what}\n`);
  if (count === KILL_AFTER) process.kill(process.pid, 'SIGKILL');
}
