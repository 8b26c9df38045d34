/**
 * Unpacking a wheel into a cache entry, through both of its paths: a wheel already in memory
 * (inflated member by member from the buffer) and a wheel streamed from its file (the largest).
 * Each case runs on both, so the two cannot drift apart: the files written and their modes, what
 * the entry records of each (hash, size, executable, a `#!python` script), and every damaged
 * archive refused with EWHEEL, its message and hint, leaving the caller to remove the directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackWheel } from '../../src/install/unpack.js';
import { tempDir } from '../helpers/temp-dir.js';
import { rejection } from '../helpers/user-error.js';
import { zip } from '../helpers/wheel.js';

const FILENAME = 'demo-1.0-py3-none-any.whl';
const WHEEL = 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n';
const META = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n';
const b64 = (content: string | Buffer) => createHash('sha256').update(content).digest('base64url');

interface Made {
  members: Record<string, string | Buffer>;
  executable?: string[];
  stored?: string[];
  /** RECORD as written; by default every member with its sha256 and size. */
  record?: string;
  distInfo?: string;
}

/** The archive's bytes: members, then the dist-info's RECORD. */
function archive(m: Made): Buffer {
  const distInfo = m.distInfo ?? 'demo-1.0.dist-info';
  const entries = Object.entries(m.members).map(([n, c]): [string, Buffer] => [n, Buffer.from(c)]);
  const record = m.record ?? `${entries.map(([n, c]) => `${n},sha256=${b64(c)},${c.length}`).join('\n')}\n${distInfo}/RECORD,,\n`;
  return zip([...entries, [`${distInfo}/RECORD`, Buffer.from(record)]], new Set(m.executable ?? []), new Set(m.stored ?? []));
}

const honest = (extra: Record<string, string | Buffer> = {}): Record<string, string | Buffer> => ({
  'demo/__init__.py': 'x = 1\n',
  'demo-1.0.dist-info/WHEEL': WHEEL,
  'demo-1.0.dist-info/METADATA': META,
  ...extra,
});

type Path = 'from memory' | 'streamed from the file';

/** `bytes` written as `FILENAME` in a new directory, beside the empty entry directory to unpack into. */
function staged(bytes: Buffer): { file: string; entryDir: string } {
  const dir = tempDir('envbuild-unpack-');
  const file = path.join(dir, FILENAME);
  fs.writeFileSync(file, bytes);
  const entryDir = path.join(dir, 'entry');
  fs.mkdirSync(entryDir);
  return { file, entryDir };
}

/** Unpacks `bytes` as `FILENAME` into a new directory, by the path under test. */
async function unpack(how: Path, bytes: Buffer, allowRecordMismatch = false) {
  const { file, entryDir } = staged(bytes);
  const entry = await unpackWheel(file, FILENAME, b64(bytes), entryDir, allowRecordMismatch, how === 'from memory' ? bytes : undefined);
  return { entry, files: path.join(entryDir, 'files'), entryDir };
}

/** Sets a 16- or 32-bit field of `name`'s central-directory record (offset from the record's start). */
function patchCentral(bytes: Buffer, name: string, offset: number, value: number, width: 2 | 4 = 2): Buffer {
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at !== -1; at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
    const nameLength = out.readUInt16LE(at + 28);
    if (out.subarray(at + 46, at + 46 + nameLength).toString('utf8') !== name) continue;
    if (width === 2) out.writeUInt16LE(value, at + offset);
    else out.writeUInt32LE(value, at + offset);
    return out;
  }
  throw new Error(`no ${name} in the central directory`);
}

