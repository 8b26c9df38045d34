/**
 * Where a wheel's files land and what the written RECORD says, at the edges the layout test
 * does not reach: `.data` never copied into the lib directory, a wheel's own generated
 * metadata replaced, data files linked (not rewritten), RECORD complete and sorted whatever the
 * archive's order, a RECORD with scripts never shared, malformed `.data` paths and a tampered
 * cache entry refused, and scripts written over a stray file without writing through it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import { writeFresh } from '../../src/install/install-wheel.js';
import { parseRecord } from '../../src/install/record.js';
import type { InstallOptions, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;
let target: InstallTarget;
let opts: InstallOptions;

beforeEach(() => {
  tmp = tempDir('envbuild-placement-');
  target = newTarget('env');
  opts = { cacheDir: path.join(tmp, 'cache'), env: {} };
});

function newTarget(name: string): InstallTarget {
  const t = targetFor(path.join(tmp, name), fakePythonInfo());
  fs.mkdirSync(t.prefix);
  return t;
}

const read = (p: string) => fs.readFileSync(p, 'utf8');
const tree = (dir: string) => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : []);
const recordPaths = (distInfo: string) => parseRecord(read(path.join(distInfo, 'RECORD'))).map((r) => r.path);

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}

describe('placing a wheel', () => {
  it('links .data files into their schemes only, never into the lib directory, and never rewrites them', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), {
      name: 'zed',
      version: '1.0',
      modules: { 'a.py': 'A = 1\n' },
      // a data file named like an entry point is not a setuptools wrapper: only scripts are
      data: { 'data/share/zed/zed': 'not a script\n', 'purelib/extra.py': 'E = 1\n', 'scripts/tool.sh': '#!/bin/sh\necho hi\n' },
      entryPoints: { console_scripts: { zed: 'a:main' } },
    });
    await installWheels(target, [{ path: wheel }], opts);
    expect(tree(target.purelib)).toEqual(['a.py', 'extra.py', 'zed-1.0.dist-info', 'zed-1.0.dist-info/INSTALLER', 'zed-1.0.dist-info/METADATA', 'zed-1.0.dist-info/RECORD', 'zed-1.0.dist-info/WHEEL', 'zed-1.0.dist-info/entry_points.txt']);
    const data = path.join(target.prefix, 'share/zed/zed');
    expect(read(data)).toBe('not a script\n');
    // linked from the cache like a root file: same inode, not executable
    expect(fs.statSync(data).nlink).toBe(2);
    expect(fs.statSync(data).mode & 0o111).toBe(0);
    expect(fs.statSync(path.join(target.purelib, 'extra.py')).nlink).toBe(2);
    // a script that does not start with #!python is linked as it is too
    expect(read(path.join(target.scripts, 'tool.sh'))).toBe('#!/bin/sh\necho hi\n');
    expect(fs.statSync(path.join(target.scripts, 'tool.sh')).nlink).toBe(2);
  });

  it('writes RECORD listing every installed file, sorted, whatever the order in the archive', async () => {
    // direct_url.json and a .data file sort after the wheel's last root file (its WHEEL)
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'zed', version: '1.0', modules: { 'b.py': '', 'a.py': '', 'pkg/z.py': '', 'pkg/c.py': '' }, data: { 'purelib/zz.py': '' } });
    await installWheels(target, [{ path: wheel, directUrl: true }], opts);
    const distInfo = path.join(target.purelib, 'zed-1.0.dist-info');
    const listed = recordPaths(distInfo);
    expect(listed).toEqual(['a.py', 'b.py', 'pkg/c.py', 'pkg/z.py', 'zed-1.0.dist-info/INSTALLER', 'zed-1.0.dist-info/METADATA', 'zed-1.0.dist-info/RECORD', 'zed-1.0.dist-info/WHEEL', 'zed-1.0.dist-info/direct_url.json', 'zz.py']);
    expect(tree(target.purelib).filter((p) => !fs.statSync(path.join(target.purelib, p)).isDirectory())).toEqual([...listed].sort());
  });

  it("replaces a wheel's own INSTALLER and keeps package files named like metadata", async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), {
      name: 'own',
      version: '1.0',
      modules: { 'own/RECORD': 'package data\n', 'own/INSTALLER': 'package data\n' },
      unsafeMembers: { 'own-1.0.dist-info/INSTALLER': 'pip\n', 'own-1.0.dist-info/sub/RECORD': 'nested\n' },
    });
    await installWheels(target, [{ path: wheel }], opts);
    const distInfo = path.join(target.purelib, 'own-1.0.dist-info');
    expect(read(path.join(distInfo, 'INSTALLER'))).toBe('envbuild\n');
    expect(read(path.join(target.purelib, 'own/RECORD'))).toBe('package data\n');
    expect(read(path.join(target.purelib, 'own/INSTALLER'))).toBe('package data\n');
    expect(read(path.join(distInfo, 'sub/RECORD'))).toBe('nested\n');
    expect(recordPaths(distInfo).filter((p) => p.endsWith('INSTALLER'))).toEqual(['own-1.0.dist-info/INSTALLER', 'own/INSTALLER']);
  });

  it('gives each environment its own RECORD when the wheel has entry-point scripts', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'ep', version: '1.0', modules: { 'ep.py': 'def main(): pass\n' }, entryPoints: { console_scripts: { ep: 'ep:main' } } });
    const other = newTarget('other');
    const [a] = (await installWheels(target, [{ path: wheel }], opts)).installed;
    const [b] = (await installWheels(other, [{ path: wheel }], opts)).installed;
    expect(a?.linkMode).toBe('hardlink');
    for (const d of [a, b]) expect(fs.statSync(path.join(d!.distInfo, 'RECORD')).nlink).toBe(1);
    expect(read(path.join(a!.distInfo, 'RECORD'))).not.toBe(read(path.join(b!.distInfo, 'RECORD')));
    expect(read(path.join(other.scripts, 'ep'))).toContain(`#!${other.python}\n`);
  });

  it('refuses .data members without a scheme or path, naming the schemes', async () => {
    for (const [member, scheme] of [['bad-1.0.data/purelib', 'purelib'], ['bad-1.0.data/lib/x.py', 'lib'], ['stray.data', '']] as const) {
      const wheel = await buildWheel(path.join(tmp, `wh-${scheme}`), { name: 'bad', version: '1.0', modules: { 'bad.py': '' }, unsafeMembers: { [member]: 'x' } });
      const e = await refusal(installWheels(target, [{ path: wheel }], opts));
      expect(e.code).toBe('EWHEEL');
      expect(e.message).toBe(`bad-1.0-py3-none-any.whl: ${member} uses unknown scheme "${scheme}" (expected one of purelib, platlib, scripts, headers, data)`);
      expect(e.hint).toBe('the wheel is malformed');
      expect(tree(target.prefix)).toEqual([]);
    }
  });

  it('refuses a tampered cache entry whose .data path leaves the environment, writing nothing', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'evil', version: '1.0', modules: { 'evil.py': '' }, data: { 'data/x.txt': 'x' } });
    await installWheels(newTarget('first'), [{ path: wheel }], opts);
    const [entryDir] = fs.readdirSync(path.join(opts.cacheDir!, 'wheels'));
    const entryFile = path.join(opts.cacheDir!, 'wheels', entryDir!, 'entry.json');
    const entry = JSON.parse(read(entryFile));
    entry.files = entry.files.map((f: { path: string }) => (f.path === 'evil-1.0.data/data/x.txt' ? { ...f, path: 'evil-1.0.data/data/../outside.txt' } : f));
    fs.writeFileSync(`${entryFile}.new`, JSON.stringify(entry));
    fs.renameSync(`${entryFile}.new`, entryFile);
    const e = await refusal(installWheels(target, [{ path: wheel }], opts));
    expect(e.code).toBe('EWHEELPATH');
    expect(e.message).toBe(`evil-1.0-py3-none-any.whl: refusing to write ${path.join(tmp, 'outside.txt')}: it is outside the environment ${target.prefix}`);
    expect(e.hint).toBe('the wheel is malformed or malicious; nothing was installed from it');
    expect(fs.existsSync(path.join(tmp, 'outside.txt'))).toBe(false);
    expect(tree(target.prefix)).toEqual([]);
  });

  it('writes a script over a stray file or symlink at its place, never through it', async () => {
    const outside = path.join(tmp, 'precious');
    fs.writeFileSync(outside, 'mine');
    fs.mkdirSync(target.scripts, { recursive: true });
    fs.symlinkSync(outside, path.join(target.scripts, 'ep'));
    fs.writeFileSync(path.join(target.scripts, 'sh'), 'stray');
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'ep', version: '1.0', modules: { 'ep.py': '' }, data: { 'scripts/sh': '#!python\nprint(1)\n' }, entryPoints: { console_scripts: { ep: 'ep:main' } } });
    await installWheels(target, [{ path: wheel }], opts);
    expect(read(outside)).toBe('mine');
    expect(fs.lstatSync(path.join(target.scripts, 'ep')).isSymbolicLink()).toBe(false);
    expect(read(path.join(target.scripts, 'ep'))).toContain('from ep import main\n');
    expect(read(path.join(target.scripts, 'sh'))).toBe(`#!${target.python}\nprint(1)\n`);
    expect(fs.statSync(path.join(target.scripts, 'sh')).mode & 0o777).toBe(0o755);
    expect(fs.readdirSync(target.scripts).sort()).toEqual(['ep', 'sh']);
  });

  it('writeFresh leaves no file open, and creates empty files', () => {
    const open = () => fs.readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 20; i++) writeFresh(path.join(tmp, `f${i}`), i % 2 === 0 ? '' : Buffer.from('x'), 0o644);
    expect(open()).toBe(before);
    expect(read(path.join(tmp, 'f0'))).toBe('');
    expect(read(path.join(tmp, 'f1'))).toBe('x');
  });
});
