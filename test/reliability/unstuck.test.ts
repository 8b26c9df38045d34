/**
 * Issue 9 items 4 (environment creation), 5, 8 and 11, and issue 15 items 1–2: envbuild never
 * writes through a link in the project, never deletes a directory merely named like its own,
 * leaves nothing behind when an environment is replaced, clears what a killed run left, and
 * offers a way out of every conflict — a moved project, a directory in the way, a lost manifest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWheel } from '../helpers/wheel.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { cli, faultPoints, makeScenario, stateFile } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

function outside(prefix = 'envbuild-decoy-'): string {
  return tempDir(prefix);
}

describe('links and reserved names in the project', () => {
  it('envs -> elsewhere and .envbuild -> elsewhere are refused with a located error before anything is written', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const elsewhere = outside();
    fs.symlinkSync(elsewhere, path.join(p.dir, 'envs'));
    for (const command of ['plan', 'apply']) {
      const r = cli(p.dir, [command]);
      expect(r.code, command).toBe(1);
      expect(r.stdout + r.stderr).toContain(
        `${p.manifest}:3:3: the path of environment app (${p.dir}/envs/app) leads through the symbolic link ${p.dir}/envs -> ${elsewhere}; envbuild does not write through links inside the project`,
      );
    }
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.existsSync(path.join(p.dir, '.envbuild'))).toBe(false);

    // Naming the real location is the way to build there.
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    path: ${elsewhere}/app\n`);
    fs.rmSync(path.join(p.dir, 'envs'));
    const stateElsewhere = outside();
    fs.symlinkSync(stateElsewhere, path.join(p.dir, '.envbuild'));
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing to use ${p.dir}/.envbuild: it is a symbolic link to ${stateElsewhere}`);
    expect(fs.readdirSync(stateElsewhere)).toEqual([]);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    fs.rmSync(path.join(p.dir, '.envbuild'));
    expect(cli(p.dir, ['apply']).code).toBe(0);
    expect(fs.existsSync(path.join(elsewhere, 'app', 'pyvenv.cfg'))).toBe(true);
  });

  it('a directory named like a staging directory is never deleted, and no environment may take that name', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n  b:\n    python: ${python}\n    path: envs/.b.envbuild-staging\n`);
    const r = cli(p.dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:7:11: path \`envs/.b.envbuild-staging\` uses the name \`.b.envbuild-staging\`, which envbuild reserves for its own directories`);

    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const mine = path.join(p.dir, 'envs', '.app.envbuild-staging');
    fs.mkdirSync(mine, { recursive: true });
    fs.writeFileSync(path.join(mine, 'thesis.tex'), 'years of work');
    const a = cli(p.dir, ['apply']);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(`refusing to remove ${mine}: it is named like envbuild's staging directory but is not one (it carries no envbuild marker)`);
    expect(fs.readFileSync(path.join(mine, 'thesis.tex'), 'utf8')).toBe('years of work');
  });
});

describe('a replaced environment leaves nothing behind', () => {
  it('python 3.11 → 3.12: what the packages part installed for 3.11 is removed with the old environment', async (ctx) => {
    const py311 = debianPython(ctx, 11);
    const py312 = pyenvVersion(ctx, '3.12');
    const yaml = (python: string) =>
      `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      deps: {recipe: packages, requirements: ["demo==1.0"], find-links: [wheels], no-index: true}\n`;
    const p = makeScenario(yaml(py311));
    fs.mkdirSync(path.join(p.dir, 'wheels'));
    await buildWheel(path.join(p.dir, 'wheels'), { name: 'demo', version: '1.0', modules: { 'demo/__init__.py': 'X = 1\n' } });
    const first = cli(p.dir, ['apply']);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.existsSync(path.join(p.dir, 'envs/app/lib/python3.11/site-packages/demo/__init__.py'))).toBe(true);
    p.write(yaml(py312));
    const r = cli(p.dir, ['apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/replaced app/);
    expect(fs.existsSync(path.join(p.dir, 'envs/app/lib/python3.11'))).toBe(false);
    expect(fs.existsSync(path.join(p.dir, 'envs/app/lib/python3.12/site-packages/demo/__init__.py'))).toBe(true);
    expect(r.stdout).not.toContain('kept');
  });
});

describe('what a killed run leaves is cleared', () => {
  it('a lock left by a killed apply is cleared by the next run, even one with nothing to do', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    prompt: other\n`);
    const traced = cli(p.dir, ['plan']);
    expect(traced.code).toBe(0);
    // Trace a run on a copy to find the fault point just after the lock is taken, then kill there.
    const copy = outside('envbuild-trace-');
    fs.cpSync(p.dir, copy, { recursive: true, verbatimSymlinks: true });
    const points = faultPoints(cli(copy, ['apply'], { killAfter: 1e9 }).stderr);
    const killed = cli(p.dir, ['apply'], { killAfter: points.indexOf('lock taken') + 1 });
    expect(killed.signal).toBe('SIGKILL');
    expect(fs.readdirSync(path.join(p.dir, '.envbuild')).sort()).toEqual(['env.yaml.state.json', 'lock', 'lock-holder.json']);
    expect((fs.statSync(path.join(p.dir, '.envbuild', 'lock-holder.json')).mode & 0o777).toString(8)).toBe('600');
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const noop = cli(p.dir, ['apply']);
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.stdout).toContain('Nothing to do');
    expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);
  });
});

describe('getting unstuck (issue 15)', () => {
  it('a moved project is recognised: its environments are rebuilt in place, and the plan says why', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const moved = `${p.dir}-moved`;
    fs.renameSync(p.dir, moved);
    const plan = cli(moved, ['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`the project moved from ${p.dir}: rebuilt in place, because a virtual environment records its own path`);
    expect(plan.stdout).toContain('Plan: 1 to replace.');
    const r = cli(moved, ['apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(moved, 'envs/app/bin/activate'), 'utf8')).toContain(moved);
    expect(fs.readFileSync(path.join(moved, 'envs/app/bin/activate'), 'utf8')).not.toContain(`${p.dir}/`);
    expect(cli(moved, ['plan']).stdout).toContain('No changes');
    const d = cli(moved, ['destroy']);
    expect(d.code, d.stderr).toBe(0);
    // The lock is the user's, to commit: destroy keeps it (and the moved project's lock did not change).
    expect(fs.readdirSync(moved).sort()).toEqual(['.cache', 'env.yaml', 'pylock.app.toml', 'recipes']);
  });

  it('a directory in the way is a conflict in plan (exit 1), listing what it holds; --replace-foreign moves it aside and builds', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const app = path.join(p.dir, 'envs', 'app');
    fs.mkdirSync(path.join(app, 'data'), { recursive: true });
    fs.writeFileSync(path.join(app, 'data', 'results.csv'), '1,2,3\n');
    fs.writeFileSync(path.join(app, 'notes.txt'), 'mine\n');
    const theirs = snapshotTree(app, { mtimes: true });
    for (const args of [['plan'], ['plan', '--detailed-exitcode']]) {
      const plan = cli(p.dir, args);
      expect(plan.code, args.join(' ')).toBe(1);
      expect(plan.stdout).toContain(`conflict: ${app} already exists and was not created by envbuild (it holds 2 entries: data, notes.txt)`);
      expect(plan.stdout).not.toContain('to create');
      expect(plan.stdout).toContain('Conflict: 1 environment in the way of apply');
    }
    const r = cli(p.dir, ['apply', '--replace-foreign']);
    expect(r.code, r.stderr).toBe(0);
    const backup = /moved what was in the way of app aside to (envs\/\.app\.envbuild-backup-\d{8}T\d{6}Z) \(nothing in it was deleted\)/.exec(r.stdout);
    expect(backup, r.stdout).not.toBeNull();
    expect(snapshotTree(path.join(p.dir, backup![1]!), { mtimes: true })).toEqual(theirs);
    expect(fs.existsSync(path.join(app, 'pyvenv.cfg'))).toBe(true);
    expect(cli(p.dir, ['plan']).stdout).toContain('No changes');
  });

  it('destroy works from state alone once the manifest is gone, then says there is nothing to destroy', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    fs.rmSync(p.manifest);
    const r = cli(p.dir, ['destroy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('removed app (envs/app)');
    // What envbuild made is gone; the lock file is the user's (committed beside the manifest) and stays.
    expect(fs.readdirSync(p.dir).sort()).toEqual(['.cache', 'pylock.app.toml', 'recipes']);
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const again = cli(p.dir, ['destroy']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to destroy');
    expect(again.stdout).not.toContain('up to date');
    expect(fs.existsSync(stateFile(p.dir))).toBe(false);
  });
});
