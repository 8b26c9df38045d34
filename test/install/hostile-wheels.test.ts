/**
 * Wheels that are damaged, malformed or lying about their content, built byte by byte here:
 * each is refused with a message naming the wheel and the problem, nothing is installed from
 * it and nothing of it stays in the cache. And the honest edge cases beside them (stronger
 * RECORD hashes, signatures, large members) install as pip would.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import { parseRecord } from '../../src/install/record.js';
import type { InstallOptions, InstallProgress, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { installTarget } from '../helpers/install-target.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel, zip } from '../helpers/wheel.js';

let tmp: string;
let target: InstallTarget;
let opts: InstallOptions;

beforeEach(() => {
  tmp = tempDir('envbuild-hostile-');
  target = installTarget(tmp);
  opts = { cacheDir: path.join(tmp, 'cache'), env: {} };
});

const b64 = (algo: string, s: string | Buffer) => createHash(algo).update(s).digest('base64url');
const WHEEL = 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n';
const META = (name = 'demo', version = '1.0') => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;

/**
 * A wheel from exact members; RECORD is computed (sha256, sizes) unless given, and `rows`
 * replaces single rows of it.
 */
function rawWheel(filename: string, members: Record<string, string | Buffer>, o: { record?: string; rows?: Record<string, string>; distInfo?: string; executable?: string[] } = {}): string {
  const distInfo = o.distInfo ?? 'demo-1.0.dist-info';
  const entries = Object.entries(members);
  let record = o.record;
  if (record === undefined) {
    record = entries.map(([n, c]) => o.rows?.[n] ?? `${n},sha256=${b64('sha256', c)},${Buffer.byteLength(c)}`).join('\n');
    record += `\n${distInfo}/RECORD,,\n`;
  }
  const all: [string, Buffer][] = [...entries.map(([n, c]): [string, Buffer] => [n, Buffer.from(c)]), ...(record === '' ? [] : [[`${distInfo}/RECORD`, Buffer.from(record)] as [string, Buffer]])];
  const file = path.join(tmp, 'wh', filename);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, zip(all, new Set(o.executable ?? [])));
  return file;
}

const basic = (extra: Record<string, string | Buffer> = {}) => ({ 'demo/__init__.py': 'X = 1\n', 'demo-1.0.dist-info/WHEEL': WHEEL, 'demo-1.0.dist-info/METADATA': META(), ...extra });

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}

/** Nothing in the environment and no cache entry (temporary directories gone too). */
function expectNothingKept(): void {
  expect(fs.readdirSync(target.prefix)).toEqual([]);
  const wheels = path.join(tmp, 'cache', 'wheels');
  expect(fs.existsSync(wheels) ? fs.readdirSync(wheels) : []).toEqual([]);
}

