import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { installWheels, targetFor, uninstallDistribution } from '../../src/install/index.js';
import type { InstallOptions, InstallTarget } from '../../src/install/types.js';
import { parseRecord } from '../../src/install/record.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { tempDir } from '../helpers/temp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { rejection } from '../helpers/user-error.js';

let tmp: string;
let cacheDir: string;
let target: InstallTarget;
let opts: InstallOptions;

beforeEach(() => {
  tmp = tempDir('envbuild-install-');
  cacheDir = path.join(tmp, 'cache');
  const prefix = path.join(tmp, 'env');
  fs.mkdirSync(prefix);
  target = targetFor(prefix, fakePythonInfo({ wheelPlatform: { platform: 'linux-x86_64', glibc: '2.36', gilDisabled: false, maxUnicode: 0x10ffff } }));
  opts = { cacheDir, env: {} };
});

const site = () => target.purelib;
const read = (p: string) => fs.readFileSync(p, 'utf8');

const tree = (dir: string) => snapshotTree(dir, { by: 'path' });

describe('installWheels', () => {
  it('lays out root files, .data schemes, entry points and dist-info as pip does', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), {
      name: 'Demo.Pkg',
      version: '1.0',
      modules: { 'demo/__init__.py': 'def main():\n    return 0\n', 'demo/cli.py': 'def run():\n    pass\n' },
      data: { 'scripts/demo-sh': '#!python\nprint("hi")\n', 'data/share/demo/x.txt': 'data\n', 'headers/demo.h': '/* h */\n', 'purelib/demo_extra.py': 'X = 1\n' },
      executable: ['demo_pkg-1.0.data/scripts/demo-sh'],
      entryPoints: { console_scripts: { demo: 'demo:main', 'demo-run': 'demo.cli:run' }, gui_scripts: { 'demo-gui': 'demo:main' } },
    });
    const { installed } = await installWheels(target, [{ path: wheel, requested: true, directUrl: true }], opts);
    expect(installed.map((d) => [d.name, d.version])).toEqual([['Demo.Pkg', '1.0']]);
    const distInfo = path.join(site(), 'demo_pkg-1.0.dist-info');
    expect(read(path.join(distInfo, 'INSTALLER'))).toBe('envbuild\n');
    expect(read(path.join(distInfo, 'REQUESTED'))).toBe('');
    expect(JSON.parse(read(path.join(distInfo, 'direct_url.json')))).toMatchObject({ url: `file://${wheel}`, archive_info: { hashes: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(read(path.join(site(), 'demo_extra.py'))).toBe('X = 1\n');
    expect(read(path.join(target.prefix, 'share/demo/x.txt'))).toBe('data\n');
    // pip's venv scheme: include/site/python3.X/<wheel file's name, `_` as `-`>/
    expect(read(path.join(target.prefix, 'include/site/python3.11/demo-pkg/demo.h'))).toBe('/* h */\n');
    const script = read(path.join(target.scripts, 'demo'));
    expect(script.split('\n')[0]).toBe(`#!${target.python}`);
    expect(script).toContain('from demo import main\n');
    expect(script).toContain('sys.exit(main())');
    expect(read(path.join(target.scripts, 'demo-run'))).toContain('from demo.cli import run\n');
    expect(fs.existsSync(path.join(target.scripts, 'demo-gui'))).toBe(true);
    expect(read(path.join(target.scripts, 'demo-sh'))).toBe(`#!${target.python}\nprint("hi")\n`);
    expect(fs.statSync(path.join(target.scripts, 'demo-sh')).mode & 0o111).toBe(0o111);

    const rows = parseRecord(read(path.join(distInfo, 'RECORD')));
    const byPath = new Map(rows.map((r) => [r.path, r]));
    expect(byPath.get('demo_pkg-1.0.dist-info/RECORD')).toEqual({ path: 'demo_pkg-1.0.dist-info/RECORD', hash: '', size: '' });
    expect(byPath.get('../../../bin/demo-sh')?.hash).toMatch(/^sha256=[A-Za-z0-9_-]{43}$/);
    for (const row of rows.filter((r) => r.hash !== '')) {
      const file = path.resolve(site(), row.path);
      expect(fs.statSync(file).size, row.path).toBe(Number(row.size));
    }
    expect(rows.map((r) => r.path)).toEqual([...rows.map((r) => r.path)].sort());
    // Its scripts name this environment's interpreter: its RECORD is its own, never shared.
    expect(fs.statSync(path.join(distInfo, 'RECORD')).nlink).toBe(1);
  });

  it('hard-links files from the cache (one inode for all environments), and copies when told to', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'linked', version: '1.0', modules: { 'linked.py': 'X = 1\n' } });
    const [d] = (await installWheels(target, [{ path: wheel }], opts)).installed;
    expect(d?.linkMode).toBe('hardlink'); // ext4/tmpfs here: no reflinks
    const installedFile = path.join(site(), 'linked.py');
    expect(fs.statSync(installedFile).nlink).toBe(2);
    // Generated metadata the same in every environment is one file in the cache's store too.
    expect(fs.statSync(path.join(d!.distInfo, 'RECORD')).nlink).toBe(2);
    expect(fs.statSync(path.join(d!.distInfo, 'INSTALLER')).nlink).toBe(2);

    const other = targetFor(path.join(tmp, 'env2'), fakePythonInfo());
    fs.mkdirSync(other.prefix);
    const [c] = (await installWheels(other, [{ path: wheel }], { ...opts, env: { ENVBUILD_LINK_MODE: 'copy' } })).installed;
    expect(c?.linkMode).toBe('copy');
    expect(fs.statSync(path.join(other.purelib, 'linked.py')).nlink).toBe(1);
    expect(fs.statSync(path.join(other.purelib, 'linked-1.0.dist-info', 'INSTALLER')).nlink).toBe(1);
    expect(fs.statSync(installedFile).nlink).toBe(2);
    const clone = await rejection(installWheels(other, [{ path: wheel }], { ...opts, linkMode: 'clone' }));
    expect(clone.message).toMatch(/install mode "clone" is not supported here/);
  });

  it('refuses a wheel whose RECORD hash does not match, naming the file, and installs it only when allowed', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'tampered', version: '1.0', modules: { 'tampered/__init__.py': 'OK = 1\n' }, tamper: { 'tampered/__init__.py': 'EVIL = 1\n' } });
    const e = await rejection(installWheels(target, [{ path: wheel }], opts));
    expect(e.message).toMatch(/tampered-1\.0-py3-none-any\.whl: tampered\/__init__\.py does not match its RECORD hash/);
    expect(tree(target.prefix)).toEqual([]);
    expect(tree(path.join(cacheDir, 'wheels')).filter((n) => !n.startsWith('.'))).toEqual([]);
    await installWheels(target, [{ path: wheel }], { ...opts, allowRecordMismatch: true });
    expect(read(path.join(site(), 'tampered/__init__.py'))).toBe('EVIL = 1\n');
  });

  it('refuses a pinned sha256 that differs from the file', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'pinned', version: '1.0', modules: { 'pinned.py': '' } });
    const e = await rejection(installWheels(target, [{ path: wheel, sha256: '0'.repeat(64) }], opts));
    expect(e.message).toMatch(/sha256 [0-9a-f]{64} does not match the pinned 0{64}/);
  });

  it('refuses a wheel the interpreter cannot use, before writing anything', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'native', version: '1.0', tag: 'cp312-cp312-manylinux_2_17_x86_64', rootIsPurelib: false, modules: { 'native.py': '' } });
    const e = await rejection(installWheels(target, [{ path: wheel }], opts));
    expect(e.message).toBe('native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl is not compatible with this interpreter (its tags: cp312-cp312-manylinux_2_17_x86_64)');
    expect(e.hint).toMatch(/accepts cp311-cp311-manylinux_2_36_x86_64/);
    expect(tree(target.prefix)).toEqual([]);
  });

  it('puts a platlib wheel (Root-Is-Purelib: false, an abi3 tag) in platlib', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'fast', version: '2.0', tag: 'cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64', rootIsPurelib: false, modules: { 'fast/__init__.py': '', 'fast/_speed.abi3.so': new Uint8Array([0x7f, 0x45, 0x4c, 0x46]) } });
    const [d] = (await installWheels(target, [{ path: wheel }], opts)).installed;
    expect(d?.distInfo).toBe(path.join(target.platlib, 'fast-2.0.dist-info'));
    expect(fs.existsSync(path.join(target.platlib, 'fast/_speed.abi3.so'))).toBe(true);
  });

  it('refuses members and entry points that would land outside the environment, writing nothing', async () => {
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    const dotdot = await buildWheel(path.join(tmp, 'wh1'), { name: 'escape', version: '1.0', modules: { 'escape.py': '' }, unsafeMembers: { '../../../../outside/pwned': 'x' } });
    const e1 = await rejection(installWheels(target, [{ path: dotdot }], opts));
    expect(e1.message).toMatch(/escape-1\.0-py3-none-any\.whl: (cannot unpack \(invalid relative path|refusing member)/);
    const ep = await buildWheel(path.join(tmp, 'wh2'), { name: 'badep', version: '1.0', modules: { 'badep.py': 'def f(): pass\n' }, entryPoints: { console_scripts: { '../../../outside/pwned': 'badep:f' } } });
    const e2 = await rejection(installWheels(target, [{ path: ep }], opts));
    expect(e2.message).toMatch(/refusing entry point name "\.\.\/\.\.\/\.\.\/outside\/pwned"/);
    const data = await buildWheel(path.join(tmp, 'wh3'), { name: 'baddata', version: '1.0', modules: { 'baddata.py': '' }, unsafeMembers: { 'baddata-1.0.data/weird/x': 'x' } });
    const e3 = await rejection(installWheels(target, [{ path: data }], opts));
    expect(e3.message).toMatch(/uses unknown scheme "weird"/);
    expect(tree(target.prefix)).toEqual([]);
    expect(tree(outside)).toEqual([]);
  });

  it('refuses to write through a symlink in the environment that points outside it', async () => {
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(site(), { recursive: true });
    fs.symlinkSync(outside, path.join(site(), 'trap'));
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'trap', version: '1.0', modules: { 'trap/sub/x.py': 'X = 1\n' } });
    const e = await rejection(installWheels(target, [{ path: wheel }], opts));
    expect(e.message).toMatch(/refusing to write into .*trap.*: it resolves to .*outside, outside the environment/);
    expect(tree(outside)).toEqual([]);
  });

  it('replaces an installed version, and uninstalls by RECORD leaving nothing behind', async () => {
    const v1 = await buildWheel(path.join(tmp, 'wh'), { name: 'up', version: '1.0', modules: { 'up/__init__.py': 'V = 1\n', 'up/old.py': '' }, entryPoints: { console_scripts: { up: 'up:main' } } });
    const v2 = await buildWheel(path.join(tmp, 'wh'), { name: 'up', version: '2.0', modules: { 'up/__init__.py': 'V = 2\n' } });
    await installWheels(target, [{ path: v1 }], opts);
    fs.mkdirSync(path.join(site(), 'up/__pycache__'));
    fs.writeFileSync(path.join(site(), 'up/__pycache__/old.cpython-311.pyc'), '');
    const { replaced } = await installWheels(target, [{ path: v2 }], opts);
    expect(replaced).toEqual([{ name: 'up', version: '1.0' }]);
    expect(fs.existsSync(path.join(site(), 'up/old.py'))).toBe(false);
    expect(fs.existsSync(path.join(site(), 'up/__pycache__/old.cpython-311.pyc'))).toBe(false);
    expect(fs.existsSync(path.join(target.scripts, 'up'))).toBe(false);
    expect(tree(site())).toEqual(['up/', 'up/__init__.py', 'up-2.0.dist-info/', 'up-2.0.dist-info/INSTALLER', 'up-2.0.dist-info/METADATA', 'up-2.0.dist-info/RECORD', 'up-2.0.dist-info/WHEEL']);
    const gone = await uninstallDistribution(target, 'UP');
    expect(gone.map((g) => g.version)).toEqual(['2.0']);
    expect(tree(site())).toEqual([]);
  });

  it('refuses to uninstall when RECORD lists a path outside the environment, removing nothing', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'victim', version: '1.0', modules: { 'victim.py': '' } });
    await installWheels(target, [{ path: wheel }], opts);
    const keep = path.join(tmp, 'precious.txt');
    fs.writeFileSync(keep, 'mine');
    fs.appendFileSync(path.join(site(), 'victim-1.0.dist-info/RECORD'), '../../../../precious.txt,,\n');
    const e = await rejection(uninstallDistribution(target, 'victim'));
    expect(e.message).toMatch(/its RECORD lists \.\.\/\.\.\/\.\.\/\.\.\/precious\.txt, outside the environment/);
    expect(fs.existsSync(keep)).toBe(true);
    expect(fs.existsSync(path.join(site(), 'victim.py'))).toBe(true);
  });

  it('installs from the cache alone when the pinned hash is there (the file is not read again)', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'warm', version: '1.0', modules: { 'warm.py': 'W = 1\n' } });
    const [first] = (await installWheels(target, [{ path: wheel }], opts)).installed;
    fs.rmSync(wheel);
    const other = targetFor(path.join(tmp, 'env2'), fakePythonInfo());
    fs.mkdirSync(other.prefix);
    await installWheels(other, [{ path: wheel, sha256: first!.sha256 }], opts);
    expect(read(path.join(other.purelib, 'warm.py'))).toBe('W = 1\n');
  });
});
