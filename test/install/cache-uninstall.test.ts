/**
 * The wheel cache's layout and its recovery from damaged entries, its size and cleaning;
 * linking over what is already in an environment; uninstalling by an untrusted RECORD.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { cacheSize, cleanCache, ensureCached, lookupCached } from '../../src/install/cache.js';
import { installWheels, targetFor, uninstallDistribution } from '../../src/install/index.js';
import type { InstallOptions, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { installTarget } from '../helpers/install-target.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;
let cacheDir: string;
let target: InstallTarget;
let opts: InstallOptions;

beforeEach(() => {
  tmp = tempDir('envbuild-cache-');
  cacheDir = path.join(tmp, 'cache');
  target = installTarget(tmp);
  opts = { cacheDir, env: {} };
});

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const read = (p: string) => fs.readFileSync(p, 'utf8');
/** Every path under `dir`, relative, sorted. */
const tree = (dir: string) => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : []);

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}

describe('the wheel cache', () => {
  it('holds one entry per wheel hash: files/ and entry.json, nothing else', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'demo', version: '1.0', modules: { 'demo/__init__.py': 'X = 1\n' }, entryPoints: { console_scripts: { d: 'demo:f' } } });
    const h = sha(wheel);
    await installWheels(target, [{ path: wheel }], opts);
    expect(fs.readdirSync(path.join(cacheDir, 'wheels'))).toEqual([h]);
    expect(tree(path.join(cacheDir, 'wheels', h))).toEqual(['entry.json', 'files', 'files/demo', 'files/demo-1.0.dist-info', 'files/demo-1.0.dist-info/METADATA', 'files/demo-1.0.dist-info/RECORD', 'files/demo-1.0.dist-info/WHEEL', 'files/demo-1.0.dist-info/entry_points.txt', 'files/demo/__init__.py']);
    const entry = JSON.parse(read(path.join(cacheDir, 'wheels', h, 'entry.json')));
    expect(entry).toMatchObject({ format: 1, filename: 'demo-1.0-py3-none-any.whl', sha256: h, name: 'demo', version: '1.0', distInfo: 'demo-1.0.dist-info', rootIsPurelib: true, tags: ['py3-none-any'], entryPoints: [{ name: 'd', module: 'demo', attribute: 'f', gui: false }] });
    expect(entry.files).toContainEqual({ path: 'demo/__init__.py', hash: `sha256=${createHash('sha256').update('X = 1\n').digest('base64url')}`, size: 6, executable: false, pythonShebang: false });
  });

  it('lives in ENVBUILD_CACHE_DIR of the environment given when no cache directory is', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'where', version: '1.0', modules: { 'where.py': 'W = 1\n' } });
    const own = path.join(tmp, 'own-cache');
    await installWheels(target, [{ path: wheel }], { env: { ENVBUILD_CACHE_DIR: own } });
    expect(fs.readdirSync(path.join(own, 'wheels'))).toEqual([sha(wheel)]);
    expect(read(path.join(target.purelib, 'where.py'))).toBe('W = 1\n');
  });

  it('keeps wheels unpacked without the RECORD check apart, never used by an install that checks', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'bent', version: '1.0', modules: { 'bent.py': 'OK\n' }, tamper: { 'bent.py': 'EVIL\n' } });
    const h = sha(wheel);
    await installWheels(target, [{ path: wheel, sha256: h }], { ...opts, allowRecordMismatch: true });
    expect(fs.readdirSync(path.join(cacheDir, 'wheels'))).toEqual([`${h}-unverified`]);
    expect(await lookupCached(cacheDir, h, false)).toBeUndefined();
    expect((await lookupCached(cacheDir, h, true))?.dir).toBe(path.join(cacheDir, 'wheels', `${h}-unverified`));
    const other = targetFor(path.join(tmp, 'env2'), fakePythonInfo());
    fs.mkdirSync(other.prefix);
    const e = await refusal(installWheels(other, [{ path: wheel, sha256: h }], opts));
    expect(e.code).toBe('ERECORD');
    // an honest wheel's verified entry is what an install allowing mismatches uses too
    const good = await buildWheel(path.join(tmp, 'wh'), { name: 'good', version: '1.0', modules: { 'good.py': '' } });
    await installWheels(target, [{ path: good }], opts);
    expect((await lookupCached(cacheDir, sha(good), true))?.dir).toBe(path.join(cacheDir, 'wheels', sha(good)));
  });

  it('replaces an entry whose entry.json is damaged, of another format or for another hash', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'demo', version: '1.0', modules: { 'demo.py': 'D = 1\n' } });
    const h = sha(wheel);
    const dir = path.join(cacheDir, 'wheels', h);
    await installWheels(target, [{ path: wheel }], opts);
    const good = read(path.join(dir, 'entry.json'));
    const parsed = JSON.parse(good);
    const damaged = ['{not json', JSON.stringify({ ...parsed, format: 0 }), JSON.stringify({ ...parsed, sha256: 'f'.repeat(64) }), 'null', JSON.stringify({ ...parsed, files: [{ path: 'x', hash: 'h', size: '1', executable: false }] })];
    for (const [i, text] of damaged.entries()) {
      fs.writeFileSync(path.join(dir, 'entry.json'), text);
      fs.writeFileSync(path.join(dir, 'files', 'stray'), 'from the damaged entry');
      const env = targetFor(path.join(tmp, `env-${i}`), fakePythonInfo());
      fs.mkdirSync(env.prefix);
      await installWheels(env, [{ path: wheel, sha256: h }], opts);
      expect(read(path.join(env.purelib, 'demo.py')), text).toBe('D = 1\n');
      expect(read(path.join(dir, 'entry.json')), text).toBe(good);
      expect(fs.existsSync(path.join(dir, 'files', 'stray')), text).toBe(false);
      expect(fs.readdirSync(path.join(cacheDir, 'wheels')), text).toEqual([h]);
    }
  });

  it('uses the entry another process published first, dropping its own copy', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'race', version: '1.0', modules: { 'race.py': '' } });
    const h = sha(wheel);
    const first = await ensureCached(cacheDir, wheel, path.basename(wheel), h, false);
    // as if this process had missed the lookup: publishing again meets the existing entry
    fs.renameSync(first.dir, `${first.dir}.hidden`);
    const pending = ensureCached(cacheDir, wheel, path.basename(wheel), h, false);
    fs.renameSync(`${first.dir}.hidden`, first.dir);
    const second = await pending;
    expect(second.dir).toBe(first.dir);
    expect(second.entry).toEqual(first.entry);
    expect(fs.readdirSync(path.join(cacheDir, 'wheels'))).toEqual([h]);
  });

  it('reports its size counting hard-linked files once, and entries without temporary ones', async () => {
    expect(await cacheSize(path.join(tmp, 'none'))).toEqual({ bytes: 0, wheels: 0 });
    const blob = Buffer.alloc(64 * 1024, 1);
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'sized', version: '1.0', modules: { 'sized.bin': blob } });
    await installWheels(target, [{ path: wheel }], opts);
    const before = await cacheSize(cacheDir);
    expect(before.wheels).toBe(1);
    expect(before.bytes).toBeGreaterThanOrEqual(blob.length);
    const file = path.join(cacheDir, 'wheels', sha(wheel), 'files', 'sized.bin');
    fs.linkSync(file, path.join(cacheDir, 'second-link'));
    fs.mkdirSync(path.join(cacheDir, 'wheels', '.tmp-x'));
    expect(await cacheSize(cacheDir)).toEqual(before);
    fs.writeFileSync(path.join(cacheDir, 'other'), blob);
    const after = await cacheSize(cacheDir);
    expect(after.bytes - before.bytes).toBe(fs.statSync(path.join(cacheDir, 'other')).blocks * 512);
  });

  it('is cleaned whole (wheels and downloads), leaving environments working and other files alone', async () => {
    await cleanCache(path.join(tmp, 'none'));
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'demo', version: '1.0', modules: { 'demo.py': 'D = 1\n' } });
    await installWheels(target, [{ path: wheel }], opts);
    fs.mkdirSync(path.join(cacheDir, 'downloads', '.tmp-x'), { recursive: true });
    fs.writeFileSync(path.join(cacheDir, 'probe.json'), '{}');
    await cleanCache(cacheDir);
    expect(fs.readdirSync(cacheDir)).toEqual(['probe.json']);
    expect(read(path.join(target.purelib, 'demo.py'))).toBe('D = 1\n');
  });
});