describe('damaged and lying wheels', () => {
  it('a file that is not a zip', async () => {
    const file = path.join(tmp, 'wh', 'demo-1.0-py3-none-any.whl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'not a zip at all');
    const e = await refusal(installWheels(target, [{ path: file }], opts));
    expect(e.message).toMatch(/^demo-1\.0-py3-none-any\.whl: not a readable zip archive \(.+\)$/);
    expect(e.hint).toBe('the download may be truncated; fetch the wheel again');
    expectNothingKept();
  });

  it('a wheel without METADATA, WHEEL or RECORD', async () => {
    for (const missing of ['demo-1.0.dist-info/METADATA', 'demo-1.0.dist-info/WHEEL']) {
      const members: Record<string, string> = basic();
      delete members[missing];
      const e = await refusal(installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', members) }], opts));
      expect(e.message, missing).toBe('demo-1.0-py3-none-any.whl: demo-1.0.dist-info lacks WHEEL, METADATA or RECORD');
      expect(e.hint).toBe('the wheel is damaged');
    }
    const e = await refusal(installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', basic(), { record: '' }) }], opts));
    expect(e.message).toBe('demo-1.0-py3-none-any.whl: demo-1.0.dist-info lacks WHEEL, METADATA or RECORD');
    expectNothingKept();
  });

  it('a wheel with no .dist-info, two of them, or one named for another distribution', async () => {
    const none = await refusal(installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', { 'demo/__init__.py': '' }, { record: '' }) }], opts));
    expect(none.message).toBe('demo-1.0-py3-none-any.whl: expected one .dist-info directory, found none');
    const two = await refusal(installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', basic({ 'other-1.0.dist-info/METADATA': META('other') })) }], opts));
    expect(two.message).toBe('demo-1.0-py3-none-any.whl: expected one .dist-info directory, found demo-1.0.dist-info, other-1.0.dist-info');
    expect(two.hint).toBe('the wheel is malformed');
    const other = await refusal(
      installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', { 'other-1.0.dist-info/WHEEL': WHEEL, 'other-1.0.dist-info/METADATA': META() }, { distInfo: 'other-1.0.dist-info' }) }], opts),
    );
    expect(other.message).toBe("demo-1.0-py3-none-any.whl: .dist-info directory other-1.0.dist-info does not match the wheel's name");
    expectNothingKept();
  });

  it('a member RECORD does not list, lists without a hash, with a weak hash, a wrong hash or a wrong size', async () => {
    const wheel = 'demo-1.0-py3-none-any.whl';
    const content = 'X = 1\n';
    const cases: Array<[string, string]> = [
      ['', 'demo/__init__.py is not listed in RECORD'],
      ['demo/__init__.py,,6', 'demo/__init__.py has no hash in RECORD'],
      [`demo/__init__.py,md5=${b64('md5', content)},6`, 'demo/__init__.py has a md5 hash in RECORD, which is not accepted'],
      [`demo/__init__.py,sha1=${b64('sha1', content)},6`, 'demo/__init__.py has a sha1 hash in RECORD, which is not accepted'],
      [`demo/__init__.py,sha256=${b64('sha256', 'other')},6`, `demo/__init__.py does not match its RECORD hash (RECORD: sha256=${b64('sha256', 'other')}, file: sha256=${b64('sha256', content)})`],
      [`demo/__init__.py,sha512=${b64('sha512', 'other')},6`, `demo/__init__.py does not match its RECORD hash (RECORD: sha512=${b64('sha512', 'other')}, file: sha512=${b64('sha512', content)})`],
      [`demo/__init__.py,sha256=${b64('sha256', content)},7`, 'demo/__init__.py has 6 bytes, RECORD says 7'],
    ];
    for (const [row, problem] of cases) {
      const e = await refusal(installWheels(target, [{ path: rawWheel(wheel, basic(), { rows: { 'demo/__init__.py': row } }) }], opts));
      expect(e.message, row).toBe(`${wheel}: ${problem}`);
      expect(e.code).toBe('ERECORD');
      expect(e.hint).toMatch(/^the wheel was altered or built with a wrong RECORD; nothing was installed from it\. To install it anyway, set allow-record-mismatch/);
    }
    expectNothingKept();
  });

  it('two members with one name, and a RECORD file that is not the wheel\'s own', async () => {
    const file = path.join(tmp, 'wh', 'demo-1.0-py3-none-any.whl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const m = basic();
    const record = `${Object.entries(m).map(([n, c]) => `${n},sha256=${b64('sha256', c)},${c.length}`).join('\n')}\ndemo-1.0.dist-info/RECORD,,\n`;
    fs.writeFileSync(file, zip([...Object.entries(m).map(([n, c]): [string, Buffer] => [n, Buffer.from(c)]), ['demo/__init__.py', Buffer.from('Y = 2\n')], ['demo-1.0.dist-info/RECORD', Buffer.from(record)]]));
    const dup = await refusal(installWheels(target, [{ path: file }], opts));
    expect(dup.message).toBe('demo-1.0-py3-none-any.whl: member "demo/__init__.py" appears twice');
    // Only <name>.dist-info/RECORD (and its signatures) may be missing from RECORD.
    for (const stray of ['demo/RECORD', 'demo-1.0.dist-info/sub/RECORD', 'demo/RECORD.jws']) {
      const members: Record<string, string> = basic({ [stray]: 'x' });
      const rows = { [stray]: '' };
      const e = await refusal(installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', members, { rows }) }], opts));
      expect(e.message, stray).toBe(`demo-1.0-py3-none-any.whl: ${stray} is not listed in RECORD`);
    }
    expectNothingKept();
  });

  it('a WHEEL of an unknown major version', async () => {
    const e = await refusal(installWheels(target, [{ path: rawWheel('demo-1.0-py3-none-any.whl', basic({ 'demo-1.0.dist-info/WHEEL': 'Wheel-Version: 2.0\n' })) }], opts));
    expect(e.message).toBe('demo-1.0-py3-none-any.whl: Wheel-Version 2.0 is not supported (only 1.x)');
    expectNothingKept();
  });
});

describe('honest edge cases', () => {
  it('RECORD with sha384/sha512 hashes, padded digests, no sizes, and signatures beside it', async () => {
    const content = 'X = 1\n';
    const wheel = rawWheel(
      'demo-1.0-py3-none-any.whl',
      basic({ 'demo/mod.py': 'Y = 2\n', 'demo-1.0.dist-info/RECORD.jws': 'sig', 'demo-1.0.dist-info/RECORD.p7s': 'sig' }),
      {
        rows: {
          'demo/__init__.py': `demo/__init__.py,sha512=${createHash('sha512').update(content).digest('base64url')}==,`,
          'demo/mod.py': `demo/mod.py,SHA384=${b64('sha384', 'Y = 2\n')},6`,
          'demo-1.0.dist-info/RECORD.jws': '',
          'demo-1.0.dist-info/RECORD.p7s': '',
        },
      },
    );
    const { installed } = await installWheels(target, [{ path: wheel }], opts);
    expect(installed.map((d) => `${d.name} ${d.version}`)).toEqual(['demo 1.0']);
    expect(fs.readFileSync(path.join(target.purelib, 'demo/__init__.py'), 'utf8')).toBe(content);
    // envbuild's RECORD lists what it installed with its own sha256 hashes
    const rows = parseRecord(fs.readFileSync(path.join(target.purelib, 'demo-1.0.dist-info/RECORD'), 'utf8'));
    expect(rows.find((r) => r.path === 'demo/__init__.py')).toEqual({ path: 'demo/__init__.py', hash: `sha256=${b64('sha256', content)}`, size: '6' });
  });

  it('members over 1 MiB (streamed) keep their bytes and executable bits; METADATA over 1 MiB is still read', async () => {
    const big = Buffer.alloc((1 << 20) + 5, 7);
    const longMeta = `${META('demo', '1.0')}\n${'long description\n'.repeat(70_000)}`;
    const wheel = rawWheel('demo-1.0-py3-none-any.whl', basic({ 'demo/big.bin': big, 'demo/run.sh': '#!/bin/sh\n', 'demo/plain.txt': 'p', 'demo-1.0.dist-info/METADATA': longMeta }), { executable: ['demo/run.sh', 'demo/big.bin'] });
    const { installed } = await installWheels(target, [{ path: wheel }], opts);
    expect(installed[0]?.version).toBe('1.0');
    expect(fs.readFileSync(path.join(target.purelib, 'demo/big.bin')).equals(big)).toBe(true);
    expect(fs.readFileSync(path.join(target.purelib, 'demo-1.0.dist-info/METADATA'), 'utf8')).toBe(longMeta);
    expect(fs.statSync(path.join(target.purelib, 'demo/run.sh')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(target.purelib, 'demo/big.bin')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(target.purelib, 'demo/plain.txt')).mode & 0o777).toBe(0o644);
    const rows = parseRecord(fs.readFileSync(path.join(target.purelib, 'demo-1.0.dist-info/RECORD'), 'utf8'));
    expect(rows.find((r) => r.path === 'demo/big.bin')).toEqual({ path: 'demo/big.bin', hash: `sha256=${b64('sha256', big)}`, size: String(big.length) });
  });

  it('a #!python line is rewritten only in .data/scripts; setuptools wrappers of entry points are skipped', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), {
      name: 'tool',
      version: '1.0',
      modules: { 'tool/__init__.py': 'def main(): pass\n', 'tool/raw.py': '#!python\nx = 1\n' },
      data: { 'scripts/tool': '#!python\n# setuptools wrapper\n', 'scripts/tool-script.py': '#!python\n', 'scripts/helper': '#!/bin/sh\necho\n', 'scripts/pyhelper': '#!python3\nprint(1)\n' },
      entryPoints: { console_scripts: { tool: 'tool:main' } },
    });
    await installWheels(target, [{ path: wheel }], opts);
    expect(fs.readFileSync(path.join(target.purelib, 'tool/raw.py'), 'utf8')).toBe('#!python\nx = 1\n');
    expect(fs.readFileSync(path.join(target.scripts, 'tool'), 'utf8')).toContain('from tool import main\n');
    expect(fs.existsSync(path.join(target.scripts, 'tool-script.py'))).toBe(false);
    expect(fs.readFileSync(path.join(target.scripts, 'helper'), 'utf8')).toBe('#!/bin/sh\necho\n');
    expect(fs.readFileSync(path.join(target.scripts, 'pyhelper'), 'utf8')).toBe(`#!${target.python}\nprint(1)\n`);
    expect(fs.statSync(path.join(target.scripts, 'pyhelper')).nlink).toBe(1);
    expect(fs.readdirSync(target.scripts).sort()).toEqual(['helper', 'pyhelper', 'tool']);
  });

  it('reports progress, lists every file written with RECORD last, and writes REQUESTED and direct_url.json only when asked', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'demo', version: '1.0', modules: { 'demo/__init__.py': '' }, entryPoints: { console_scripts: { d: 'demo:f' } } });
    const events: InstallProgress[] = [];
    const { installed } = await installWheels(target, [{ path: wheel }], { ...opts, onProgress: (e) => events.push(e) });
    expect(events).toEqual([
      { kind: 'unpack', wheel: 'demo-1.0-py3-none-any.whl' },
      { kind: 'install', wheel: 'demo-1.0-py3-none-any.whl' },
    ]);
    const d = installed[0]!;
    const lib = target.purelib;
    expect([...d.files].sort()).toEqual(
      [`${lib}/demo/__init__.py`, `${lib}/demo-1.0.dist-info/METADATA`, `${lib}/demo-1.0.dist-info/WHEEL`, `${lib}/demo-1.0.dist-info/entry_points.txt`, `${lib}/demo-1.0.dist-info/INSTALLER`, `${lib}/demo-1.0.dist-info/RECORD`, `${target.scripts}/d`].sort(),
    );
    expect(d.files.at(-1)).toBe(`${lib}/demo-1.0.dist-info/RECORD`);
    expect(d.sha256).toBe(createHash('sha256').update(fs.readFileSync(wheel)).digest('hex'));
    expect(fs.readdirSync(path.join(lib, 'demo-1.0.dist-info')).sort()).toEqual(['INSTALLER', 'METADATA', 'RECORD', 'WHEEL', 'entry_points.txt']);
    const again = await installWheels(target, [{ path: wheel, requested: true, directUrl: true }], opts);
    expect(again.replaced).toEqual([{ name: 'demo', version: '1.0' }]);
    expect(JSON.parse(fs.readFileSync(path.join(lib, 'demo-1.0.dist-info/direct_url.json'), 'utf8'))).toEqual({
      archive_info: { hash: `sha256=${d.sha256}`, hashes: { sha256: d.sha256 } },
      url: `file://${wheel}`,
    });
    expect(fs.readFileSync(path.join(lib, 'demo-1.0.dist-info/REQUESTED'), 'utf8')).toBe('');
    const rows = parseRecord(fs.readFileSync(path.join(lib, 'demo-1.0.dist-info/RECORD'), 'utf8'));
    for (const r of rows.filter((x) => x.hash !== '')) {
      const bytes = fs.readFileSync(path.resolve(lib, r.path));
      expect(r.hash, r.path).toBe(`sha256=${b64('sha256', bytes)}`);
      expect(r.size, r.path).toBe(String(bytes.length));
    }
    for (const f of ['INSTALLER', 'RECORD', 'REQUESTED', 'direct_url.json']) expect(fs.statSync(path.join(lib, 'demo-1.0.dist-info', f)).mode & 0o777, f).toBe(0o644);
    expect(fs.statSync(path.join(target.scripts, 'd')).mode & 0o777).toBe(0o755);
  });
});

describe('requests the installer refuses', () => {
  it('neither or both of path and url, a malformed pin, an unreadable file, one distribution twice', async () => {
    const a = await buildWheel(path.join(tmp, 'wh'), { name: 'a', version: '1.0', modules: { 'a.py': '' } });
    const a2 = await buildWheel(path.join(tmp, 'wh'), { name: 'A', version: '2.0', modules: { 'a.py': '' } });
    expect((await refusal(installWheels(target, [{}], opts))).message).toBe('a wheel request needs exactly one of path and url');
    expect((await refusal(installWheels(target, [{ path: a, url: `file://${a}` }], opts))).message).toBe('a wheel request needs exactly one of path and url');
    expect((await refusal(installWheels(target, [{ path: a, sha256: 'xyz' }], opts))).message).toBe(`${a}: sha256 "xyz" is not 64 hex digits`);
    expect((await refusal(installWheels(target, [{ path: a, sha256: `${'a'.repeat(64)}0` }], opts))).message).toMatch(/is not 64 hex digits$/);
    const missing = path.join(tmp, 'wh', 'gone-1.0-py3-none-any.whl');
    expect((await refusal(installWheels(target, [{ path: missing }], opts))).message).toBe(`cannot read ${missing} (ENOENT)`);
    const twice = await refusal(installWheels(target, [{ path: a }, { path: a2 }], opts));
    expect(twice.message).toBe('a-1.0-py3-none-any.whl and a-2.0-py3-none-any.whl are the same distribution');
    expect(twice.hint).toBe('install one version of each distribution');
    expect(fs.readdirSync(target.prefix)).toEqual([]);
    // a pin in upper case is the same hash
    const sha = createHash('sha256').update(fs.readFileSync(a)).digest('hex');
    const { installed } = await installWheels(target, [{ url: `file://${a}`, sha256: sha.toUpperCase() }], opts);
    expect(installed[0]?.sha256).toBe(sha);
  });

  it('an environment that does not exist, a scheme directory outside it, a file where a directory belongs', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'demo', version: '1.0', modules: { 'demo/x.py': '' } });
    const gone = targetFor(path.join(tmp, 'nope'), fakePythonInfo());
    expect((await refusal(installWheels(gone, [{ path: wheel }], opts))).message).toBe(`environment ${gone.prefix} does not exist (ENOENT)`);
    const escaped = { ...target, purelib: path.join(tmp, 'elsewhere') };
    const e = await refusal(installWheels(escaped, [{ path: wheel }], opts));
    expect(e.message).toBe(`refusing to write ${path.join(tmp, 'elsewhere')} (a scheme directory): it is outside the environment ${target.prefix}`);
    fs.mkdirSync(target.purelib, { recursive: true });
    fs.writeFileSync(path.join(target.purelib, 'demo'), 'a file');
    const f = await refusal(installWheels(target, [{ path: wheel }], opts));
    expect(f.message).toBe(`refusing to write into ${path.join(target.purelib, 'demo')}: it is not a directory`);
    expect(fs.readFileSync(path.join(target.purelib, 'demo'), 'utf8')).toBe('a file');
  });
});
