/**
 * Nothing is written through a path the manifest does not name: an entry point named
 * `../../../../x/planted` in a distribution's entry_points.txt is refused before the scripts
 * recipe writes anything, and the file recipe does not follow a symbolic link inside the
 * project out to somewhere else. A decoy directory outside the project is compared before and
 * after each run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { treeDigest } from '../helpers/tree-snapshot.js';
import { cli, makeScenario } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const manifest = (python: string, parts = '') => `envbuild: 1
environments:
  app:
    python: ${python}
${parts ? `    parts:\n${parts}` : ''}`;

function decoy(): { dir: string; digest: () => string } {
  const dir = tempDir('envbuild-decoy-');
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'the user’s own file\n');
  return { dir, digest: () => treeDigest(dir) };
}

function sitePackages(envDir: string): string {
  const lib = path.join(envDir, 'lib');
  const version = fs.readdirSync(lib).find((n) => n.startsWith('python'));
  return path.join(lib, version!, 'site-packages');
}

describe('the scripts recipe', () => {
  it('refuses an entry point whose name leaves bin/, before writing anything', (ctx) => {
    const python = debianPython(ctx, 11);
    const outside = decoy();
    const p = makeScenario(manifest(python));
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const env = path.join(p.dir, 'envs', 'app');
    // A distribution as pip would have left it, whose entry_points.txt names a path.
    const planted = path.relative(path.join(env, 'bin'), path.join(outside.dir, 'planted'));
    expect(planted).toMatch(/^(\.\.\/){3,}/);
    const distInfo = path.join(sitePackages(env), 'evil-1.0.dist-info');
    fs.mkdirSync(distInfo);
    fs.writeFileSync(path.join(distInfo, 'METADATA'), 'Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n');
    fs.writeFileSync(path.join(distInfo, 'entry_points.txt'), `[console_scripts]\ngood = evil:main\n${planted} = evil:main\n`);
    const before = outside.digest();
    const binBefore = fs.readdirSync(path.join(env, 'bin')).sort();

    p.write(manifest(python, '      bin: {recipe: scripts, entry-points-of: [evil]}\n'));
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`evil declares the entry point "${planted}", which is not a script name`);
    expect(r.stderr).not.toContain('internal error');
    expect(outside.digest()).toBe(before);
    expect(fs.existsSync(path.join(outside.dir, 'planted'))).toBe(false);
    // Refused before any write: not even the valid script was written.
    expect(fs.readdirSync(path.join(env, 'bin')).sort()).toEqual(binBefore);
  });
});

describe('the file recipe', () => {
  const through: Array<[string, string]> = [
    ['a file in a linked directory', 'link/app.ini'],
    ['a file in a new directory under a linked one', 'link/conf.d/app.ini'],
    ['a file under a link to a link', 'chain/app.ini'],
  ];
  it.for(through)('does not write %s that leads out of the project; the error points at the option', ([, target], ctx) => {
    const python = debianPython(ctx, 11);
    const outside = decoy();
    const p = makeScenario(manifest(python, `      conf:\n        recipe: file\n        path: ${target}\n        content: "x = 1\\n"\n`));
    fs.symlinkSync(outside.dir, path.join(p.dir, 'link'));
    fs.symlinkSync('link', path.join(p.dir, 'chain'));
    const before = outside.digest();
    // Apply refuses it; once the environment exists, plan (which asks the recipe) does too.
    for (const command of ['apply', 'plan']) {
      const r = cli(p.dir, [command]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`${p.manifest}:8:15: part app.conf (file): path ${path.join(p.dir, target)} leads through the symbolic link`);
      expect(r.stderr).toContain(`to ${path.join(outside.dir, target.split('/').slice(1).join('/'))}, outside the environment and the project`);
      expect(r.stderr).toMatch(/hint: envbuild does not write through links/);
      expect(r.stderr).not.toContain('internal error');
    }
    expect(outside.digest()).toBe(before);
  });

  it('follows a link that stays inside the project', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(manifest(python, '      conf: {recipe: file, path: inner/app.ini, content: "x = 1\\n"}\n'));
    fs.mkdirSync(path.join(p.dir, 'config'));
    fs.symlinkSync('config', path.join(p.dir, 'inner'));
    const r = cli(p.dir, ['apply']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(p.dir, 'config', 'app.ini'), 'utf8')).toBe('x = 1\n');
  });
});