describe('linking into an environment', () => {
  it('replaces a stray file or symlink at the destination, never writing through it', async () => {
    const outside = path.join(tmp, 'outside.txt');
    fs.writeFileSync(outside, 'precious');
    fs.mkdirSync(target.purelib, { recursive: true });
    fs.writeFileSync(path.join(target.purelib, 'a.py'), 'stray');
    fs.symlinkSync(outside, path.join(target.purelib, 'b.py'));
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'ab', version: '1.0', modules: { 'a.py': 'A\n', 'b.py': 'B\n' } });
    for (const linkMode of ['hardlink', 'copy', 'auto'] as const) {
      const [d] = (await installWheels(target, [{ path: wheel }], { ...opts, linkMode })).installed;
      expect(d?.linkMode).toBe(linkMode === 'auto' ? 'hardlink' : linkMode);
      expect(read(path.join(target.purelib, 'a.py'))).toBe('A\n');
      expect(fs.lstatSync(path.join(target.purelib, 'b.py')).isSymbolicLink()).toBe(false);
      expect(read(path.join(target.purelib, 'b.py'))).toBe('B\n');
      expect(fs.statSync(path.join(target.purelib, 'a.py')).nlink).toBe(linkMode === 'copy' ? 1 : 2);
      expect(read(outside)).toBe('precious');
    }
  });

  it('says which forced mode cannot work here', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'c', version: '1.0', modules: { 'c.py': '' } });
    const e = await refusal(installWheels(target, [{ path: wheel }], { ...opts, env: { ENVBUILD_LINK_MODE: 'clone' } }));
    expect(e.message).toMatch(/^install mode "clone" is not supported here \((EOPNOTSUPP|ENOTSUP|EXDEV|EINVAL|ENOSYS|ENOTTY)\)$/);
    expect(e.hint).toBe('clones need btrfs, XFS with reflink or APFS; use hardlink or copy');
    expect(fs.existsSync(path.join(target.purelib, 'c.py'))).toBe(false);
  });
});

