/**
 * The packages recipe against real interpreters and real pip, installing from a wheelhouse the
 * tests build (no index is reachable): install, no-op, upgrade, removal with dependencies,
 * -r files, drift, editable projects, pip failures, seeding pip, cherry-pick, and the same on
 * every kind of interpreter this machine has.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import packages from '../../recipes/packages/index.js';
import type { PackagesOptions } from '../../recipes/packages/declared.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { makeTestEnvironment, PartHarness, type TestEnvironment } from '../helpers/recipe-context.js';
import { debianPython, pyenvVersion, requirePresent, type SkippableContext } from '../helpers/require-python.js';
import { buildDecoyWheelhouse, buildTestWheelhouse, localSetuptoolsWheel } from '../helpers/wheelhouse.js';
import { tempDir } from '../helpers/temp-dir.js';

let scratch: string;
let wheels: string;
const savedCacheDir = process.env['ENVBUILD_CACHE_DIR'];

beforeAll(async () => {
  scratch = tempDir('envbuild-packages-');
  wheels = await buildTestWheelhouse(path.join(scratch, 'wheels'));
  // The recipe links wheels (seed-pip) from envbuild's cache: keep it inside the test's directory.
  process.env['ENVBUILD_CACHE_DIR'] = path.join(scratch, 'cache');
});
afterAll(() => {
  if (savedCacheDir === undefined) delete process.env['ENVBUILD_CACHE_DIR'];
  else process.env['ENVBUILD_CACHE_DIR'] = savedCacheDir;
});

const offline = (requirements: string[], more: Partial<PackagesOptions> = {}): PackagesOptions => ({
  requirements,
  'no-index': true,
  'find-links': [wheels],
  ...more,
});

/** Canonical name → version of the distributions physically in site-packages. */
function installedIn(t: TestEnvironment): Record<string, string> {
  const out: Record<string, string> = {};
  // pip deletes directories an uninstall empties; the recipe must put site-packages back.
  for (const n of fs.readdirSync(t.env.sitePackages)) {
    const m = /^(.+?)-([^-]+)\.dist-info$/.exec(n);
    if (m) out[m[1]!.toLowerCase().replace(/[-_.]+/g, '-')] = m[2]!;
  }
  return out;
}

function run(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir(), ...env } });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr };
}

