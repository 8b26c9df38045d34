import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeSite } from '../helpers/fake-site.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';
import { makeProject, py } from '../helpers/project.js';

// The audit works on any machine: the "global" packages come from a search path the test builds.
function site(): FakeSite {
  const s = new FakeSite();
  s.distInfo({ name: 'allowed-pkg', version: '1.0', files: { 'allowed_pkg/__init__.py': 'NAME = "allowed"\n' } });
  s.distInfo({ name: 'other-pkg', version: '2.0', files: { 'other_pkg/__init__.py': '' } });
  return s;
}

const manifest = (python: string, searchPath: string) =>
  `envbuild: 1\nenvironments:\n  picky:\n    python: ${python}\n    isolation:\n      mode: cherry-pick\n      search-paths: [${searchPath}]\n      allow: [allowed-pkg]\n  sealed:\n    python: ${python}\n`;

describe('envbuild check', () => {
  it('passes on clean cherry-pick and full environments, classifying what they import', (ctx) => {
    const python = pyenvVersion(ctx, '3.12');
    const s = site();
    const p = makeProject(manifest(python, s.dir));
    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('picky'), 'import allowed_pkg; print(allowed_pkg.NAME)').stdout).toBe('allowed');
    expect(py(p.env('picky'), 'import other_pkg').code).not.toBe(0);
    const r = p.run('check');
    expect(r.stdout).toMatch(/^✔ picky +clean +cherry-pick +envs\/picky +importable: \d+ stdlib, 1 allowed$/m);
    expect(r.stdout).toMatch(/^✔ sealed +clean +full +envs\/sealed +importable: \d+ stdlib$/m);
    expect(r.code).toBe(0);
    const json = JSON.parse(p.run('check', '--json').stdout);
    const picky = json.environments.find((e: { name: string }) => e.name === 'picky');
    expect(picky.audit.modules.find((m: { name: string }) => m.name === 'allowed_pkg').class).toBe('allowed');
  });

  it('finds a leak injected through a .pth file, in a full environment too', (ctx) => {
    const python = pyenvVersion(ctx, '3.12');
    const s = site();
    const p = makeProject(manifest(python, s.dir));
    expect(p.run('apply').code).toBe(0);
    const sitePackages = path.join(p.env('sealed'), 'lib', 'python3.12', 'site-packages');
    fs.writeFileSync(path.join(sitePackages, 'leak.pth'), `${s.dir}\n`);
    const r = p.run('check', '--env', 'sealed');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✘ sealed');
    // The finding itself, not the fixture's name (leak.pth) echoed back.
    expect(r.stdout).toMatch(/✘ sealed +\d+ problems? +full +envs\/sealed +importable: .*\d+ leak/);
    expect(r.stdout).toContain(`    "import other_pkg" finds ${s.dir}, which full isolation excludes`);
    expect(r.stdout).toContain(`    sys.path contains ${s.dir}, which is neither the standard library, the environment nor allowed`);
  });

  it('finds a dangling link after a global package is upgraded, and apply repairs it', (ctx) => {
    const python = pyenvVersion(ctx, '3.12');
    const s = site();
    const p = makeProject(manifest(python, s.dir));
    expect(p.run('apply').code).toBe(0);
    // What an upgrade does to the global directory: the metadata directory is renamed.
    fs.renameSync(path.join(s.dir, 'allowed_pkg-1.0.dist-info'), path.join(s.dir, 'allowed_pkg-1.1.dist-info'));
    const metadata = path.join(s.dir, 'allowed_pkg-1.1.dist-info', 'METADATA');
    fs.writeFileSync(metadata, fs.readFileSync(metadata, 'utf8').replace('Version: 1.0', 'Version: 1.1'));
    const r = p.run('check', '--env', 'picky');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✘ picky +\d+ problems +cherry-pick +envs\/picky/);
    expect(r.stdout).toMatch(/ {4}\S+\/allowed_pkg-1\.0\.dist-info points to \S+allowed_pkg-1\.0\.dist-info, which no longer exists \(upgraded or removed globally\?\)/);
    expect(r.stdout).toContain('allowlisted global packages changed: allowed-pkg 1.0 → 1.1');
    expect(p.run('plan').stdout).toContain('allowlisted global packages changed: allowed-pkg 1.0 → 1.1');
    expect(p.run('apply').code).toBe(0);
    expect(py(p.env('picky'), 'import importlib.metadata as m; print(m.version("allowed-pkg"))').stdout).toBe('1.1');
    expect(p.run('check').code).toBe(0);
  });

  it('reports a full environment against Debian python as seeing no global package', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    expect(p.run('check').stdout).toContain('not built yet');
    expect(p.run('apply').code).toBe(0);
    const json = JSON.parse(p.run('check', '--json').stdout);
    const classes = new Set(json.environments[0].audit.modules.map((m: { class: string }) => m.class));
    expect([...classes].sort()).toEqual(['stdlib']);
    expect(json.clean).toBe(true);
  });
});
