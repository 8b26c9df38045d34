/**
 * Removing what a part created, in the cases a user meets less often: an environment root that
 * is itself a symbolic link (environments kept on another disk), a link deeper down, a path
 * outside every root the runner knows, the order of what is kept, and a path the system refuses
 * to remove. Real files in temp dirs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { describeCreated, removeCreatedPaths } from '../../src/parts/created-paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const described = async (...paths: string[]) => Promise.all(paths.map(async (p) => (await describeCreated(p))!));

describe('removeCreatedPaths', () => {
  it('removes through an environment root that is a symbolic link the user made', async () => {
    const project = tempDir();
    const disk = tempDir();
    fs.mkdirSync(path.join(project, 'envs'));
    fs.symlinkSync(disk, path.join(project, 'envs', 'app'));
    const env = path.join(project, 'envs', 'app');
    fs.mkdirSync(path.join(env, 'etc'));
    fs.writeFileSync(path.join(env, 'etc', 'a.ini'), 'a');
    fs.writeFileSync(path.join(env, 'top.txt'), 't');
    const created = await described(path.join(env, 'etc'), path.join(env, 'etc', 'a.ini'), path.join(env, 'top.txt'));
    // The project is listed first: the innermost root holding a path is the one that counts.
    expect(await removeCreatedPaths(created, [project, env, path.join(project, 'envs', 'app-other')])).toEqual([]);
    expect(fs.readdirSync(disk)).toEqual([]);
  });

  it('refuses to go through a link deeper down, whatever level it is at', async () => {
    const env = tempDir();
    const elsewhere = tempDir();
    fs.mkdirSync(path.join(env, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(env, 'a', 'b', 'f'), 'f');
    const [record] = await described(path.join(env, 'a', 'b', 'f'));
    fs.writeFileSync(path.join(elsewhere, 'f'), 'f');
    fs.rmSync(path.join(env, 'a', 'b'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(env, 'a', 'b'));
    const e = (await removeCreatedPaths([record!], [env]).catch((err: unknown) => err)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`refusing to remove ${record!.path}: its parent ${path.join(env, 'a', 'b')} is now a symbolic link to ${elsewhere}`);
    expect(fs.readFileSync(path.join(elsewhere, 'f'), 'utf8')).toBe('f');
  });

  it('removes a path outside every root it was given, and one when given none', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a'), 'a');
    fs.writeFileSync(path.join(dir, 'b'), 'b');
    const [a, b] = await described(path.join(dir, 'a'), path.join(dir, 'b'));
    expect(await removeCreatedPaths([a!], [path.join(dir, 'elsewhere')])).toEqual([]);
    expect(await removeCreatedPaths([b!])).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('reports what it keeps longest path first, and paths of one length in reverse name order', async () => {
    const dir = tempDir();
    for (const f of ['a', 'c', 'b', 'dd']) fs.writeFileSync(path.join(dir, f), f);
    const created = await described(...['a', 'c', 'dd', 'b'].map((f) => path.join(dir, f)));
    for (const f of ['a', 'c', 'b', 'dd']) fs.writeFileSync(path.join(dir, f), 'edited');
    const kept = await removeCreatedPaths(created, [dir]);
    expect(kept.map((k) => path.basename(k.path))).toEqual(['dd', 'c', 'b', 'a']);
  });

  it('keeps a path the system refuses to remove, saying why', async (ctx) => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'locked'));
    fs.writeFileSync(path.join(dir, 'locked', 'f'), 'f');
    const created = await described(path.join(dir, 'locked', 'f'));
    try {
      // An immutable directory: nobody, root included, may remove what is in it.
      execFileSync('chattr', ['+i', path.join(dir, 'locked')], { stdio: 'ignore' });
    } catch {
      if (process.env['CI'] === 'true') throw new Error('chattr +i is not available, and CI=true requires it');
      ctx.skip('chattr +i is not available here (not root, or the filesystem lacks the attribute)');
    }
    try {
      expect(await removeCreatedPaths(created, [dir])).toEqual([{ path: path.join(dir, 'locked', 'f'), why: 'could not remove (EPERM)' }]);
    } finally {
      execFileSync('chattr', ['-i', path.join(dir, 'locked')]);
    }
    expect(fs.existsSync(path.join(dir, 'locked', 'f'))).toBe(true);
  });
});