describe('packages on Debian python3.11 (its own patched pip)', () => {
  it('installs, changes nothing when nothing changed, upgrades by a pin, and uninstalls what is no longer required', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const part = new PartHarness(packages, t, 'deps');

    expect(await part.converge(offline(['alpha==1.0']))).toEqual({ action: 'create', reasons: ['install alpha==1.0'] });
    expect(installedIn(t)).toEqual({ alpha: '1.0', beta: '1.0' });
    expect(part.previous?.outputs['installed']).toEqual({ alpha: '1.0', beta: '1.0' });
    expect(run(path.join(t.env.bin, 'alpha')).out).toBe('alpha 1.0');
    expect(fs.readFileSync(path.join(t.env.bin, 'alpha'), 'utf8').split('\n')[0]).toBe(`#!${t.env.python}`);
    // The base interpreter's own pip, whatever version this machine's Debian ships.
    const pip = /^pip (\S+) /.exec(run(t.env.base.executable, ['-m', 'pip', '--version']).out)?.[1];
    expect(part.logs.some((l) => l.startsWith(`using pip ${pip} from the base interpreter`))).toBe(true);

    // A re-apply with the same declaration: a no-op plan, decided without running anything.
    const before = snapshotTree(t.env.path, { mtimes: true });
    expect(await part.converge(offline(['alpha==1.0']))).toEqual({ action: 'no-op', reasons: [] });
    expect(snapshotTree(t.env.path, { mtimes: true })).toEqual(before);

    const upgrade = await part.converge(offline(['alpha==2.0']));
    expect(upgrade.action).toBe('update');
    expect(upgrade.reasons[0]).toBe('alpha==1.0 → alpha==2.0');
    expect(installedIn(t)).toEqual({ alpha: '2.0', beta: '1.0', delta: '1.0' });
    expect(run(path.join(t.env.bin, 'alpha')).out).toBe('alpha 2.0');

    const removal = await part.converge(offline(['gamma']));
    expect(removal.reasons).toEqual(expect.arrayContaining(['added gamma', 'removed alpha==2.0']));
    expect(installedIn(t)).toEqual({ gamma: '1.0' });
    expect(part.previous?.outputs['installed']).toEqual({ gamma: '1.0' });
    expect(fs.existsSync(path.join(t.env.bin, 'alpha'))).toBe(false);
    expect(part.logs).toContain('uninstalling alpha, beta, delta (no longer required)');

    await part.remove();
    expect(installedIn(t)).toEqual({});
  });

  it('keeps a dependency that a distribution of another part still needs', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const mine = new PartHarness(packages, t, 'mine');
    const theirs = new PartHarness(packages, t, 'theirs');
    await mine.converge(offline(['alpha==1.0']));
    await theirs.converge(offline(['epsilon']));
    expect(theirs.previous?.outputs['installed']).toEqual({ beta: '1.0', epsilon: '1.0' });

    await mine.converge(offline([]));
    expect(installedIn(t)).toEqual({ beta: '1.0', epsilon: '1.0' });
    expect(mine.logs).toContain('keeping beta: epsilon still requires it');
    expect(mine.previous?.outputs['installed']).toEqual({});
  });

  it('installs -r files (relative to the manifest) and re-plans when their content changes', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    fs.mkdirSync(path.join(t.dir, 'reqs'));
    fs.writeFileSync(path.join(t.dir, 'reqs', 'base.txt'), '# shared\ngamma  # a comment\n');
    fs.writeFileSync(path.join(t.dir, 'requirements.txt'), '-r reqs/base.txt\nalpha==1.0 \\\n  ; python_version >= "3"\n');
    const part = new PartHarness(packages, t);
    const options = offline(['-r requirements.txt']);
    await part.converge(options);
    expect(installedIn(t)).toEqual({ alpha: '1.0', beta: '1.0', gamma: '1.0' });
    expect(await part.plan(options)).toEqual({ action: 'no-op', reasons: [] });

    fs.writeFileSync(path.join(t.dir, 'reqs', 'base.txt'), 'delta\n');
    expect(await part.plan(options)).toEqual({ action: 'update', reasons: [`reqs/base.txt changed`] });
    await part.converge(options);
    expect(installedIn(t)).toEqual({ alpha: '1.0', beta: '1.0', delta: '1.0' });

    await expect(part.plan(offline(['-r missing.txt']))).rejects.toThrow(`requirements: "-r missing.txt": ${t.dir}/missing.txt does not exist`);
  });

  it('notices a package uninstalled behind its back, and puts it back', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const part = new PartHarness(packages, t);
    await part.converge(offline(['alpha==1.0']));
    fs.rmSync(path.join(t.env.sitePackages, 'beta-1.0.dist-info'), { recursive: true });
    fs.rmSync(path.join(t.env.sitePackages, 'beta.py'));

    expect(await part.plan(offline(['alpha==1.0']))).toEqual({ action: 'update', reasons: ['beta 1.0 is no longer installed'] });
    await part.converge(offline(['alpha==1.0']));
    expect(installedIn(t)).toEqual({ alpha: '1.0', beta: '1.0' });
  });

  it("surfaces pip's own error, and changes nothing, when a requirement cannot be found", async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const part = new PartHarness(packages, t);
    await part.converge(offline(['alpha==1.0']));
    const record = part.previous;
    const before = snapshotTree(t.env.path);

    const failure = part.apply(offline(['alpha==1.0', 'nonexistent-pkg==1.0']));
    await expect(failure).rejects.toMatchObject({
      name: 'UserError',
      code: 'EPIP',
      message: expect.stringContaining('ERROR: No matching distribution found for nonexistent-pkg==1.0'),
      hint: expect.stringContaining(`no-index is set, so pip looked only in ${wheels}`),
    });
    await expect(failure).rejects.toThrow(/^part app\.part \(packages\): pip could not install the requirements \(exit 1\):\n {2}ERROR: Could not find a version/);
    expect(part.previous).toBe(record);
    expect(snapshotTree(t.env.path)).toEqual(before);
  });

  it("ignores the machine's pip configuration (PIP_* variables, pip.conf)", async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const decoy = await buildDecoyWheelhouse(path.join(scratch, 'decoy'));
    const saved = { ...process.env };
    process.env['PIP_FIND_LINKS'] = decoy;
    process.env['PIP_NO_DEPS'] = '1';
    try {
      const part = new PartHarness(packages, t);
      await part.converge(offline(['alpha']));
      expect(installedIn(t)).toEqual({ alpha: '2.0', beta: '1.0', delta: '1.0' });
    } finally {
      for (const k of ['PIP_FIND_LINKS', 'PIP_NO_DEPS']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('seeds pip into the environment from the bundled wheel, and takes it out again', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const part = new PartHarness(packages, t);
    await part.converge(offline(['gamma'], { 'seed-pip': true }));
    expect(installedIn(t)).toMatchObject({ gamma: '1.0', pip: expect.stringMatching(/^\d+\./) });
    const version = run(path.join(t.env.bin, 'pip'), ['--version']);
    expect(version.out).toContain(`from ${t.env.sitePackages}/pip (python 3.11)`);
    // Linked from the bundled wheel by envbuild's installer: no ensurepip, no pip run for it.
    const pipInfo = fs.readdirSync(t.env.sitePackages).find((n) => /^pip-.*\.dist-info$/.test(n)) ?? '';
    expect(fs.readFileSync(path.join(t.env.sitePackages, pipInfo, 'INSTALLER'), 'utf8')).toBe('envbuild\n');
    expect(fs.existsSync(path.join(t.env.sitePackages, pipInfo, 'REQUESTED'))).toBe(true);
    expect(run(path.join(t.env.bin, 'pip'), ['check'], { PIP_CONFIG_FILE: os.devNull }).out).toContain('No broken requirements found.');

    await part.converge(offline(['gamma']));
    expect(installedIn(t)).toEqual({ gamma: '1.0' });
    expect(fs.existsSync(path.join(t.env.bin, 'pip'))).toBe(false);
  });
});