describe('uninstalling by RECORD', () => {
  it('removes listed files, their bytecode and emptied directories, keeping the scheme directories', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), {
      name: 'Deep.Pkg',
      version: '3.1',
      modules: { 'deep/a/b/mod.py': '', 'deep/a/data.txt': '' },
      data: { 'headers/deep.h': '', 'data/share/deep/x': '' },
      entryPoints: { console_scripts: { deep: 'deep:f' } },
    });
    await installWheels(target, [{ path: wheel }], opts);
    const pyc = path.join(target.purelib, 'deep/a/b/__pycache__');
    fs.mkdirSync(pyc);
    for (const f of ['mod.cpython-311.pyc', 'mod.cpython-311.opt-1.pyc', 'mod.txt', 'other.cpython-311.pyc']) fs.writeFileSync(path.join(pyc, f), '');
    fs.writeFileSync(path.join(target.scripts, 'mine'), 'not from the wheel');
    const [r] = await uninstallDistribution(target, 'deep_pkg');
    expect(r?.name).toBe('Deep.Pkg');
    expect(r?.version).toBe('3.1');
    expect(r?.removed).toEqual(expect.arrayContaining([path.join(pyc, 'mod.cpython-311.pyc'), path.join(pyc, 'mod.cpython-311.opt-1.pyc'), path.join(target.scripts, 'deep')]));
    expect(tree(pyc)).toEqual(['mod.txt', 'other.cpython-311.pyc']);
    expect(tree(target.prefix)).toEqual([
      'bin',
      'bin/mine',
      'include',
      'include/site',
      'include/site/python3.11',
      'lib',
      'lib/python3.11',
      'lib/python3.11/site-packages',
      'lib/python3.11/site-packages/deep',
      'lib/python3.11/site-packages/deep/a',
      'lib/python3.11/site-packages/deep/a/b',
      'lib/python3.11/site-packages/deep/a/b/__pycache__',
      'lib/python3.11/site-packages/deep/a/b/__pycache__/mod.txt',
      'lib/python3.11/site-packages/deep/a/b/__pycache__/other.cpython-311.pyc',
    ]);
    expect(await uninstallDistribution(target, 'deep-pkg')).toEqual([]);
  });

  it('finds a distribution by its normalised name only, in purelib and platlib', async () => {
    const info = fakePythonInfo({ venvScheme: { purelib: 'lib/pure', platlib: 'lib/plat', scripts: 'bin', include: 'include' }, wheelPlatform: { platform: 'linux-x86_64', glibc: '2.36', gilDisabled: false, maxUnicode: 0x10ffff } });
    const split = targetFor(path.join(tmp, 'split'), info);
    fs.mkdirSync(split.prefix);
    const up = await buildWheel(path.join(tmp, 'wh'), { name: 'up', version: '1.0', modules: { 'up.py': '' } });
    const upx = await buildWheel(path.join(tmp, 'wh'), { name: 'upx', version: '1.0', modules: { 'upx.py': '' } });
    const native = await buildWheel(path.join(tmp, 'wh'), { name: 'native', version: '1.0', tag: 'cp311-cp311-linux_x86_64', rootIsPurelib: false, modules: { 'native.py': '' } });
    await installWheels(split, [{ path: up }, { path: upx }, { path: native }], opts);
    expect(fs.readdirSync(path.join(split.prefix, 'lib/plat')).sort()).toEqual(['native-1.0.dist-info', 'native.py']);
    expect((await uninstallDistribution(split, 'UP')).map((r) => r.name)).toEqual(['up']);
    expect((await uninstallDistribution(split, 'native')).map((r) => r.name)).toEqual(['native']);
    expect(fs.readdirSync(path.join(split.prefix, 'lib/pure')).sort()).toEqual(['upx-1.0.dist-info', 'upx.py']);
    expect(fs.existsSync(path.join(split.prefix, 'lib/plat'))).toBe(true);
  });

  it('refuses a distribution without RECORD, or whose files resolve outside through a symlink, removing nothing', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'victim', version: '1.0', modules: { 'victim/x.py': '' } });
    await installWheels(target, [{ path: wheel }], opts);
    const distInfo = path.join(target.purelib, 'victim-1.0.dist-info');
    const record = read(path.join(distInfo, 'RECORD'));
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'precious.py'), 'mine');
    fs.symlinkSync(outside, path.join(target.purelib, 'link'));
    fs.writeFileSync(path.join(distInfo, 'RECORD'), `${record}link/precious.py,,\n`);
    const e = await refusal(uninstallDistribution(target, 'victim'));
    expect(e.message).toBe(`refusing to uninstall victim-1.0.dist-info: ${path.join(target.purelib, 'link/precious.py')} resolves outside the environment`);
    expect(read(path.join(outside, 'precious.py'))).toBe('mine');
    expect(fs.existsSync(path.join(target.purelib, 'victim/x.py'))).toBe(true);
    fs.writeFileSync(path.join(distInfo, 'RECORD'), `${record}victim/\0x,,\n`);
    expect((await refusal(uninstallDistribution(target, 'victim'))).message).toMatch(/^refusing to uninstall victim-1\.0\.dist-info: its RECORD lists victim\/\0x, outside the environment /);
    fs.rmSync(path.join(distInfo, 'RECORD'));
    const none = await refusal(uninstallDistribution(target, 'victim'));
    expect(none.message).toBe('cannot uninstall victim-1.0.dist-info: it has no RECORD');
    expect(none.hint).toBe('it was not installed from a wheel; remove it by hand or reinstall it first');
    expect(fs.existsSync(path.join(target.purelib, 'victim/x.py'))).toBe(true);
  });
});
