/**
 * The installer's directory guard: which paths count as inside an environment, and how
 * directories are made in one — through symlinks that stay inside (venv's `lib64 -> lib`),
 * never through one that leaves it or lands on a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvDirs, isInside } from '../../src/install/env-dirs.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import type { InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';
import { refusal, rejection } from '../helpers/user-error.js';

let tmp: string;
let target: InstallTarget;

beforeEach(() => {
  tmp = tempDir('envbuild-env-dirs-');
  target = targetFor(path.join(tmp, 'env'), fakePythonInfo());
  fs.mkdirSync(target.purelib, { recursive: true });
});

describe('isInside', () => {
  for (const [root, p, inside] of [
    ['/a', '/a/b', true],
    ['/a', '/a/b/c', true],
    ['/a', '/a', true],
    ['/a', '/a/./b', true],
    ['/a', '/a/b/../c', true],
    ['/a', '/a/..b', true],
    ['/a', '/ab', false],
    ['/a', '/ab/c', false],
    ['/a', '/b/a', false],
    ['/a/b', '/x/y/z', false],
    ['/a', '/a/../b', false],
    ['/a', '/a/b/../../c', false],
    ['/a', '/', false],
  ] as const) {
    it(`${root} holds ${p}: ${inside}`, () => {
      expect(isInside(root, p)).toBe(inside);
    });
  }
});

describe('EnvDirs', () => {
  it('refuses an environment that does not exist, and a path outside one, with their codes', async () => {
    const gone = await rejection(EnvDirs.open(path.join(tmp, 'nope')));
    expect(gone.code).toBe('EINSTALL');
    expect(gone.message).toBe(`environment ${path.join(tmp, 'nope')} does not exist (ENOENT)`);
    const dirs = await EnvDirs.open(target.prefix);
    const out = refusal(() => dirs.ensureSync(path.join(tmp, 'elsewhere', 'x')));
    expect(out.code).toBe('EINSTALL');
    expect(out.message).toBe(`refusing to write ${path.join(tmp, 'elsewhere', 'x')} (a directory): it is outside the environment ${target.prefix}`);
    expect(out.hint).toBe('the wheel is malformed or malicious; nothing was installed from it');
    expect(fs.existsSync(path.join(tmp, 'elsewhere'))).toBe(false);
  });

  it('makes directories through a symlink that stays inside the environment (lib64 -> lib)', async () => {
    fs.symlinkSync('lib', path.join(target.prefix, 'lib64'));
    const dirs = await EnvDirs.open(target.prefix);
    const via = path.join(target.prefix, 'lib64', 'python3.11', 'site-packages', 'pkg', 'sub');
    dirs.ensureSync(via);
    expect(fs.statSync(path.join(target.purelib, 'pkg', 'sub')).isDirectory()).toBe(true);
    // and a wheel installed into a scheme reached through it lands in the real directory
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'via', version: '1.0', modules: { 'via/x.py': 'V = 1\n' } });
    await installWheels({ ...target, purelib: path.join(target.prefix, 'lib64', 'python3.11', 'site-packages') }, [{ path: wheel }], { cacheDir: path.join(tmp, 'cache'), env: {} });
    expect(fs.readFileSync(path.join(target.purelib, 'via', 'x.py'), 'utf8')).toBe('V = 1\n');
  });

  it('refuses a symlink that leaves the environment, and one that lands on a file, with their codes and hints', async () => {
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(target.purelib, 'out'));
    fs.writeFileSync(path.join(target.purelib, 'file.txt'), 'a file');
    fs.symlinkSync('file.txt', path.join(target.purelib, 'onfile'));
    fs.writeFileSync(path.join(target.purelib, 'plain'), 'a file');
    const dirs = await EnvDirs.open(target.prefix);
    const out = refusal(() => dirs.ensureSync(path.join(target.purelib, 'out', 'x')));
    expect(out.code).toBe('EINSTALL');
    expect(out.message).toBe(`refusing to write into ${path.join(target.purelib, 'out')}: it resolves to ${outside}, outside the environment`);
    expect(out.hint).toBe('a symlink inside the environment points elsewhere; remove it and run again');
    const onFile = refusal(() => dirs.ensureSync(path.join(target.purelib, 'onfile', 'x')));
    expect(onFile.code).toBe('EINSTALL');
    expect(onFile.message).toBe(`refusing to write into ${path.join(target.purelib, 'onfile')}: it is not a directory`);
    const plain = refusal(() => dirs.ensureSync(path.join(target.purelib, 'plain', 'x')));
    expect(plain.code).toBe('EINSTALL');
    expect(plain.message).toBe(`refusing to write into ${path.join(target.purelib, 'plain')}: it is not a directory`);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readFileSync(path.join(target.purelib, 'file.txt'), 'utf8')).toBe('a file');
  });

  it('refuses a dangling symlink where a directory belongs, as a user error', async () => {
    fs.symlinkSync(path.join(tmp, 'gone'), path.join(target.purelib, 'pkg'));
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'pkg', version: '1.0', modules: { 'pkg/x.py': '' } });
    const e = await rejection(installWheels(target, [{ path: wheel }], { cacheDir: path.join(tmp, 'cache'), env: {} }));
    expect(e.code).toBe('EINSTALL');
    expect(e.message).toBe(`refusing to write into ${path.join(target.purelib, 'pkg')}: it is a symbolic link that cannot be followed (ENOENT)`);
    expect(e.hint).toBe('remove the link and run again');
    expect(fs.existsSync(path.join(tmp, 'gone'))).toBe(false);
  });
});
