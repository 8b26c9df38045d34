/**
 * The PEP 508 marker environment envbuild computes for an interpreter (from its probe, without
 * running it again) must be the one the interpreter itself reports: pip's vendored
 * `packaging.markers.default_environment()`, run by that interpreter. Checked once, on Debian's
 * python3.11 and on a pyenv build.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { markerEnvironment } from '../../src/isolation/markers.js';
import { probeInterpreter } from '../../src/python/index.js';
import { debianPython, pyenvVersion, type SkippableContext } from '../helpers/require-python.js';

const REPORT = `
import json
from pip._vendor.packaging.markers import default_environment
print(json.dumps(default_environment()))
`;

/** What the interpreter reports, through the pip it has (-I: nothing from this shell; -B: no bytecode written). */
function reported(python: string): Record<string, string> {
  const r = spawnSync(python, ['-I', '-B', '-c', REPORT], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (r.status !== 0) throw new Error(`${python} could not report its marker environment:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

const interpreters: Array<[string, (ctx: SkippableContext) => string]> = [
  ["Debian's python3.11", (ctx) => debianPython(ctx, 11)],
  ["pyenv's 3.12", (ctx) => pyenvVersion(ctx, '3.12')],
];

describe('the marker environment envbuild computes', () => {
  it.for(interpreters)('is what %s reports', async ([, find], ctx) => {
    const python = find(ctx);
    const ours = markerEnvironment(await probeInterpreter(python));
    const theirs = reported(python);
    // `extra` is set per requirement, not by the interpreter.
    const { extra, ...computed } = ours;
    expect(extra).toBe('');
    expect(computed).toEqual(theirs);
  });
});
