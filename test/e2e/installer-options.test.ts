/**
 * The packages part's installer settings, through the real CLI with Debian's python3.11 and
 * wheels built here: `install-mode` (over ENVBUILD_LINK_MODE), `compile-bytecode`, and
 * removing a whole part uninstalls what envbuild installed by RECORD, without pip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, type Project } from '../helpers/project.js';
import { debianPython } from '../helpers/require-python.js';
import { buildTestWheelhouse } from '../helpers/wheelhouse.js';

const SLOW = 600_000;

function part(name: string, requirements: string[], extra: string[] = []): string[] {
  return [`      ${name}:`, '        recipe: packages', `        requirements: [${requirements.join(', ')}]`, '        find-links: [wh]', '        no-index: true', ...extra.map((l) => `        ${l}`)];
}

function manifest(python: string, parts: string[][]): string {
  return ['envbuild: 1', 'environments:', '  app:', `    python: ${python}`, '    parts:', ...parts.flat(), ''].join('\n');
}

function ok(r: { code: number | null; stdout: string; stderr: string }): string {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const site = (p: Project) => path.join(p.env('app'), 'lib', 'python3.11', 'site-packages');

describe('packages part: install-mode, compile-bytecode, removal by RECORD (python3.11)', () => {
  it('install-mode: copy gives the environment its own files, overriding ENVBUILD_LINK_MODE', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, [part('deps', ['beta'])]));
    await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('apply'));
    // The default: hard links into the shared cache.
    expect(fs.statSync(path.join(site(p), 'beta.py')).nlink).toBeGreaterThan(1);

    const q = makeProject(manifest(python, [part('deps', ['beta'], ['install-mode: copy'])]));
    await buildTestWheelhouse(path.join(q.dir, 'wh'));
    const saved = process.env['ENVBUILD_LINK_MODE'];
    process.env['ENVBUILD_LINK_MODE'] = 'hardlink';
    try {
      expect(ok(q.run('apply'))).toMatch(/envbuild installed beta-1\.0 \(copy\)/);
    } finally {
      if (saved === undefined) delete process.env['ENVBUILD_LINK_MODE'];
      else process.env['ENVBUILD_LINK_MODE'] = saved;
    }
    for (const f of ['beta.py', 'beta-1.0.dist-info/METADATA', 'beta-1.0.dist-info/INSTALLER', 'beta-1.0.dist-info/RECORD']) {
      expect(fs.statSync(path.join(site(q), f)).nlink, f).toBe(1);
    }
    // A value outside the four is a manifest error, located.
    q.write(manifest(python, [part('deps', ['beta'], ['install-mode: symlink'])]));
    const bad = q.run('apply');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/env\.yaml:\d+:\d+.*install-mode/s);
  }, SLOW);

  it('compile-bytecode: true compiles what was installed; off by default, nothing is compiled', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, [part('deps', ['alpha==1.0'])]));
    await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('apply'));
    expect(fs.existsSync(path.join(site(p), 'alpha', '__pycache__'))).toBe(false);
    expect(fs.existsSync(path.join(site(p), '__pycache__'))).toBe(false);

    const q = makeProject(manifest(python, [part('deps', ['alpha==1.0'], ['compile-bytecode: true'])]));
    await buildTestWheelhouse(path.join(q.dir, 'wh'));
    expect(ok(q.run('apply'))).toMatch(/compiled 2 modules to bytecode/);
    expect(fs.readdirSync(path.join(site(q), 'alpha', '__pycache__'))).toEqual(['__init__.cpython-311.pyc']);
    expect(fs.readdirSync(path.join(site(q), '__pycache__'))).toEqual(['beta.cpython-311.pyc']);
  }, SLOW);

  it('removing a part uninstalls its wheels by RECORD, keeping what another part still needs', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(manifest(python, [part('deps', ['alpha==1.0']), part('more', ['epsilon'])]));
    await buildTestWheelhouse(path.join(p.dir, 'wh'));
    ok(p.run('apply'));
    expect(fs.existsSync(path.join(p.env('app'), 'bin', 'alpha'))).toBe(true);

    p.write(manifest(python, [part('more', ['epsilon'])]));
    const out = ok(p.run('apply'));
    expect(out).toMatch(/keeping beta: epsilon still requires it/);
    expect(out).toMatch(/uninstalling alpha \(by RECORD\)/);
    expect(out).not.toMatch(/pip \d/);
    const left = fs.readdirSync(site(p)).sort();
    expect(left).toEqual(['beta-1.0.dist-info', 'beta.py', 'epsilon-1.0.dist-info', 'epsilon.py']);
    expect(fs.existsSync(path.join(p.env('app'), 'bin', 'alpha'))).toBe(false);
    ok(p.run('check'));
  }, SLOW);
});
