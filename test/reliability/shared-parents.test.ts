/**
 * A directory envbuild makes above several environments (`envs/`) is recorded by every
 * environment below it, whichever made it and in whatever order they finished: the state of
 * a parallel apply equals a sequential one's, and `destroy` leaves no empty `envs/` behind —
 * also when the environments are destroyed one at a time, and never a user's directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { cli, makeScenario, normalisedState, resetTo, threeEnvironments } from './harness.js';

describe('directories envbuild makes above several environments', () => {
  it('destroy of several environments under envs/ leaves no empty envs/ (sequential and parallel)', { timeout: 120_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    for (const jobs of ['1', '2']) {
      const p = makeScenario(threeEnvironments(python));
      expect(cli(p.dir, ['apply', '--jobs', jobs]).code).toBe(0);
      const d = cli(p.dir, ['destroy', '--jobs', jobs]);
      expect(d.code, d.stderr).toBe(0);
      expect(fs.existsSync(path.join(p.dir, 'envs')), `--jobs ${jobs}`).toBe(false);
      expect(fs.existsSync(path.join(p.dir, '.envbuild')), `--jobs ${jobs}`).toBe(false);
    }
  });

  it('environments destroyed one at a time: envs/ goes with the last of them, when empty', { timeout: 120_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(threeEnvironments(python));
    expect(cli(p.dir, ['apply']).code).toBe(0);
    for (const [env, left] of [['a', ['b', 'c']], ['c', ['b']]] as const) {
      const d = cli(p.dir, ['destroy', '--env', env]);
      expect(d.code, d.stderr).toBe(0);
      expect(fs.readdirSync(path.join(p.dir, 'envs')).sort()).toEqual(left);
    }
    expect(cli(p.dir, ['destroy', '--env', 'b']).code).toBe(0);
    expect(fs.existsSync(path.join(p.dir, 'envs'))).toBe(false);
  });

  it('a user file in envs/ keeps it; an envs/ the user made is never recorded or removed', { timeout: 120_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(threeEnvironments(python));
    expect(cli(p.dir, ['apply']).code).toBe(0);
    fs.writeFileSync(path.join(p.dir, 'envs', 'README'), 'mine');
    expect(cli(p.dir, ['destroy']).code).toBe(0);
    expect(fs.readdirSync(path.join(p.dir, 'envs'))).toEqual(['README']);

    const q = makeScenario(threeEnvironments(python));
    fs.mkdirSync(path.join(q.dir, 'envs'));
    expect(cli(q.dir, ['apply', '--jobs', '2']).code).toBe(0);
    const state = normalisedState(q.dir) as { environments: Record<string, { parents?: string[] }> };
    expect(Object.values(state.environments).map((e) => e.parents ?? [])).toEqual([[], [], []]);
    expect(cli(q.dir, ['destroy']).code).toBe(0);
    expect(fs.readdirSync(path.join(q.dir, 'envs'))).toEqual([]);
  });

  it('every environment below envs/ records it, so a parallel apply records what a sequential one does', { timeout: 180_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(threeEnvironments(python));
    const pristine = `${p.dir}-pristine`;
    resetTo(pristine, p.dir);
    expect(cli(p.dir, ['apply', '--jobs', '1']).code).toBe(0);
    const sequential = normalisedState(p.dir) as { environments: Record<string, { parents?: string[] }> };
    expect(Object.fromEntries(Object.entries(sequential.environments).map(([n, e]) => [n, e.parents]))).toEqual({ a: ['envs'], b: ['envs'], c: ['envs'] });
    for (let i = 0; i < 3; i++) {
      resetTo(p.dir, pristine);
      expect(cli(p.dir, ['apply', '--jobs', '2']).code).toBe(0);
      expect(normalisedState(p.dir)).toEqual(sequential);
    }
    fs.rmSync(pristine, { recursive: true, force: true });
  });
});
