/**
 * An apply killed outright (SIGKILL, nothing can be cleaned up) at many moments of a first
 * apply of three environments with five parts, then applied again: the project must end up
 * exactly as a clean apply leaves it. The kill points are the disk changes envbuild makes,
 * counted by the test-only fault injection (src/fault-injection.ts), so each is hit exactly.
 */
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { cli, convergenceFailures, faultPoints, makeScenario, normalisedState, normalisedTree, resetTo, pickKillPoints, threeEnvironments } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';


// One environment at a time: a kill point is found by its number, so the points come in the
// same order in every run and each label below names what was interrupted. Environments in
// parallel (the default) are killed at every point by interrupt-parallel.test.ts.
const APPLY = ['apply', '--jobs', '1'];

describe('SIGKILL during a first apply', () => {
  it('converges to the clean tree and state from every kill point, leaving no staging or temporaries', { timeout: 900_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const reference = makeScenario(threeEnvironments(python));
    const traced = cli(reference.dir, APPLY, { killAfter: 1e9 });
    expect(traced.code, traced.stderr).toBe(0);
    const points = faultPoints(traced.stderr);
    expect(points.length).toBeGreaterThan(60);

    // Trials run in one directory, reset before each. Their tree must equal the reference's
    // (made elsewhere: paths normalised); their state must equal a clean apply's in the same
    // directory (it records digests of files that hold the path, such as bin/activate).
    const work = makeScenario(threeEnvironments(python));
    const pristine = tempDir('envbuild-rel-pristine-');
    resetTo(pristine, work.dir);
    expect(cli(work.dir, APPLY).code).toBe(0);
    const want = { tree: normalisedTree(reference.dir), state: normalisedState(work.dir) };
    expect(normalisedTree(work.dir)).toEqual(want.tree);

    const picks = pickKillPoints(points, 40);
    // A few runs are killed again while recovering, at varying depths of their own.
    const twice = new Map(picks.filter((_, i) => i % 6 === 3).map((n, i) => [n, 1 + ((i * 7) % 20)]));
    const failures: string[] = [];
    for (const n of picks) {
      resetTo(work.dir, pristine);
      const killed = cli(work.dir, APPLY, { killAfter: n });
      const at = `kill point ${n} (after ${points[n - 1]})`;
      if (killed.signal !== 'SIGKILL') failures.push(`${at}: was not killed (${killed.code}): ${killed.stderr}`);
      const again = twice.get(n);
      if (again !== undefined) cli(work.dir, APPLY, { killAfter: again });
      const recovered = cli(work.dir, APPLY);
      if (recovered.code !== 0) {
        failures.push(`${at}: recovering apply exited ${recovered.code}: ${recovered.stderr}`);
        continue;
      }
      failures.push(...convergenceFailures(work.dir, want, at));
    }
    console.log(
      `interrupted first apply: ${picks.length} of ${points.length} kill points tried (${twice.size} killed again while recovering), ${picks.length - new Set(failures.map((f) => f.split(':')[0])).size} converged`,
    );
    expect(failures).toEqual([]);
  });
});
