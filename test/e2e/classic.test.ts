import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyenvVersion } from '../helpers/require-python.js';
import { makeProject, py, REPO } from '../helpers/project.js';
import { projectTree } from '../helpers/tree-snapshot.js';
import { buildWheel } from '../helpers/wheel.js';

describe('classic layout (Python 2.7) through the CLI', () => {
  it('examples/legacy-python2: full and cherry-pick environments that work, audit clean, stay put on re-apply', async (ctx) => {
    const base = pyenvVersion(ctx, '2.7');
    const p = makeProject(fs.readFileSync(path.join(REPO, 'examples', 'legacy-python2', 'env.yaml'), 'utf8'));
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const legacy = p.env('legacy');
    expect(py(legacy, 'import sys; print(sys.prefix); print(sys.real_prefix)').stdout).toBe(`${legacy}\n${path.dirname(path.dirname(base))}`);
    expect(py(legacy, 'import json, hashlib, sqlite3; print("ok")').stdout).toBe('ok');
    expect(py(legacy, 'import pip').code).not.toBe(0);
    expect(py(p.env('legacy-tools'), 'import pip; print(pip.__version__)').code).toBe(0);
    expect(py(p.env('legacy-tools'), 'import setuptools').code).not.toBe(0);

    // A re-apply leaves the project untouched, its state and the rest of the cache included.
    // The classic layout hard-links the 2.7 binary, which moves its ctime, so the probe cache
    // (keyed on ctime: a rewritten binary must be probed again) may be rewritten: see projectTree.
    for (let i = 0; i < 2; i++) {
      const before = projectTree(p.dir);
      expect(p.run('apply').stdout).toContain('Nothing to do');
      expect(projectTree(p.dir)).toEqual(before);
    }

    const check = p.run('check');
    expect(check.stdout).toMatch(/✔ legacy +clean/);
    expect(check.stdout).toMatch(/✔ legacy-tools +clean/);
    expect(check.code).toBe(0);

    // A local wheel installs with the base's pip, run by the environment's interpreter.
    const wheels = path.join(p.dir, 'wheels');
    fs.mkdirSync(wheels);
    await buildWheel(wheels, { name: 'oldlib', version: '1.0', modules: { 'oldlib.py': 'VALUE = 42\n' }, tag: 'py2.py3-none-any' });
    const shim = path.join(p.dir, 'pip-only');
    fs.mkdirSync(shim);
    fs.symlinkSync(path.join(path.dirname(path.dirname(base)), 'lib', 'python2.7', 'site-packages', 'pip'), path.join(shim, 'pip'));
    const install = spawnSync(path.join(legacy, 'bin', 'python'), ['-m', 'pip', 'install', '--no-index', '--find-links', wheels, '--disable-pip-version-check', 'oldlib'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: p.dir, PYTHONPATH: shim, PIP_CONFIG_FILE: '/dev/null' },
    });
    expect(install.status, install.stderr).toBe(0);
    expect(py(legacy, 'import oldlib; print(oldlib.VALUE)').stdout).toBe('42');
    expect(fs.existsSync(path.join(legacy, 'lib', 'python2.7', 'site-packages', 'oldlib.py'))).toBe(true);

    // An injected leak is found.
    fs.writeFileSync(path.join(legacy, 'lib', 'python2.7', 'site-packages', 'leak.pth'), path.join(path.dirname(path.dirname(base)), 'lib', 'python2.7', 'site-packages') + '\n');
    const leaky = p.run('check', '--env', 'legacy');
    expect(leaky.code).toBe(1);
    expect(leaky.stdout).toMatch(/"import pip" finds .*full isolation excludes/);
  });

  it('system isolation on 2.7 sees the base site-packages', (ctx) => {
    const base = pyenvVersion(ctx, '2.7');
    const p = makeProject(`envbuild: 1\nenvironments:\n  sys27:\n    python: ${base}\n    isolation: system\n`);
    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('sys27'), 'import pip; print("ok")').stdout).toBe('ok');
    expect(p.run('check').code).toBe(0);
  });

  it('asking for a venv with Python 2.7 is a manifest error at the layout value', (ctx) => {
    const base = pyenvVersion(ctx, '2.7');
    const p = makeProject(`envbuild: 1\nenvironments:\n  old:\n    python: ${base}\n    layout: venv\n`);
    const r = p.run('plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:5:13: layout "venv" needs PEP 405`);
  });
});
