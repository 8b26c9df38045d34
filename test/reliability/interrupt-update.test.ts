/**
 * SIGKILL at many moments of an apply that changes a built project — a part updated, one
 * removed, one added, an environment updated in place, one moved (replaced), one removed and
 * one created — and of a destroy; each time the next run must converge to what a clean run
 * leaves. See interrupt-create.test.ts for the method.
 */
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { cli, convergenceFailures, faultPoints, makeScenario, normalisedState, normalisedTree, resetTo, pickKillPoints, threeEnvironments, type Scenario } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const changed = (python: string) => `envbuild: 1
environments:
  a:
    python: ${python}
    isolation: system
    parts:
      one: {recipe: ./recipes/note.mjs, text: a1 changed, file: one.txt}
      three: {recipe: ./recipes/note.mjs, text: "length \${parts.one.length}", file: three.txt, dir: etc}
  c:
    python: ${python}
    path: moved/c
    parts:
      one: {recipe: ./recipes/note.mjs, text: c1}
      two: {recipe: ./recipes/note.mjs, text: c2, file: two.txt}
  d:
    python: ${python}
    parts:
      one: {recipe: ./recipes/note.mjs, text: d1}
`;

interface Trial {
  readonly command: 'apply' | 'destroy';
  readonly manifest: string;
}

/** Runs `count` kill points of `trial` from the built project saved in `start`; returns failures. */
function killTrials(work: Scenario, start: string, trial: Trial, count: number, reference?: string[]) {
  resetTo(work.dir, start);
  work.write(trial.manifest);
  const traced = cli(work.dir, [trial.command], { killAfter: 1e9 });
  expect(traced.code, traced.stderr).toBe(0);
  const points = faultPoints(traced.stderr);
  const want = { tree: normalisedTree(work.dir), state: normalisedState(work.dir) };
  if (reference) expect(want.tree).toEqual(reference);

  const picks = pickKillPoints(points, count);
  const failures: string[] = [];
  for (const n of picks) {
    resetTo(work.dir, start);
    work.write(trial.manifest);
    const at = `${trial.command} kill point ${n} (after ${points[n - 1]})`;
    const killed = cli(work.dir, [trial.command], { killAfter: n });
    if (killed.signal !== 'SIGKILL') failures.push(`${at}: was not killed (${killed.code}): ${killed.stderr}`);
    const recovered = cli(work.dir, [trial.command]);
    if (recovered.code !== 0) {
      failures.push(`${at}: recovering ${trial.command} exited ${recovered.code}: ${recovered.stderr}`);
      continue;
    }
    failures.push(...convergenceFailures(work.dir, want, at));
  }
  const converged = picks.length - new Set(failures.map((f) => f.split(':')[0])).size;
  return { tried: picks.length, total: points.length, converged, failures };
}

describe('SIGKILL during an apply that changes a built project, and during destroy', () => {
  it('converges from every kill point', { timeout: 1_800_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    // The reference, in another directory: a clean apply of the first manifest, then the second.
    const reference = makeScenario(threeEnvironments(python));
    expect(cli(reference.dir, ['apply']).code).toBe(0);
    reference.write(changed(python));
    expect(cli(reference.dir, ['apply']).code).toBe(0);

    const work = makeScenario(threeEnvironments(python));
    expect(cli(work.dir, ['apply']).code).toBe(0);
    const built = tempDir('envbuild-rel-built-');
    resetTo(built, work.dir);

    const update = killTrials(work, built, { command: 'apply', manifest: changed(python) }, 30, normalisedTree(reference.dir));
    const destroy = killTrials(work, built, { command: 'destroy', manifest: threeEnvironments(python) }, 12);
    console.log(
      `interrupted update: ${update.tried} of ${update.total} kill points tried, ${update.converged} converged; ` +
        `interrupted destroy: ${destroy.tried} of ${destroy.total} tried, ${destroy.converged} converged`,
    );
    expect([...update.failures, ...destroy.failures]).toEqual([]);
  });
});