describe('packages from local projects', () => {
  const projectFiles = (dir: string) => {
    fs.mkdirSync(path.join(dir, 'src', 'mypkg'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'pyproject.toml'),
      '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n' +
        '[project]\nname = "mypkg"\nversion = "0.1"\ndependencies = ["beta"]\n\n[project.scripts]\nmypkg = "mypkg:main"\n',
    );
    fs.writeFileSync(path.join(dir, 'src', 'mypkg', '__init__.py'), 'def main():\n    print("mypkg says hi")\n');
  };

  it.for([
    ['Debian 3.11', (ctx: SkippableContext) => debianPython(ctx, 11)],
    ['pyenv 3.13', (ctx: SkippableContext) => pyenvVersion(ctx, '3.13')],
  ] as const)('installs an editable project on %s, building it offline with the bundled setuptools', async ([, python], ctx) => {
    const t = await makeTestEnvironment(python(ctx));
    requirePresent(ctx, localSetuptoolsWheel(t.env.base.stdlib), 'a bundled setuptools>=64 wheel (python3-setuptools-whl)');
    projectFiles(path.join(t.dir, 'mypkg'));
    const part = new PartHarness(packages, t);
    const options = offline([], { editable: ['./mypkg'], 'bundled-wheels': true });
    await part.converge(options);
    expect(part.previous?.outputs['installed']).toEqual({ beta: '1.0', mypkg: '0.1' });
    expect(run(path.join(t.env.bin, 'mypkg')).out).toBe('mypkg says hi');
    // Editable: the source is imported from the project, so an edit shows without reinstalling.
    fs.writeFileSync(path.join(t.dir, 'mypkg', 'src', 'mypkg', '__init__.py'), 'def main():\n    print("edited")\n');
    expect(run(path.join(t.env.bin, 'mypkg')).out).toBe('edited');
    expect(await part.plan(options)).toEqual({ action: 'no-op', reasons: [] });
    // Its build configuration is watched: new dependencies need a reinstall.
    fs.appendFileSync(path.join(t.dir, 'mypkg', 'pyproject.toml'), '# touched\n');
    expect((await part.plan(options)).reasons).toEqual(['mypkg/pyproject.toml changed']);

    await part.converge(offline([]));
    expect(installedIn(t)).toEqual({});
    expect(fs.readdirSync(t.env.sitePackages).filter((n) => n.includes('mypkg'))).toEqual([]);
  });

  it('installs a local wheel by path and knows what it provides', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    const part = new PartHarness(packages, t);
    await part.converge(offline([path.relative(t.dir, path.join(wheels, 'epsilon-1.0-py2.py3-none-any.whl')).replace(/^(?!\.)/, './')]));
    expect(part.previous?.outputs['installed']).toEqual({ beta: '1.0', epsilon: '1.0' });
    await part.converge(offline(['gamma']));
    expect(installedIn(t)).toEqual({ gamma: '1.0' });
  });
});

