import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';
import { makeProject, py } from '../helpers/project.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const manifest = (python: string, extra = '') => `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n${extra}`;

describe('envbuild apply / plan / destroy (real interpreters, real binary)', () => {
  it('builds a working environment, and a second apply changes nothing on disk', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python));
    const first = p.run('apply');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('created app (envs/app)');
    expect(py(p.env('app'), 'import sys; print(sys.prefix)').stdout).toBe(p.env('app'));

    const before = snapshotTree(p.dir, { mtimes: true });
    const second = p.run('apply');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing to do');
    expect(snapshotTree(p.dir, { mtimes: true })).toEqual(before);

    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('No changes: 1 environment up to date.');
  });

  it('--jobs 2: three environments built two at a time, reported in manifest order, all recorded in the signed state', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(`envbuild: 1\nenvironments:\n${['c', 'a', 'b'].map((n) => `  ${n}:\n    python: ${python}\n`).join('')}`);
    const r = p.run('apply', '--jobs', '2');
    expect(r.code, r.stderr).toBe(0);
    const done = r.stdout.split('\n').filter((l) => l.startsWith('created '));
    expect(done.map((l) => l.split(' ')[1])).toEqual(['c', 'a', 'b']);
    for (const n of ['a', 'b', 'c']) expect(py(p.env(n), 'import sys; print(sys.prefix)').stdout).toBe(p.env(n));
    const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));
    expect(Object.keys(state.environments).sort()).toEqual(['a', 'b', 'c']);
    expect(typeof state.mac).toBe('string');
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
    const d = p.run('destroy', '--jobs', '2');
    expect(d.code, d.stderr).toBe(0);
    expect(fs.existsSync(path.join(p.dir, '.envbuild'))).toBe(false);
  });

  it('plans and repairs a deleted bin/python and an edited pyvenv.cfg', (ctx) => {
    const p = makeProject(manifest(debianPython(ctx, 11)));
    expect(p.run('apply').code).toBe(0);
    fs.rmSync(path.join(p.env('app'), 'bin', 'python'));
    fs.appendFileSync(path.join(p.env('app'), 'pyvenv.cfg'), 'include-system-site-packages = true\n');

    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ app   update');
    expect(plan.stdout).toContain('bin/python missing');
    expect(plan.stdout).toContain('pyvenv.cfg edited');

    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('app'), 'import sys; print(sys.prefix != sys.base_prefix)').stdout).toBe('True');
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
  });

  it('replaces the environment when python changes, naming both versions', (ctx) => {
    const a = pyenvVersion(ctx, '3.12');
    const b = pyenvVersion(ctx, '3.13');
    const p = makeProject(manifest(a));
    expect(p.run('apply').code).toBe(0);
    p.write(manifest(b));
    const plan = p.run('plan');
    expect(plan.stdout).toMatch(/± app +replace +envs\/app\n +python changed 3\.12\.\d+ → 3\.13\.\d+/);
    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('app'), 'import sys; print(sys.version_info[:2])').stdout).toBe('(3, 13)');
    expect(fs.existsSync(path.join(p.env('app'), 'lib', 'python3.12'))).toBe(false);
  });

  it('updates isolation full → system in place, and global packages become visible', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, '    isolation: full\n'));
    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('app'), 'import yaml').code).not.toBe(0);
    p.write(manifest(python, '    isolation: system\n'));
    expect(p.run('plan').stdout).toContain('isolation changed full → system');
    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('app'), 'import yaml; print(yaml.__file__)').stdout).toContain('/usr/lib/python3/dist-packages/');
  });

  it('moves the environment when its path changes', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python));
    expect(p.run('apply').code).toBe(0);
    p.write(manifest(python, '    path: elsewhere/app\n'));
    expect(p.run('plan').stdout).toContain(`path changed ${p.env('app')} → ${path.join(p.dir, 'elsewhere', 'app')}`);
    expect(p.run('apply').code).toBe(0);
    expect(fs.existsSync(p.env('app'))).toBe(false);
    expect(py(path.join(p.dir, 'elsewhere', 'app'), 'import sys; print(sys.prefix)').stdout).toBe(path.join(p.dir, 'elsewhere', 'app'));
  });

  it('removes an environment dropped from the manifest and leaves the others alone', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(`envbuild: 1\nenvironments:\n  a: {python: ${python}}\n  b: {python: ${python}}\n`);
    expect(p.run('apply').code).toBe(0);
    const bBefore = snapshotTree(p.env('b'), { mtimes: true });
    p.write(`envbuild: 1\nenvironments:\n  b: {python: ${python}}\n`);
    const plan = p.run('plan');
    expect(plan.stdout).toContain('- a     remove');
    expect(plan.stdout).toContain('no longer in the manifest');
    expect(p.run('apply').code).toBe(0);
    expect(fs.existsSync(p.env('a'))).toBe(false);
    expect(snapshotTree(p.env('b'), { mtimes: true })).toEqual(bBefore);
    const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));
    expect(Object.keys(state.environments)).toEqual(['b']);
  });

  it('destroy removes what envbuild made and keeps a user file, reporting it', (ctx) => {
    const p = makeProject(manifest(debianPython(ctx, 11)));
    expect(p.run('apply').code).toBe(0);
    fs.writeFileSync(path.join(p.env('app'), 'notes.txt'), 'mine');
    fs.writeFileSync(path.join(p.env('app'), 'bin', 'my-tool'), '#!/bin/sh\n');
    const r = p.run('destroy');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('removed app');
    expect(r.stdout).toMatch(/kept envs\/app\/bin: not empty: holds my-tool/);
    expect(snapshotTree(p.env('app')).map((l) => l.split(' ')[0])).toEqual(['bin/', 'bin/my-tool', 'notes.txt']);
    expect(fs.readFileSync(path.join(p.env('app'), 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(p.env('app'), 'pyvenv.cfg'))).toBe(false);
    expect(fs.existsSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'))).toBe(false);
  });

  it('refuses to build over a directory it did not create', (ctx) => {
    const p = makeProject(manifest(debianPython(ctx, 11)));
    fs.mkdirSync(p.env('app'), { recursive: true });
    fs.writeFileSync(path.join(p.env('app'), 'data.db'), 'precious');
    const r = p.run('apply');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already exists and was not created by envbuild (it holds data.db)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshotTree(p.env('app'))).toHaveLength(1);
  });

  it('--env limits the run to the named environments', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(`envbuild: 1\nenvironments:\n  a: {python: ${python}}\n  b: {python: ${python}}\n`);
    expect(p.run('apply', '--env', 'b').code).toBe(0);
    expect(fs.existsSync(p.env('a'))).toBe(false);
    expect(fs.existsSync(p.env('b'))).toBe(true);
    const bad = p.run('plan', '--env', 'c');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no environment named "c"');
  });

  it('prints machine-readable plans and results with --json', (ctx) => {
    const p = makeProject(manifest(debianPython(ctx, 11)));
    const plan = JSON.parse(p.run('plan', '--json').stdout);
    expect(plan).toMatchObject({ changes: true, environments: [{ name: 'app', action: 'create', reasons: ['new environment'] }] });
    const applied = JSON.parse(p.run('apply', '--json').stdout);
    expect(applied.outcomes[0]).toMatchObject({ name: 'app', action: 'create', kept: [] });
    expect(applied.stateWritten).toBe(true);
  });
});
