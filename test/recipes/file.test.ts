/**
 * The file recipe: inline content and templates, modes, rewriting only on change, refusing to
 * overwrite what it did not write, and removal with its part.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import file, { type FileOptions } from '../../recipes/file/index.js';
import { renderTemplate } from '../../recipes/file/template.js';
import { makeTestEnvironment, PartHarness } from '../helpers/recipe-context.js';
import { debianPython } from '../helpers/require-python.js';

async function setup(ctx: Parameters<typeof debianPython>[0]) {
  const t = await makeTestEnvironment(debianPython(ctx, 11));
  return { t, part: new PartHarness(file, t) };
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('file', () => {
  it('writes inline content with a mode, creating its directories, and rewrites only on change', async (ctx) => {
    const { t, part } = await setup(ctx);
    const target = path.join(t.env.path, 'etc', 'app', 'app.ini');
    const options: FileOptions = { path: 'envs/app/etc/app/app.ini', content: 'python = x\n' };
    expect(await part.converge(options)).toEqual({ action: 'create', reasons: [`write ${target}`] });
    expect(fs.readFileSync(target, 'utf8')).toBe('python = x\n');
    expect(mode(target)).toBe(0o644);
    expect(part.previous?.outputs).toEqual({ path: target });
    expect(part.previous?.created.map((c) => c.path)).toEqual([path.join(t.env.path, 'etc'), path.join(t.env.path, 'etc', 'app'), target]);

    const mtime = fs.statSync(target).mtimeMs;
    expect(await part.converge(options)).toEqual({ action: 'no-op', reasons: [] });
    expect(fs.statSync(target).mtimeMs).toBe(mtime);

    // Only the mode changes: no rewrite.
    await part.converge({ ...options, mode: '0600' });
    expect(mode(target)).toBe(0o600);
    expect(fs.statSync(target).mtimeMs).toBe(mtime);

    await part.converge({ ...options, mode: '0600', content: 'python = y\n' });
    expect(fs.readFileSync(target, 'utf8')).toBe('python = y\n');

    // Edited by hand: the plan says so, and apply puts it back.
    fs.writeFileSync(target, 'tampered\n');
    expect((await part.plan({ ...options, mode: '0600', content: 'python = y\n' })).reasons).toEqual(['etc/app/app.ini edited']);
    await part.converge({ ...options, mode: '0600', content: 'python = y\n' });
    expect(fs.readFileSync(target, 'utf8')).toBe('python = y\n');

    await part.remove();
    expect(fs.existsSync(path.join(t.env.path, 'etc'))).toBe(false);
  });

  it('applies the mode whatever the umask', async (ctx) => {
    const { t, part } = await setup(ctx);
    const old = process.umask(0o077);
    try {
      await part.converge({ path: 'run.sh', content: '#!/bin/sh\necho hi\n', mode: '755' });
    } finally {
      process.umask(old);
    }
    expect(mode(path.join(t.dir, 'run.sh'))).toBe(0o755);
  });

  it('renders a template with variables, and re-plans when the template changes', async (ctx) => {
    const { t, part } = await setup(ctx);
    fs.writeFileSync(path.join(t.dir, 'app.ini.in'), '[app]\nroot = ${root}\nworkers = ${workers}\nliteral = $${root} and $5\n');
    const options: FileOptions = { path: 'app.ini', template: 'app.ini.in', variables: { root: t.env.path, workers: 4 } };
    await part.converge(options);
    expect(fs.readFileSync(path.join(t.dir, 'app.ini'), 'utf8')).toBe(`[app]\nroot = ${t.env.path}\nworkers = 4\nliteral = \${root} and $5\n`);
    expect(await part.plan(options)).toEqual({ action: 'no-op', reasons: [] });

    fs.appendFileSync(path.join(t.dir, 'app.ini.in'), 'debug = ${debug}\n');
    await expect(part.plan(options)).rejects.toThrow(
      `1 problem in template ${t.dir}/app.ini.in:\n  ${t.dir}/app.ini.in:5:9: \${debug} is not in variables (variables: root, workers)`,
    );
    expect(await part.plan({ ...options, variables: { ...options.variables, debug: false } })).toEqual({ action: 'update', reasons: ['options changed: variables'] });
    // The template alone changed: only the recipe can see that.
    fs.writeFileSync(path.join(t.dir, 'app.ini.in'), '[app]\nroot = ${root}\n');
    expect(await part.plan(options)).toEqual({ action: 'update', reasons: [`${t.dir}/app.ini differs from its template`] });
    await part.converge(options);
    expect(fs.readFileSync(path.join(t.dir, 'app.ini'), 'utf8')).toBe(`[app]\nroot = ${t.env.path}\n`);
  });

  it('refuses to overwrite a file it did not write, but adopts an identical one', async (ctx) => {
    const { t, part } = await setup(ctx);
    fs.writeFileSync(path.join(t.dir, 'notes.txt'), 'mine\n');
    await expect(part.apply({ path: 'notes.txt', content: 'theirs\n' })).rejects.toThrow(`${t.dir}/notes.txt exists and was not written by this part`);
    expect(fs.readFileSync(path.join(t.dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    await part.apply({ path: 'notes.txt', content: 'mine\n' });
    // Adopted, not owned: a file that was there before the part ran is never removed with it.
    expect(part.previous?.created).toEqual([]);
  });

  it('removes the old file when its path changes, and keeps an edited one on removal', async (ctx) => {
    const { t, part } = await setup(ctx);
    await part.converge({ path: 'a.txt', content: 'x\n' });
    await part.converge({ path: 'b.txt', content: 'x\n' });
    expect(fs.existsSync(path.join(t.dir, 'a.txt'))).toBe(false);
    fs.appendFileSync(path.join(t.dir, 'b.txt'), 'edited\n');
    await part.remove();
    expect(fs.readFileSync(path.join(t.dir, 'b.txt'), 'utf8')).toBe('x\nedited\n');
    expect(part.kept).toEqual([{ path: path.join(t.dir, 'b.txt'), why: 'changed since envbuild created it' }]);
  });
});

describe('file options', () => {
  it('wants exactly one of content and template', async (ctx) => {
    const { part } = await setup(ctx);
    await expect(part.plan({ path: 'x' })).rejects.toThrow('give the file a content or a template');
    await expect(part.plan({ path: 'x', content: '', template: 'y' })).rejects.toThrow('give content or template, not both');
    await expect(part.plan({ path: '/etc/envbuild-test.conf', content: '' })).rejects.toThrow('path /etc/envbuild-test.conf is outside the environment');
    await expect(part.plan({ path: '../elsewhere.txt', content: '' })).rejects.toThrow('is outside the environment');
  });
});

describe('renderTemplate', () => {
  it('reports every problem with its line and column', () => {
    const r = renderTemplate('a ${x}\n  ${bad name} ${y', { x: 1 }, 'f.in');
    expect(r.problems).toEqual(['f.in:2:3: "${bad name}" is not a variable name', 'f.in:2:15: "${" is not closed by "}" (write "$${" for a literal "${")']);
  });
});
