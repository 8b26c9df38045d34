/**
 * A first apply of environments built side by side (`--jobs 2`), killed outright (SIGKILL) at
 * every disk change it makes, then applied again: the project must end up exactly as a clean
 * apply leaves it — the same tree and the same state record — whichever environment got to
 * each point first. With two environments in flight the order of the fault points varies from
 * run to run, so kill point N is "the N-th disk change of this run", and every N is tried.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { cli, convergenceFailures, faultPoints, leftovers, makeScenario, normalisedState, normalisedTree, resetTo, twoEnvironments } from './harness.js';

const APPLY = ['apply', '--jobs', '2'];

describe('SIGKILL during a first apply of environments in parallel', () => {
  it('converges to the clean tree and state from every kill point, leaving no staging or temporaries', { timeout: 1_800_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const reference = makeScenario(twoEnvironments(python));
    const traced = cli(reference.dir, APPLY, { killAfter: 1e9 });
    expect(traced.code, traced.stderr).toBe(0);
    const points = faultPoints(traced.stderr);
    expect(points.length).toBeGreaterThan(40);
    // Both environments were in flight at once: b's build started before a's ended.
    const firstOfB = points.findIndex((l) => l.includes('.b.envbuild-staging'));
    const lastOfA = points.findLastIndex((l) => l.startsWith('applied part a.'));
    expect(firstOfB, points.join('\n')).toBeLessThan(lastOfA);

    const work = makeScenario(twoEnvironments(python));
    const pristine = tempDir('envbuild-rel-pristine-');
    resetTo(pristine, work.dir);
    expect(cli(work.dir, APPLY).code).toBe(0);
    const want = { tree: normalisedTree(reference.dir), state: normalisedState(work.dir) };
    expect(normalisedTree(work.dir)).toEqual(want.tree);

    // Every point (the count varies by a few with the interleaving: a state write that finds
    // nothing new is skipped), a few killed again while recovering.
    const all = Array.from({ length: points.length + 2 }, (_, i) => i + 1);
    const failures: string[] = [];
    let killedCount = 0;
    for (const n of all) {
      resetTo(work.dir, pristine);
      const killed = cli(work.dir, APPLY, { killAfter: n });
      const at = `kill point ${n}`;
      if (killed.signal === 'SIGKILL') killedCount++;
      else if (killed.code !== 0) failures.push(`${at}: exited ${killed.code}: ${killed.stderr}`);
      if (n % 7 === 3) cli(work.dir, APPLY, { killAfter: 1 + (n % 11) });
      const recovered = cli(work.dir, APPLY);
      if (recovered.code !== 0) {
        failures.push(`${at}: recovering apply exited ${recovered.code}: ${recovered.stderr}`);
        continue;
      }
      failures.push(...convergenceFailures(work.dir, want, at));
    }
    console.log(`interrupted parallel apply: ${all.length} kill points tried for ${points.length} traced, ${killedCount} killed, ${all.length - new Set(failures.map((f) => f.split(':')[0])).size} converged`);
    expect(failures).toEqual([]);
    expect(killedCount).toBeGreaterThan(points.length - 5);
  });
});

describe('a staging directory whose clearing is interrupted', () => {
  it('still carries its marker, so the next run clears it instead of refusing it', { timeout: 300_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(twoEnvironments(python));
    const pristine = tempDir('envbuild-rel-pristine-');
    resetTo(pristine, p.dir);
    const points = faultPoints(cli(p.dir, ['apply', '--jobs', '1'], { killAfter: 1e9 }).stderr);
    resetTo(p.dir, pristine);
    // Killed with a's staging directory half built (marker, directories, some files).
    const killed = cli(p.dir, ['apply', '--jobs', '1'], { killAfter: points.indexOf('write bin/activate') + 1 });
    expect(killed.signal).toBe('SIGKILL');
    const staging = path.join(p.dir, 'envs', '.a.envbuild-staging');
    expect(fs.readdirSync(staging)).toContain('pyvenv.cfg');
    // The next run is killed as it clears that directory, after its first entry.
    const half = `${p.dir}-half`;
    resetTo(half, p.dir);
    const again = faultPoints(cli(p.dir, ['apply', '--jobs', '1'], { killAfter: 1e9 }).stderr);
    resetTo(p.dir, half);
    const clearing = again.findIndex((l) => l.startsWith(`clear ${staging}/`));
    expect(clearing, again.join('\n')).toBeGreaterThanOrEqual(0);
    expect(cli(p.dir, ['apply', '--jobs', '1'], { killAfter: clearing + 1 }).signal).toBe('SIGKILL');
    expect(fs.readdirSync(staging)).toContain('pyvenv.cfg');
    const recovered = cli(p.dir, ['apply', '--jobs', '1']);
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(leftovers(p.dir)).toEqual([]);
    expect(fs.readdirSync(path.join(p.dir, 'envs')).sort()).toEqual(['a', 'b']);
    for (const d of [pristine, half]) fs.rmSync(d, { recursive: true, force: true });
  });
});
