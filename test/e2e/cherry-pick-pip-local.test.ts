import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython, requirePresent } from '../helpers/require-python.js';
import { makeProject, py } from '../helpers/project.js';
import { treeDigest } from '../helpers/tree-snapshot.js';
import { buildWheel } from '../helpers/wheel.js';

const DIST = '/usr/lib/python3/dist-packages';

/** Debian's pip (python3-pip) run against an environment, deaf to this machine's pip configuration. */
function pip(envPython: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', PIP_CONFIG_FILE: '/dev/null' };
  const r = spawnSync('/usr/bin/python3.11', ['-m', 'pip', '--python', envPython, '--disable-pip-version-check', '--no-input', ...args], {
    encoding: 'utf8',
    env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const names = (freeze: string): string[] =>
  freeze
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => (l.split('==')[0] as string).toLowerCase())
    .sort();

describe('cherry-picked packages are global to pip, as with --system-site-packages', () => {
  it('pip freeze --local / list --local leave them out, pip still sees them installed, destroy removes the overlay', async (ctx) => {
    const python = debianPython(ctx, 11);
    for (const pkg of ['yaml', 'pip']) requirePresent(ctx, fs.existsSync(path.join(DIST, pkg)) ? true : undefined, `${DIST}/${pkg} (python3-yaml, python3-pip)`);
    const before = treeDigest(DIST);
    const p = makeProject(
      `envbuild: 1\nenvironments:\n  ubuntu:\n    python: ${python}\n    isolation:\n      mode: cherry-pick\n      allow:\n        - PyYAML\n`,
    );
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const env = p.env('ubuntu');
    const envPython = path.join(env, 'bin', 'python');
    // The overlay sits beside the environment, outside its prefix.
    const overlay = path.join(p.dir, 'envs', '.ubuntu.envbuild-overlay');
    expect(fs.lstatSync(path.join(overlay, 'yaml')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(env, 'lib', 'envbuild-overlay'))).toBe(false);

    // The reference: a venv of the same Python with --system-site-packages, and the same question.
    const reference = path.join(p.dir, 'reference');
    expect(spawnSync(python, ['-m', 'venv', '--without-pip', '--system-site-packages', reference]).status).toBe(0);
    const refFreeze = pip(path.join(reference, 'bin', 'python'), ['freeze', '--local']);
    expect(refFreeze.code, refFreeze.stderr).toBe(0);
    expect(names(refFreeze.stdout)).not.toContain('pyyaml');

    const wheels = path.join(p.dir, 'wheels');
    fs.mkdirSync(wheels);
    await buildWheel(wheels, { name: 'needs-yaml', version: '1.0', modules: { 'needs_yaml.py': 'import yaml\n' }, requires: ['PyYAML>=5'] });
    const install = pip(envPython, ['install', '--no-index', '--find-links', wheels, 'needs-yaml']);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/Requirement already satisfied: PyYAML>=5/i);

    // Only what was installed into the environment is local; the allowed global is not.
    const freeze = pip(envPython, ['freeze', '--local']);
    expect(freeze.code, freeze.stderr).toBe(0);
    expect(names(freeze.stdout)).toEqual(['needs-yaml']);
    const listLocal = pip(envPython, ['list', '--local', '--format=freeze']);
    expect(names(listLocal.stdout)).toEqual(['needs-yaml']);
    // Without --local pip lists both, and importlib.metadata still finds the allowed one.
    expect(names(pip(envPython, ['list', '--format=freeze']).stdout)).toEqual(['needs-yaml', 'pyyaml']);
    expect(py(env, 'import importlib.metadata as m; print(m.version("PyYAML") != "")').stdout).toBe('True');
    // site.getsitepackages() names the environment's own directories only (README, cherry-pick).
    const sites = JSON.parse(py(env, 'import json, site; print(json.dumps(site.getsitepackages()))').stdout) as string[];
    expect(sites.length).toBeGreaterThan(0);
    for (const s of sites) expect(s.startsWith(`${env}/`), s).toBe(true);
    // And pip refuses to uninstall it, as it refuses a --system-site-packages global.
    const uninstall = pip(envPython, ['uninstall', '--yes', 'PyYAML']);
    expect(`${uninstall.stdout}${uninstall.stderr}`).toMatch(/Not uninstalling pyyaml at .*\.ubuntu\.envbuild-overlay, outside environment/i);
    expect(py(env, 'import yaml; print("ok")').stdout).toBe('ok');

    expect(p.run('check').code).toBe(0);
    const destroyed = p.run('destroy');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    // The overlay goes with the environment (whose pip-installed files envbuild keeps).
    expect(fs.existsSync(overlay)).toBe(false);
    expect(treeDigest(DIST)).toBe(before);
  }, 300_000);
});
