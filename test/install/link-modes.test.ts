/**
 * The link modes across file systems: with the cache on one file system and the environment on
 * another (the temp dir and /dev/shm here), `auto` falls back from clone to hardlink to copy
 * and keeps copying; a forced `hardlink` says why it cannot work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import { Linker } from '../../src/install/link.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;

beforeEach(() => {
  tmp = tempDir('envbuild-link-');
});

const read = (p: string) => fs.readFileSync(p, 'utf8');

/** A fresh directory on another file system than the temp dir (removed after the test), or a skip. */
function otherFileSystem(ctx: TestContext): string {
  const base = '/dev/shm';
  if (!fs.existsSync(base) || fs.statSync(base).dev === fs.statSync(os.tmpdir()).dev) {
    if (process.env['CI'] === 'true') throw new Error(`${base} is needed as a second file system`);
    ctx.skip(`${base} is not a second file system here`);
  }
  const dir = fs.mkdtempSync(path.join(base, 'envbuild-link-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}

describe('linking across file systems', () => {
  it('copies every file when neither a clone nor a hard link can reach the environment', async (ctx) => {
    const other = otherFileSystem(ctx);
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'far', version: '1.0', modules: { 'far/__init__.py': 'F = 1\n', 'far/b.py': 'B = 2\n' } });
    const target = targetFor(path.join(other, 'env'), fakePythonInfo());
    fs.mkdirSync(target.prefix);
    const [d] = (await installWheels(target, [{ path: wheel }], { cacheDir: path.join(tmp, 'cache'), env: {} })).installed;
    expect(d?.linkMode).toBe('copy');
    for (const [f, text] of [['far/__init__.py', 'F = 1\n'], ['far/b.py', 'B = 2\n']] as const) {
      expect(read(path.join(target.purelib, f))).toBe(text);
      expect(fs.statSync(path.join(target.purelib, f)).nlink).toBe(1);
    }
  });

  it('says a forced hardlink needs one file system, and installs nothing', async (ctx) => {
    const other = otherFileSystem(ctx);
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'far', version: '1.0', modules: { 'far.py': '' } });
    const target = targetFor(path.join(other, 'env'), fakePythonInfo());
    fs.mkdirSync(target.prefix);
    const e = await refusal(installWheels(target, [{ path: wheel }], { cacheDir: path.join(tmp, 'cache'), env: {}, linkMode: 'hardlink' }));
    expect(e.code).toBe('ELINKMODE');
    expect(e.message).toBe('install mode "hardlink" is not supported here (EXDEV)');
    expect(e.hint).toBe('the cache and the environment must be on one file system for hard links; use copy');
    expect(fs.existsSync(path.join(target.purelib, 'far.py'))).toBe(false);
  });

  for (const form of ['link', 'linkSync'] as const) {
    it(`${form}: falls back once and keeps the mode found, replacing a file already there`, async (ctx) => {
      const other = otherFileSystem(ctx);
      const src = path.join(tmp, 'src.txt');
      fs.writeFileSync(src, 'cached');
      const linker = new Linker('auto');
      expect(linker.used).toBe('clone');
      const put = (dst: string) => (form === 'link' ? linker.link(src, dst) : Promise.resolve(linker.linkSync(src, dst)));
      await put(path.join(other, 'a'));
      expect(linker.used).toBe('copy');
      fs.writeFileSync(path.join(other, 'b'), 'stray');
      await put(path.join(other, 'b'));
      expect(read(path.join(other, 'b'))).toBe('cached');
      // on the cache's own file system the mode found stays: still copies, no hard link
      await put(path.join(tmp, 'c'));
      expect(fs.statSync(path.join(tmp, 'c')).nlink).toBe(1);
      expect(fs.statSync(src).nlink).toBe(1);
    });
  }

  for (const form of ['link', 'linkSync'] as const) {
    it(`${form}: passes on a real failure (a missing source) instead of falling back`, async () => {
      const linker = new Linker('auto');
      const missing = path.join(tmp, 'missing');
      const run = form === 'link' ? linker.link(missing, path.join(tmp, 'dst')) : Promise.resolve().then(() => linker.linkSync(missing, path.join(tmp, 'dst')));
      await expect(run).rejects.toMatchObject({ code: 'ENOENT' });
      expect(fs.existsSync(path.join(tmp, 'dst'))).toBe(false);
      // not taken for "this file system cannot clone": the next file still tries a clone
      expect(linker.used).toBe('clone');
    });
  }
});
