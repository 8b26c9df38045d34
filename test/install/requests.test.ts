/**
 * What installWheels tells a user about a request it refuses (code, message, hint), which
 * multi-tag wheels it accepts, and how generated metadata is shared between environments
 * through the cache's store — or written per environment when the store cannot be linked from.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import type { InstallOptions, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;
let target: InstallTarget;
let opts: InstallOptions;

beforeEach(() => {
  tmp = tempDir('envbuild-requests-');
  target = newTarget('env');
  opts = { cacheDir: path.join(tmp, 'cache'), env: {} };
});

function newTarget(name: string): InstallTarget {
  const t = targetFor(path.join(tmp, name), fakePythonInfo({ wheelPlatform: { platform: 'linux-x86_64', glibc: '2.36', gilDisabled: false, maxUnicode: 0x10ffff } }));
  fs.mkdirSync(t.prefix);
  return t;
}

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('refused requests', () => {
  it('carry their codes and hints', async () => {
    const a = await buildWheel(path.join(tmp, 'wh'), { name: 'a', version: '1.0', modules: { 'a.py': '' } });
    const a2 = await buildWheel(path.join(tmp, 'wh2'), { name: 'a', version: '2.0', modules: { 'a.py': '' } });
    expect((await refusal(installWheels(target, [{}], opts))).code).toBe('EINSTALL');
    expect((await refusal(installWheels(target, [{ path: a, sha256: 'xyz' }], opts))).code).toBe('EINSTALL');
    expect((await refusal(installWheels(target, [{ path: path.join(tmp, 'gone-1.0-py3-none-any.whl') }], opts))).code).toBe('EINSTALL');
    expect((await refusal(installWheels(target, [{ path: a }, { path: a2 }], opts))).code).toBe('EINSTALL');
    const pinned = await refusal(installWheels(target, [{ path: a, sha256: '0'.repeat(64) }], opts));
    expect(pinned.code).toBe('EHASH');
    expect(pinned.message).toBe(`${a}: sha256 ${sha(a)} does not match the pinned ${'0'.repeat(64)}`);
    expect(pinned.hint).toBe('the file changed since it was locked; nothing was installed from it');
    const unpinned = await refusal(installWheels(target, [{ url: 'https://example.invalid/a-1.0-py3-none-any.whl' }], opts));
    expect(unpinned.code).toBe('EINSTALL');
    expect(unpinned.message).toBe('https://example.invalid/a-1.0-py3-none-any.whl: a wheel fetched over the network needs a sha256');
    expect(unpinned.hint).toBe('lock the environment (envbuild lock) to pin hashes');
    const mode = await refusal(installWheels(target, [{ path: a }], { ...opts, env: { ENVBUILD_LINK_MODE: 'symlink' } }));
    expect(mode.code).toBe('ELINKMODE');
    expect(mode.message).toBe('ENVBUILD_LINK_MODE is "symlink"; expected auto, clone, hardlink or copy');
    expect(fs.readdirSync(target.prefix)).toEqual([]);
  });

  it('names every tag of a wheel the interpreter cannot use, and the first three it accepts', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'native', version: '1.0', tag: 'cp312.cp313-abi3-manylinux_2_17_x86_64', rootIsPurelib: false, modules: { 'native.py': '' } });
    const e = await refusal(installWheels(target, [{ path: wheel }], opts));
    expect(e.code).toBe('ETAGS');
    expect(e.message).toBe('native-1.0-cp312.cp313-abi3-manylinux_2_17_x86_64.whl is not compatible with this interpreter (its tags: cp312-abi3-manylinux_2_17_x86_64, cp313-abi3-manylinux_2_17_x86_64)');
    expect(e.hint).toBe(`the interpreter accepts cp311-cp311-manylinux_2_36_x86_64, cp311-cp311-manylinux_2_35_x86_64, cp311-cp311-manylinux_2_34_x86_64, … (${target.tags.length} tags); pick a wheel built for it`);
  });

  it('accepts a wheel when any one of its tags fits (py2.py3)', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'six', version: '1.16.0', tag: 'py2.py3-none-any', modules: { 'six.py': 'S = 6\n' } });
    await installWheels(target, [{ path: wheel }], opts);
    expect(fs.readFileSync(path.join(target.purelib, 'six.py'), 'utf8')).toBe('S = 6\n');
  });
});

describe('generated metadata', () => {
  it('is one file in the cache for every environment that hard-links', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'shared', version: '1.0', modules: { 'shared.py': '' } });
    const envs = [target, newTarget('b'), newTarget('c')];
    for (const t of envs) await installWheels(t, [{ path: wheel }], opts);
    for (const name of ['INSTALLER', 'RECORD']) {
      const files = envs.map((t) => path.join(t.purelib, 'shared-1.0.dist-info', name));
      expect(new Set(files.map((f) => fs.statSync(f).ino)).size, name).toBe(1);
      expect(fs.statSync(files[0]!).nlink, name).toBe(envs.length + 1);
    }
    expect(fs.readFileSync(path.join(target.purelib, 'shared-1.0.dist-info', 'INSTALLER'), 'utf8')).toBe('envbuild\n');
  });

  it('is written in each environment once the store proves to be on another file system, which it stops filling', async (ctx: TestContext) => {
    const shm = '/dev/shm';
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(os.tmpdir()).dev) {
      if (process.env['CI'] === 'true') throw new Error(`${shm} is needed as a second file system`);
      ctx.skip(`${shm} is not a second file system here`);
    }
    const far = fs.mkdtempSync(path.join(shm, 'envbuild-generated-'));
    onTestFinished(() => fs.rmSync(far, { recursive: true, force: true }));
    fs.mkdirSync(opts.cacheDir!, { recursive: true });
    fs.symlinkSync(far, path.join(opts.cacheDir!, 'generated'));
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'far', version: '1.0', modules: { 'far.py': '' } });
    const [d] = (await installWheels(target, [{ path: wheel, requested: true }], opts)).installed;
    expect(d?.linkMode).toBe('hardlink');
    for (const [name, text] of [['INSTALLER', 'envbuild\n'], ['REQUESTED', '']] as const) {
      const file = path.join(d!.distInfo, name);
      expect(fs.readFileSync(file, 'utf8'), name).toBe(text);
      expect(fs.statSync(file).nlink, name).toBe(1);
    }
    expect(fs.statSync(path.join(d!.distInfo, 'RECORD')).nlink).toBe(1);
    // the first failed link (INSTALLER's) ends the store's use for this install
    expect(fs.readdirSync(far)).toHaveLength(1);
  });
});