describe.for(['from memory', 'streamed from the file'] as const)('unpacking a wheel %s', (how) => {
  it('writes each member with its mode, and records its hash, size, executable bit and #!python', async () => {
    const tool = '#!python\nprint(1)\n';
    const members = honest({
      'demo-1.0.data/scripts/tool': tool,
      'demo-1.0.data/scripts/run.sh': '#!/bin/sh\necho\n',
      'demo/#!python': '#!python\n',
      'demo/data.bin': Buffer.alloc(3000, 7),
      'demo-1.0.dist-info/entry_points.txt': '[console_scripts]\ndemo = demo:main\n',
    });
    const { entry, files } = await unpack(how, archive({ members, executable: ['demo-1.0.data/scripts/tool'], stored: ['demo/data.bin'] }));
    const byPath = new Map(entry.files.map((f) => [f.path, f]));
    expect(byPath.get('demo-1.0.data/scripts/tool')).toEqual({ path: 'demo-1.0.data/scripts/tool', hash: `sha256=${b64(tool)}`, size: tool.length, executable: true, pythonShebang: true });
    expect(byPath.get('demo-1.0.data/scripts/run.sh')).toMatchObject({ executable: false, pythonShebang: false });
    // Only a script in the .data directory's scripts/ is rewritten by its #! line.
    expect(byPath.get('demo/#!python')).toMatchObject({ pythonShebang: false });
    expect(byPath.get('demo/data.bin')).toMatchObject({ hash: `sha256=${b64(Buffer.alloc(3000, 7))}`, size: 3000 });
    expect(fs.statSync(path.join(files, 'demo-1.0.data/scripts/tool')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(files, 'demo-1.0.data/scripts/run.sh')).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(path.join(files, 'demo/data.bin'))).toEqual(Buffer.alloc(3000, 7));
    expect(entry).toMatchObject({ name: 'demo', version: '1.0', distInfo: 'demo-1.0.dist-info', entryPoints: [expect.objectContaining({ name: 'demo' })] });
    expect(entry.files.map((f) => f.path).sort()).toEqual([...Object.keys(members), 'demo-1.0.dist-info/RECORD'].sort());
  });

  it('streams a member over 1 MiB whole: its bytes, hash, mode and #!python', async () => {
    const big = Buffer.concat([Buffer.from('#!python\n'), Buffer.alloc((1 << 20) + 100, 0x61)]);
    const { entry, files } = await unpack(how, archive({ members: honest({ 'demo-1.0.data/scripts/big': big }), executable: ['demo-1.0.data/scripts/big'] }));
    expect(entry.files.find((f) => f.path === 'demo-1.0.data/scripts/big')).toEqual({ path: 'demo-1.0.data/scripts/big', hash: `sha256=${b64(big)}`, size: big.length, executable: true, pythonShebang: true });
    expect(fs.readFileSync(path.join(files, 'demo-1.0.data/scripts/big')).equals(big)).toBe(true);
    expect(fs.statSync(path.join(files, 'demo-1.0.data/scripts/big')).mode & 0o777).toBe(0o755);
  });

  it('reads METADATA over 1 MiB', async () => {
    const meta = `${META}Description: ${'d'.repeat((1 << 20) + 10)}\n`;
    const { entry } = await unpack(how, archive({ members: honest({ 'demo-1.0.dist-info/METADATA': meta }) }));
    expect(entry).toMatchObject({ name: 'demo', version: '1.0' });
  });

  it('skips directory entries: made as files need them, never recorded', async () => {
    const { entry, files } = await unpack(how, archive({ members: honest({ 'demo/': '', 'empty/': '' }) }));
    expect(entry.files.map((f) => f.path)).not.toContain('demo/');
    expect(fs.existsSync(path.join(files, 'empty'))).toBe(false);
  });

  it.for([
    ['is not a zip archive', () => Buffer.from('not a zip at all, just text'), /^demo-1\.0-py3-none-any\.whl: not a readable zip archive \(.+\)$/, /^the download may be truncated/],
    ['holds a member twice', () => zip([['demo/a.py', Buffer.from('1')], ['demo/a.py', Buffer.from('2')]]), /^demo-1\.0-py3-none-any\.whl: member "demo\/a\.py" appears twice$/, /^the wheel is malformed$/],
    ['lacks METADATA', () => archive({ members: { 'demo-1.0.dist-info/WHEEL': WHEEL } }), /^demo-1\.0-py3-none-any\.whl: demo-1\.0\.dist-info lacks WHEEL, METADATA or RECORD$/, /^the wheel is damaged$/],
    ['has two .dist-info directories', () => archive({ members: { ...honest(), 'other-1.0.dist-info/METADATA': META } }), /: expected one \.dist-info directory, found demo-1\.0\.dist-info, other-1\.0\.dist-info$/, /^the wheel is malformed$/],
    ['has none', () => zip([['demo/a.py', Buffer.from('1')]]), /: expected one \.dist-info directory, found none$/, /^the wheel is malformed$/],
    ['names another distribution', () => archive({ distInfo: 'other-1.0.dist-info', members: { 'other-1.0.dist-info/WHEEL': WHEEL, 'other-1.0.dist-info/METADATA': META } }), /: \.dist-info directory other-1\.0\.dist-info does not match the wheel's name$/, /^the wheel is malformed$/],
    ['uses a compression method it cannot read', () => patchCentral(patchLocalMethod(archive({ members: honest() }), 12), 'demo/__init__.py', 10, 12), /^demo-1\.0-py3-none-any\.whl: cannot unpack \(.*(compression method|12).*\)$/, /^the wheel is damaged or not a wheel$/],
    ['says a member is encrypted', () => patchCentral(archive({ members: honest() }), 'demo/__init__.py', 8, 0x0801), /^demo-1\.0-py3-none-any\.whl: cannot unpack \(.*encrypt.*\)$/i, /^the wheel is damaged or not a wheel$/],
    ['points a member at no local header', () => patchCentral(archive({ members: honest() }), 'demo/__init__.py', 42, 3, 4), /^demo-1\.0-py3-none-any\.whl: cannot unpack \(.+\)$/, /^the wheel is damaged or not a wheel$/],
    ['says a member is larger than it is', () => patchCentral(archive({ members: honest() }), 'demo/__init__.py', 24, 100, 4), /^demo-1\.0-py3-none-any\.whl: cannot unpack \(.+\)$/, /^the wheel is damaged or not a wheel$/],
  ] as const)('refuses a wheel that %s, naming it', async ([, make, message, hint]) => {
    const e = await rejection(unpack(how, make()));
    expect(e).toMatchObject({ code: 'EWHEEL', message: expect.stringMatching(message), hint: expect.stringMatching(hint) });
  });

  it('refuses a RECORD that leaves out a nested .dist-info/RECORD file (only the top one is exempt)', async () => {
    const members = honest({ 'demo/vendored.dist-info/RECORD': 'x\n' });
    const listed = Object.entries(members).filter(([n]) => n !== 'demo/vendored.dist-info/RECORD');
    const record = `${listed.map(([n, c]) => `${n},sha256=${b64(c)},${Buffer.byteLength(c)}`).join('\n')}\ndemo-1.0.dist-info/RECORD,,\n`;
    const e = await rejection(unpack(how, archive({ members, record })));
    expect(e).toMatchObject({ code: 'ERECORD', message: `${FILENAME}: demo/vendored.dist-info/RECORD is not listed in RECORD` });
  });
});

/** Sets the compression method of every local header (the streamed path reads them). */
function patchLocalMethod(bytes: Buffer, method: number): Buffer {
  const out = Buffer.from(bytes);
  const signature = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  for (let at = out.indexOf(signature); at !== -1; at = out.indexOf(signature, at + 4)) out.writeUInt16LE(method, at + 8);
  return out;
}

describe('unpacking a wheel streamed from the file, when a member is refused', () => {
  it('lets the members already streaming finish before it refuses, so nothing writes after the refusal', async () => {
    // 16 MiB that does not compress, then a member whose local header is missing: the second
    // fails while the first is still being written.
    const big = randomBytes(16 << 20);
    const bytes = patchCentral(archive({ members: honest({ 'demo/big.bin': big }), stored: ['demo/big.bin'] }), 'demo/__init__.py', 42, 3, 4);
    const { file, entryDir } = staged(bytes);
    const e = await rejection(unpackWheel(file, FILENAME, b64(bytes), entryDir, false));
    expect(e).toMatchObject({ code: 'EWHEEL', message: expect.stringMatching(/^demo-1\.0-py3-none-any\.whl: cannot unpack \(.+\)$/) });
    // Every file with its size: a member still streaming shows as a new file or a growing one.
    const sizes = () =>
      fs
        .readdirSync(entryDir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => `${path.join(d.parentPath, d.name)} ${fs.statSync(path.join(d.parentPath, d.name)).size}`)
        .sort();
    const atRefusal = sizes();
    await new Promise((r) => setTimeout(r, 200));
    expect(sizes()).toEqual(atRefusal);
  });
});
