import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { makeProject, py, REPO, type Project } from '../helpers/project.js';
import { projectTree } from '../helpers/tree-snapshot.js';

/**
 * Every example is applied by a test: the simple ones here, the ones with prerequisites of
 * their own in the test file named beside them. A new example without a test fails this file.
 */
const COVERED_ELSEWHERE: Record<string, string> = {
  'ubuntu-system-packages': 'test/e2e/cherry-pick.test.ts',
  'legacy-python2': 'test/e2e/classic.test.ts',
  ansible: 'test/ansible/collection.test.ts',
};

/** A copy of an example in a temp project, with `envbuild` installed as a user's project has it. */
function copyExample(name: string): Project {
  const p = makeProject();
  fs.cpSync(path.join(REPO, 'examples', name), p.dir, {
    recursive: true,
    filter: (src) => !/\/(envs|\.envbuild)(\/|$)/.test(src),
  });
  fs.mkdirSync(path.join(p.dir, 'node_modules'));
  fs.symlinkSync(REPO, path.join(p.dir, 'node_modules', 'envbuild'));
  return p;
}

describe('examples', () => {
  const tested = ['all-recipes', 'basic', 'third-party-recipe'];

  it('every example directory is covered by a test', () => {
    const all = fs.readdirSync(path.join(REPO, 'examples')).filter((n) => fs.existsSync(path.join(REPO, 'examples', n, 'env.yaml')));
    for (const [name, file] of Object.entries(COVERED_ELSEWHERE)) {
      expect(fs.readFileSync(path.join(REPO, file), 'utf8'), `${file} must copy or read examples/${name}`).toContain(`path.join(REPO, 'examples', '${name}'`);
    }
    expect(all.sort()).toEqual([...tested, ...Object.keys(COVERED_ELSEWHERE)].sort());
  });

  it('basic: three environments, full and system isolation', (ctx) => {
    debianPython(ctx);
    const p = copyExample('basic');
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const env of ['app', 'tools', 'sys']) {
      expect(py(p.env(env), 'import sys; print(sys.prefix)').stdout).toBe(p.env(env));
    }
    expect(py(p.env('tools'), 'import sys; print(sys.version_info[:2])').stdout).toBe('(3, 11)');
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
  });

  it('all-recipes: packages, scripts, file and command in one environment, then a no-op', (ctx) => {
    debianPython(ctx);
    const p = copyExample('all-recipes');
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bin = path.join(p.env('app'), 'bin');
    const run = (file: string) => spawnSync(path.join(bin, file), [], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).stdout.trim();
    expect(run('greet')).toBe('hello from greet');
    expect(run('greet-loudly')).toBe('HELLO from greet');
    expect(fs.readFileSync(path.join(p.env('app'), 'etc', 'app.ini'), 'utf8')).toContain('greet = 1.0');
    expect(fs.existsSync(path.join(p.dir, 'var', 'created-year'))).toBe(true);
    const before = projectTree(p.dir);
    expect(p.run('apply').stdout).toContain('Nothing to do');
    expect(projectTree(p.dir)).toEqual(before);
    expect(p.run('destroy').code).toBe(0);
    expect(fs.existsSync(path.join(p.dir, 'var'))).toBe(false);
  });

  it('third-party-recipe: a local recipe module importing envbuild', (ctx) => {
    debianPython(ctx);
    const p = copyExample('third-party-recipe');
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(py(p.env('app'), 'import motd; print(motd.MESSAGE)').stdout).toBe(`built by envbuild for ${p.env('app')}`);
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
  });
});
