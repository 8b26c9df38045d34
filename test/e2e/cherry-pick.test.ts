import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython, requirePresent } from '../helpers/require-python.js';
import { makeProject, py, REPO } from '../helpers/project.js';
import { treeDigest } from '../helpers/tree-snapshot.js';
import { buildWheel } from '../helpers/wheel.js';

const DIST = '/usr/lib/python3/dist-packages';

/** pip as a user would run it against the env, but deaf to this machine's pip configuration. */
function pip(envPython: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', PIP_CONFIG_FILE: '/dev/null' };
  return spawnSync('/usr/bin/python3.11', ['-m', 'pip', '--python', envPython, '--disable-pip-version-check', '--no-input', ...args], { encoding: 'utf8', env });
}

function requireDebianPackages(ctx: { skip(note?: string): never }): void {
  for (const pkg of ['apt', 'yaml', 'six.py', 'dbus', 'gi', 'pip']) {
    requirePresent(ctx, fs.existsSync(path.join(DIST, pkg)) ? true : undefined, `${DIST}/${pkg} (Debian packages python3-apt python3-yaml python3-six python3-dbus python3-gi python3-pip)`);
  }
}

describe('cherry-pick isolation with Debian packages', () => {
  it('exposes exactly the allowlist, to imports, importlib.metadata and pip, without touching dist-packages', async (ctx) => {
    const python = debianPython(ctx, 11);
    requireDebianPackages(ctx);
    const before = treeDigest(DIST);
    const p = makeProject(
      `envbuild: 1\nenvironments:\n  ubuntu:\n    python: ${python}\n    isolation:\n      mode: cherry-pick\n      allow:\n        - python-apt\n        - dist: PyYAML\n          version: ">=6"\n`,
    );
    const plan = p.run('plan');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/python-apt 2\.[\d.]+ .*allowed/);
    expect(plan.stdout).toMatch(/PyYAML 6\.[\d.]+ .*allowed/);
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const env = p.env('ubuntu');

    expect(py(env, 'import apt, apt_pkg, yaml; apt_pkg.init(); print("ok")').stdout).toBe('ok');
    for (const hidden of ['six', 'dbus', 'gi']) {
      expect(py(env, `import ${hidden}`).code, `${hidden} must not be importable`).not.toBe(0);
    }
    const globalVersion = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("PyYAML"))'], { encoding: 'utf8' }).stdout.trim();
    expect(py(env, 'import importlib.metadata as m; print(m.version("PyYAML"))').stdout).toBe(globalVersion);

    const list = pip(path.join(env, 'bin', 'python'), ['list', '--format=freeze']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^PyYAML==/m);
    expect(list.stdout).toMatch(/^python-apt==/m);
    expect(list.stdout).not.toMatch(/^six==/m);

    const wheels = path.join(p.dir, 'wheels');
    fs.mkdirSync(wheels);
    await buildWheel(wheels, { name: 'needs-yaml', version: '1.0', modules: { 'needs_yaml.py': 'import yaml\n' }, requires: ['PyYAML>=6'] });
    const install = pip(path.join(env, 'bin', 'python'), ['install', '--no-index', '--find-links', wheels, 'needs-yaml']);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/Requirement already satisfied: PyYAML>=6/i);
    const imported = py(env, 'import os, needs_yaml, yaml; print(os.path.realpath(yaml.__file__))');
    expect(imported.stdout, imported.stderr).toContain(DIST);

    pip(path.join(env, 'bin', 'python'), ['uninstall', '--yes', 'PyYAML']);
    expect(treeDigest(DIST)).toBe(before);

    const check = p.run('check');
    expect(check.stdout).toMatch(/^✔ ubuntu +clean +cherry-pick +envs\/ubuntu +importable: \d+ stdlib, 1 env, \d+ allowed\n +allowed: PyYAML [\d.]+, python-apt [\d.]+$/m);
    expect(check.code).toBe(0);
  });

  it('takes a whole Debian package with {deb: python3-gi}', (ctx) => {
    const python = debianPython(ctx, 11);
    requireDebianPackages(ctx);
    const p = makeProject(`envbuild: 1\nenvironments:\n  gi:\n    python: ${python}\n    isolation:\n      mode: cherry-pick\n      allow:\n        - deb: python3-gi\n`);
    const r = p.run('apply');
    expect(r.code, r.stderr).toBe(0);
    expect(py(p.env('gi'), 'import gi; print(gi.__name__)').stdout).toBe('gi');
    expect(py(p.env('gi'), 'import apt').code).not.toBe(0);
  });

  it('examples/ubuntu-system-packages applies and passes its audit', (ctx) => {
    debianPython(ctx);
    requireDebianPackages(ctx);
    const p = makeProject(fs.readFileSync(path.join(REPO, 'examples', 'ubuntu-system-packages', 'env.yaml'), 'utf8'));
    const r = p.run('apply');
    expect(r.code, r.stderr).toBe(0);
    expect(py(p.env('ubuntu'), 'import apt, yaml, gi').code).toBe(0);
    expect(py(p.env('ubuntu'), 'import six').code).not.toBe(0);
    const check = p.run('check');
    expect(check.stdout).toMatch(/✔ ubuntu +clean/);
    expect(check.code).toBe(0);
  });
});
