/**
 * Reproducible environments (issue 12): `envbuild lock`, PEP 751 lock files, `apply --locked`
 * and `--frozen`, with the Debian interpreter and wheelhouses built here, inside each project.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { lockProblems } from '../../src/lock/validate-lock.js';
import { FakeSite } from '../helpers/fake-site.js';
import { makeProject, type Project } from '../helpers/project.js';
import { debianPython } from '../helpers/require-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { buildTestWheelhouse } from '../helpers/wheelhouse.js';
import { tempDir } from '../helpers/temp-dir.js';

const TAG = 'py2.py3-none-any';
// Several applies and pip runs each, on a machine shared by many sessions.
const SLOW = 600_000;

const manifest = (python: string, requirements: string[], extra = '') =>
  [
    'envbuild: 1',
    'environments:',
    '  app:',
    `    python: ${python}`,
    extra,
    '    parts:',
    '      deps:',
    '        recipe: packages',
    `        requirements: [${requirements.map((r) => JSON.stringify(r)).join(', ')}]`,
    '        find-links: [wh]',
    '        no-index: true',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');

/** `pip freeze` of the environment, run by the base interpreter's pip with its configuration cut off. */
function freeze(python: string, envDir: string): string[] {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.tmpdir(), PIP_CONFIG_FILE: os.devNull };
  const r = spawnSync(python, ['-m', 'pip', '--python', path.join(envDir, 'bin', 'python'), 'freeze', '--disable-pip-version-check'], { encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter((l) => l !== '');
}

function lockText(p: Project): string {
  return fs.readFileSync(path.join(p.dir, 'pylock.app.toml'), 'utf8');
}

function ok(r: { code: number | null; stdout: string; stderr: string }): string {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('envbuild lock and apply --locked / --frozen (Debian python3.11, local wheelhouses)', () => {
  it('locks, reproduces pip freeze, re-locks byte for byte, and reproduces in a copy of the project', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, ['alpha', 'tool']));
    await buildTestWheelhouse(path.join(p.dir, 'wh'));

    // The resolver is the base interpreter's own pip, whichever version this machine has.
    const pip = /^pip (\S+) /.exec(spawnSync(python, ['-I', '-m', 'pip', '--version'], { encoding: 'utf8' }).stdout)?.[1];
    expect(pip).toMatch(/^\d+\.\d+/);
    expect(ok(p.run('lock'))).toContain(`wrote pylock.app.toml: 4 packages (pip ${pip} --report)`);
    const first = lockText(p);
    // A valid PEP 751 file: required keys, one source kind per package, hashes present.
    expect(lockProblems(parse(first))).toEqual([]);
    expect(first).toContain('path = "wh/alpha-2.0-py2.py3-none-any.whl"');
    expect(first).not.toContain(p.dir);
    expect(ok(p.run('lock'))).toContain('unchanged pylock.app.toml');
    expect(lockText(p)).toBe(first);

    ok(p.run('apply'));
    const frozen = freeze(python, p.env('app'));
    expect(frozen).toEqual(['alpha==2.0', 'beta==1.0', 'delta==1.0', 'tool==1.0']);
    expect(lockText(p)).toBe(first);

    // Another machine: the project (manifest, lock, wheelhouse) elsewhere, applied with --locked.
    const q = makeProject();
    for (const f of ['env.yaml', 'pylock.app.toml', 'wh']) fs.cpSync(path.join(p.dir, f), path.join(q.dir, f), { recursive: true });
    ok(q.run('apply', '--locked'));
    expect(freeze(python, q.env('app'))).toEqual(frozen);
    expect(ok(q.run('lock'))).toContain('unchanged pylock.app.toml');
    expect(lockText(q)).toBe(first);
  }, SLOW);

  it('ignores a new release under --locked and --frozen; lock picks it up, and apply drops what the lock drops', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, ['alpha']));
    const wh = await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('apply'));
    expect(freeze(python, p.env('app'))).toEqual(['alpha==2.0', 'beta==1.0', 'delta==1.0']);
    const locked = lockText(p);

    await buildWheel(wh, { name: 'alpha', version: '3.0', tag: TAG, modules: { 'alpha/__init__.py': 'V = 3\n' }, requires: ['beta'] });
    expect(ok(p.run('apply', '--locked'))).toContain('Nothing to do');
    expect(ok(p.run('apply', '--frozen'))).toContain('Nothing to do');
    expect(ok(p.run('plan'))).toContain('No changes');
    expect(lockText(p)).toBe(locked);

    const relock = ok(p.run('lock'));
    expect(relock).toContain('~ alpha 2.0 → 3.0');
    expect(relock).toContain('- delta 1.0');
    const plan = ok(p.run('plan'));
    expect(plan).toContain('~ part deps (packages): update');
    expect(plan).toContain('~ alpha 2.0 → 3.0');
    expect(plan).toContain('- delta 1.0');
    ok(p.run('apply', '--locked'));
    expect(freeze(python, p.env('app'))).toEqual(['alpha==3.0', 'beta==1.0']);
  }, SLOW);

  it('refuses a wheel whose content changed since it was locked, before writing anything', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, ['alpha']));
    const wh = await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('lock'));
    const other = tempDir('envbuild-tamper-');
    const evil = await buildWheel(other, { name: 'beta', version: '1.0', tag: TAG, modules: { 'beta.py': 'import os  # not what was locked\n' } });
    fs.copyFileSync(evil, path.join(wh, path.basename(evil)));

    for (const args of [['apply', '--locked'], ['apply', '--frozen'], ['apply']]) {
      const r = p.run(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('hash mismatch: wh/beta-1.0-py2.py3-none-any.whl (beta 1.0)');
      expect(fs.existsSync(p.env('app'))).toBe(false);
    }
  }, SLOW);

  it('fails --locked when an allowlisted global changed, naming both versions; check reports it', async (ctx) => {
    const python = debianPython(ctx, 11);
    const site = new FakeSite();
    site.distInfo({ name: 'allowed-pkg', version: '1.0', files: { 'allowed_pkg/__init__.py': 'V = 1\n' } });
    const isolation = `    isolation:\n      mode: cherry-pick\n      search-paths: [${site.dir}]\n      allow: [allowed-pkg]`;
    const p = makeProject(manifest(python, ['epsilon'], isolation));
    await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('apply'));
    expect(lockText(p)).toMatch(/name = "allowed-pkg"\nreason = "allowed \(env\.yaml:\d+\)"\nversion = "1\.0"/);

    const q = makeProject();
    for (const f of ['env.yaml', 'pylock.app.toml', 'wh']) fs.cpSync(path.join(p.dir, f), path.join(q.dir, f), { recursive: true });
    ok(q.run('apply', '--locked'));
    expect(freeze(python, q.env('app'))).toEqual(freeze(python, p.env('app')));

    fs.rmSync(path.join(site.dir, 'allowed_pkg-1.0.dist-info'), { recursive: true });
    site.distInfo({ name: 'allowed-pkg', version: '1.1', files: { 'allowed_pkg/__init__.py': 'V = 2\n' } });
    const r = p.run('apply', '--locked');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('app: allowlist: allowed-pkg 1.0 locked, 1.1 on this machine');
    const check = p.run('check');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('lock: allowlist: allowed-pkg 1.0 locked, 1.1 on this machine');
  }, SLOW);

  it('installs a part made only of wheels with envbuild itself, which pip then sees as installed and consistent', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, ['alpha', 'tool']));
    await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('apply'));
    const site = path.join(p.env('app'), 'lib', 'python3.11', 'site-packages');
    const infos = fs.readdirSync(site).filter((n) => n.endsWith('.dist-info'));
    expect(infos.sort()).toEqual(['alpha-2.0.dist-info', 'beta-1.0.dist-info', 'delta-1.0.dist-info', 'tool-1.0.dist-info']);
    // Every locked distribution was installed by envbuild's installer, not by pip.
    for (const info of infos) expect(fs.readFileSync(path.join(site, info, 'INSTALLER'), 'utf8'), info).toBe('envbuild\n');
    // REQUESTED for what the part names, not for its dependencies.
    expect(infos.filter((i) => fs.existsSync(path.join(site, i, 'REQUESTED'))).sort()).toEqual(['alpha-2.0.dist-info', 'tool-1.0.dist-info']);
    // Linked from the shared cache, which holds each wheel once.
    expect(fs.readdirSync(path.join(p.cacheDir, 'wheels')).length).toBeGreaterThanOrEqual(4);
    expect(freeze(python, p.env('app'))).toEqual(['alpha==2.0', 'beta==1.0', 'delta==1.0', 'tool==1.0']);
    const pip = (...args: string[]) =>
      spawnSync(python, ['-m', 'pip', '--python', path.join(p.env('app'), 'bin', 'python'), ...args, '--disable-pip-version-check'], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.tmpdir(), PIP_CONFIG_FILE: os.devNull },
      });
    const check = pip('check');
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('No broken requirements found.');
    expect(pip('list', '--format=freeze').stdout).toContain('tool==1.0');
    const hello = path.join(p.env('app'), 'bin', 'tool-hello');
    expect(spawnSync(hello, [], { encoding: 'utf8' }).status).toBe(0);

    // Dropping a requirement: what envbuild installed is uninstalled by envbuild, files and all.
    p.write(manifest(python, ['alpha']));
    ok(p.run('apply'));
    expect(freeze(python, p.env('app'))).toEqual(['alpha==2.0', 'beta==1.0', 'delta==1.0']);
    expect(fs.readdirSync(site).filter((n) => n.startsWith('tool'))).toEqual([]);
    expect(fs.existsSync(hello)).toBe(false);
    expect(pip('check').status).toBe(0);
    expect(ok(p.run('plan'))).toContain('No changes');
  }, SLOW);

  it('uninstalls a distribution only an unrequested extra asked for', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, ['host', 'extraonly']));
    const wh = path.join(p.dir, 'wh');
    await buildWheel(wh, { name: 'host', version: '1.0', modules: { 'host.py': '' }, requires: ['extraonly; extra == "testing"'] });
    await buildWheel(wh, { name: 'extraonly', version: '1.0', modules: { 'extraonly.py': '' } });
    ok(p.run('apply'));
    expect(freeze(python, p.env('app'))).toEqual(['extraonly==1.0', 'host==1.0']);
    p.write(manifest(python, ['host']));
    expect(ok(p.run('plan'))).toContain('- extraonly 1.0');
    ok(p.run('apply'));
    expect(freeze(python, p.env('app'))).toEqual(['host==1.0']);
  }, SLOW);
});
