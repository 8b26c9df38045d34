/**
 * envbuild deletes only what it recorded as created, and only while it is still what it
 * made: everything else is kept and reported, and a recorded path that now leads through a
 * symbolic link is refused. Environment paths stay inside the project unless absolute.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { cli, makeScenario } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const NO_TRACE = /\n\s+at /;

function outside(): string {
  return tempDir('envbuild-outside-');
}

describe('removal deletes only what envbuild made, as it made it', () => {
  it('destroy keeps a re-pointed link, an edited file, a directory with a user file and an edited part file', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const env = path.join(p.dir, 'envs', 'app');
    fs.rmSync(path.join(env, 'bin', 'python3'));
    fs.symlinkSync('/usr/bin/python3', path.join(env, 'bin', 'python3'));
    fs.appendFileSync(path.join(env, 'pyvenv.cfg'), '# mine\n');
    fs.writeFileSync(path.join(env, 'lib', 'python3.11', 'site-packages', 'mine.py'), 'x = 1\n');
    fs.writeFileSync(path.join(env, 'share', 'NOTE.txt'), 'edited by me');

    const r = cli(p.dir, ['destroy']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kept envs/app/share/NOTE.txt: changed since envbuild created it');
    expect(r.stdout).toContain('kept envs/app/bin/python3: points to /usr/bin/python3, expected python');
    expect(r.stdout).toContain('kept envs/app/pyvenv.cfg: edited');
    expect(r.stdout).toMatch(/kept envs\/app\/lib\/python3\.11\/site-packages: not empty: holds mine\.py/);
    expect(snapshotTree(env).map((l) => l.split(' ')[0])).toEqual([
      'bin/',
      'bin/python3',
      'lib/',
      'lib/python3.11/',
      'lib/python3.11/site-packages/',
      'lib/python3.11/site-packages/mine.py',
      'pyvenv.cfg',
      'share/',
      'share/NOTE.txt',
    ]);
    expect(fs.readFileSync(path.join(env, 'share', 'NOTE.txt'), 'utf8')).toBe('edited by me');
    expect(fs.existsSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'))).toBe(false);
  });

  it('refuses a recorded entry whose parent directory is now a link elsewhere, touching nothing there', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const env = path.join(p.dir, 'envs', 'app');
    // An exact copy elsewhere, so every digest still matches: only the link stands in the way.
    const elsewhere = path.join(outside(), 'lib');
    fs.cpSync(path.join(env, 'lib'), elsewhere, { recursive: true, verbatimSymlinks: true });
    fs.rmSync(path.join(env, 'lib'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(env, 'lib'));
    const before = snapshotTree(path.dirname(elsewhere), { mtimes: true });

    const r = cli(p.dir, ['destroy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to touch "lib\/python3\.11[^"]*": its parent "lib" is a symbolic link to /);
    expect(r.stderr).not.toMatch(NO_TRACE);
    expect(snapshotTree(path.dirname(elsewhere), { mtimes: true })).toEqual(before);
  });

  it('refuses a part’s created file whose parent is now a link elsewhere', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const env = path.join(p.dir, 'envs', 'app');
    const elsewhere = path.join(outside(), 'share');
    fs.cpSync(path.join(env, 'share'), elsewhere, { recursive: true });
    fs.rmSync(path.join(env, 'share'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(env, 'share'));
    const before = snapshotTree(elsewhere, { mtimes: true });

    const r = cli(p.dir, ['destroy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing to remove ${path.join(env, 'share', 'NOTE.txt')}: its parent ${path.join(env, 'share')} is now a symbolic link to ${elsewhere}`);
    expect(r.stderr).not.toMatch(NO_TRACE);
    expect(snapshotTree(elsewhere, { mtimes: true })).toEqual(before);
  });
});

describe('environment paths', () => {
  it('a relative path leaving the project, and overlapping environments, are manifest errors at file:line:col', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(
      `envbuild: 1\nenvironments:\n  a:\n    python: ${python}\n    path: ../elsewhere/a\n  b:\n    python: ${python}\n    path: envs/b\n  c:\n    python: ${python}\n    path: envs/b/inner\n`,
    );
    const before = snapshotTree(p.dir, { mtimes: true });
    for (const command of ['plan', 'apply']) {
      const r = cli(p.dir, [command]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${p.manifest}:5:11: path \`../elsewhere/a\` leaves the manifest's directory`);
      expect(r.stderr).toMatch(new RegExp(`${p.manifest.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: environment \`c\` is inside environment \`b\``));
      expect(r.stderr).not.toMatch(NO_TRACE);
    }
    expect(snapshotTree(p.dir, { mtimes: true })).toEqual(before);
    expect(fs.existsSync(path.join(path.dirname(p.dir), 'elsewhere'))).toBe(false);
  });

  it('an absolute path outside the project is built there, and destroyed', (ctx) => {
    const python = debianPython(ctx, 11);
    const target = path.join(outside(), 'app');
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    path: ${target}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    expect(fs.existsSync(path.join(target, 'pyvenv.cfg'))).toBe(true);
    expect(cli(p.dir, ['destroy']).code).toBe(0);
    expect(fs.existsSync(target)).toBe(false);
  });
});