describe('packages in a cherry-pick environment', () => {
  it('uses an allowlisted global distribution instead of installing it, and never uninstalls it', async (ctx) => {
    const python = debianPython(ctx, 11);
    const six = requirePresent(
      ctx,
      fs.readdirSync('/usr/lib/python3/dist-packages').find((n) => /^six-.*\.(egg|dist)-info$/.test(n)),
      'python3-six',
    );
    const t = await makeTestEnvironment(python, 'isolation:\n  mode: cherry-pick\n  allow: [six]');
    const globalSix = fs.statSync(path.join('/usr/lib/python3/dist-packages', six));
    const part = new PartHarness(packages, t);

    await part.converge(offline(['usesix']));
    expect(installedIn(t)).toEqual({ usesix: '1.0' });
    expect(part.previous?.outputs['installed']).toEqual({ usesix: '1.0' });
    // six comes from the overlay of allowlisted globals, not from site-packages.
    expect(run(t.env.python, ['-c', 'import usesix, six; print(six.__file__)']).out).not.toContain(t.env.sitePackages);

    await part.converge(offline([]));
    expect(installedIn(t)).toEqual({});
    expect(run(t.env.python, ['-c', 'import six; print("ok")']).out).toBe('ok');
    expect(fs.statSync(path.join('/usr/lib/python3/dist-packages', six)).mtimeMs).toBe(globalSix.mtimeMs);
  });
});

describe.each([
  ['pyenv 3.8', '3.8', ''],
  ['pyenv 3.13', '3.13', ''],
  ['pyenv 3.6', '3.6', ''],
  ['pyenv 2.7 classic', '2.7', 'layout: classic'],
])('packages on %s', (_label, version, extra) => {
  it('installs, upgrades, evaluates markers for that interpreter, and uninstalls', async (ctx) => {
    const python = pyenvVersion(ctx, version);
    const t = await makeTestEnvironment(python, extra);
    const part = new PartHarness(packages, t);
    await part.converge(offline(['alpha==1.0']));
    expect(installedIn(t)).toEqual({ alpha: '1.0', beta: '1.0' });
    expect(run(path.join(t.env.bin, 'alpha')).out).toBe('alpha 1.0');

    await part.converge(offline(['alpha==2.0']));
    const py2 = version.startsWith('2.');
    // alpha 2.0 requires gamma on Python 2 only.
    expect(installedIn(t)).toEqual({ alpha: '2.0', beta: '1.0', delta: '1.0', ...(py2 ? { gamma: '1.0' } : {}) });
    expect(run(path.join(t.env.bin, 'alpha')).out).toBe('alpha 2.0');
    expect(await part.plan(offline(['alpha==2.0']))).toEqual({ action: 'no-op', reasons: [] });

    await part.converge(offline([]));
    expect(installedIn(t)).toEqual({});
  });
});

