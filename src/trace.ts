/**
 * Test-only stage trace. With `ENVBUILD_TRACE=1`, each read-only stage of a command (load the
 * manifest, resolve, plan) and each re-plan writes `envbuild-trace <stage>` to stderr, so a
 * test can prove how often a run does the expensive work. Read once; a no-op when unset.
 */
import { writeSync } from 'node:fs';

const TRACE = process.env['ENVBUILD_TRACE'] === '1';

export function traceStage(what: string): void {
  if (TRACE) writeSync(2, `envbuild-trace ${what}\n`);
}
