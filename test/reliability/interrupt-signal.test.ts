/**
 * Ctrl-C (SIGINT) during an apply: the running step stops (its command is killed), state is
 * saved up to the last finished step, the exit code is 130, and the next apply finishes the
 * job, converging to what an uninterrupted apply makes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { cli, cliAsync, leftovers, makeScenario, normalisedTree } from './harness.js';

const manifest = (python: string, sleep: string) => `envbuild: 1
environments:
  a:
    python: ${python}
    parts:
      first: {recipe: ./recipes/note.mjs, text: first}
      slow: {recipe: ./recipes/note.mjs, text: slow, file: slow.txt, sleep: "${sleep}"}
  b:
    python: ${python}
`;

describe('SIGINT during apply', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: stops the running step, saves state, exits 130; the next apply converges`, async (ctx) => {
      const python = debianPython(ctx, 11);
      const reference = makeScenario(manifest(python, '0'));
      const referenceRun = cliAsync(reference.dir, ['apply']).done;
      const p = makeScenario(manifest(python, '0'));
      // Slow on the interrupted run only; the manifest is restored before recovering, so the
      // recorded options match the reference's.
      p.write(manifest(python, '30'));
      // One environment at a time: b would otherwise be built (and recorded) beside a.
      const run = cliAsync(p.dir, ['apply', '--jobs', '1']);
      await run.waitFor(/create part slow/);
      run.child.kill(signal);
      const r = await run.done;
      expect(r.code).toBe(130);
      // The slow step was stopped, not waited for: it never wrote its file.
      expect(fs.existsSync(path.join(p.dir, 'envs', 'a', 'share', 'slow.txt'))).toBe(false);
      expect(r.stderr).toContain(`interrupted by ${signal}; state saved up to the last completed step`);
      expect(r.stderr).toContain('run the same command again to finish');
      expect(r.stderr).not.toMatch(/\n\s+at /);

      const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));
      expect(Object.keys(state.environments)).toEqual(['a']);
      expect(Object.keys(state.environments.a.parts)).toEqual(['first']);
      expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);

      p.write(manifest(python, '0'));
      const again = cli(p.dir, ['apply']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('parts: slow create');
      expect((await referenceRun).code).toBe(0);
      expect(normalisedTree(p.dir)).toEqual(normalisedTree(reference.dir));
      expect(leftovers(p.dir)).toEqual([]);
      expect(cli(p.dir, ['plan', '--detailed-exitcode']).code).toBe(0);
    });
  }
});
