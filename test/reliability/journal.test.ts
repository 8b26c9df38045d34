/**
 * The state journal through the CLI: a run killed mid-way leaves what it recorded as lines
 * beside the state file, and plan, check and destroy all see those environments as recorded
 * (the journal is part of the state); a finished run leaves one state file and no journal; a
 * no-op writes nothing at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { cli, faultPoints, makeScenario, stateFile, twoEnvironments } from './harness.js';

const APPLY = ['apply', '--jobs', '1'];

describe('the state journal', () => {
  it('records a killed run for plan, check and destroy; a finished run folds it in; a no-op writes nothing', { timeout: 300_000 }, (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(twoEnvironments(python));
    const journal = path.join(p.dir, '.envbuild', 'env.yaml.state.journal');
    const traced = cli(p.dir, APPLY, { killAfter: 1e9 });
    expect(traced.code, traced.stderr).toBe(0);
    const points = faultPoints(traced.stderr);
    // A finished run: one state file, no journal.
    expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);
    expect(points.slice(-3)).toEqual(['temporary of env.yaml.state.json', 'write env.yaml.state.json', 'remove env.yaml.state.journal']);

    // A no-op: nothing written, not even a journal.
    const before = fs.statSync(stateFile(p.dir), { bigint: true });
    const noop = cli(p.dir, APPLY, { killAfter: 1e9 });
    expect(noop.code, noop.stderr).toBe(0);
    expect(faultPoints(noop.stderr)).toEqual([]);
    expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);
    expect(fs.statSync(stateFile(p.dir), { bigint: true }).mtimeNs).toBe(before.mtimeNs);

    // Killed once environment a is recorded, in the journal only.
    fs.rmSync(path.join(p.dir, 'envs'), { recursive: true });
    fs.rmSync(path.join(p.dir, '.envbuild'), { recursive: true });
    const recorded = points.indexOf('append env.yaml.state.journal', points.indexOf('applied part a.two')) + 1;
    expect(recorded).toBeGreaterThan(0);
    expect(cli(p.dir, APPLY, { killAfter: recorded }).signal).toBe('SIGKILL');
    expect(fs.existsSync(journal)).toBe(true);
    expect(Object.keys(JSON.parse(fs.readFileSync(stateFile(p.dir), 'utf8')).environments)).toEqual([]);

    const plan = cli(p.dir, ['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/= a\s+no-op/);
    expect(plan.stdout).toMatch(/\+ b\s+create/);
    const check = cli(p.dir, ['check', '--env', 'a']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/✔ a\s+clean/);

    const destroy = cli(p.dir, ['destroy']);
    expect(destroy.code, destroy.stderr).toBe(0);
    expect(destroy.stdout).toContain('removed a (envs/a)');
    expect(fs.existsSync(path.join(p.dir, 'envs', 'a'))).toBe(false);
    expect(fs.existsSync(path.join(p.dir, '.envbuild'))).toBe(false);
  });
});
