/**
 * How the wheel cache reuses, re-reads and publishes entries: a cached wheel is never read
 * again, an entry.json is parsed once per process but re-checked once replaced, two installs of
 * one wheel racing in one process share the entry that was published first, and whatever
 * occupies an entry's path without being an entry is replaced.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ensureCached, lookupCached } from '../../src/install/cache.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import type { InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;
let cacheDir: string;

beforeEach(() => {
  tmp = tempDir('envbuild-cache-entries-');
  cacheDir = path.join(tmp, 'cache');
});

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const read = (p: string) => fs.readFileSync(p, 'utf8');
const wheelsIn = () => fs.readdirSync(path.join(cacheDir, 'wheels')).sort();

function env(name: string): InstallTarget {
  const t = targetFor(path.join(tmp, name), fakePythonInfo());
  fs.mkdirSync(t.prefix);
  return t;
}

/** Replaces `file` by a new file (a new inode), as another process publishing would. */
function replaceFile(file: string, text: string): void {
  fs.writeFileSync(`${file}.new`, text);
  fs.renameSync(`${file}.new`, file);
}

describe('reusing a cache entry', () => {
  it('needs only the hash of a cached wheel: the wheel file is not read again', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'kept', version: '1.0', modules: { 'kept.py': 'K = 1\n' } });
    const h = sha(wheel);
    const first = await ensureCached(cacheDir, wheel, path.basename(wheel), h, false);
    const again = await ensureCached(cacheDir, path.join(tmp, 'gone.whl'), path.basename(wheel), h, false);
    expect(again).toEqual(first);
    expect(wheelsIn()).toEqual([h]);
  });

  it('parses an entry.json once per process, and again once another file replaces it', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'memo', version: '1.0', modules: { 'memo.py': '' } });
    const h = sha(wheel);
    const { dir, entry } = await ensureCached(cacheDir, wheel, path.basename(wheel), h, false);
    const file = path.join(dir, 'entry.json');
    const good = read(file);
    expect((await lookupCached(cacheDir, h, false))?.entry).toEqual(entry);
    // Entries are append-only, so the same inode means the same entry: it is not read again
    // (the garbage written in place shows that it was not).
    fs.writeFileSync(file, '{not json');
    expect((await lookupCached(cacheDir, h, false))?.entry).toEqual(entry);
    // An entry replaced since (cleaned and published again by another process) is read anew.
    replaceFile(file, JSON.stringify({ ...JSON.parse(good), format: 0 }));
    expect(await lookupCached(cacheDir, h, false)).toBeUndefined();
    replaceFile(file, good);
    expect((await lookupCached(cacheDir, h, false))?.entry).toEqual(entry);
  });

  it('does not remember an unusable entry.json: one repaired in place is used', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'fixed', version: '1.0', modules: { 'fixed.py': '' } });
    const h = sha(wheel);
    const { dir, entry } = await ensureCached(cacheDir, wheel, path.basename(wheel), h, false);
    const other = path.join(cacheDir, 'wheels', 'f'.repeat(64));
    fs.cpSync(dir, other, { recursive: true });
    const file = path.join(other, 'entry.json');
    const good = JSON.stringify({ ...entry, sha256: 'f'.repeat(64) });
    fs.writeFileSync(file, JSON.stringify({ ...entry, sha256: 'f'.repeat(64), format: 0 }));
    expect(await lookupCached(cacheDir, 'f'.repeat(64), false)).toBeUndefined();
    fs.writeFileSync(file, good);
    expect((await lookupCached(cacheDir, 'f'.repeat(64), false))?.dir).toBe(other);
  });

  it('checks an entry.json against the hash it is filed under, even when it is another entry’s file (a hard-linked copy)', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'linked', version: '1.0', modules: { 'linked.py': '' } });
    const h = sha(wheel);
    const { dir } = await ensureCached(cacheDir, wheel, path.basename(wheel), h, false);
    expect((await lookupCached(cacheDir, h, false))?.dir).toBe(dir);
    const other = path.join(cacheDir, 'wheels', 'e'.repeat(64));
    fs.mkdirSync(other);
    fs.linkSync(path.join(dir, 'entry.json'), path.join(other, 'entry.json'));
    expect(await lookupCached(cacheDir, 'e'.repeat(64), false)).toBeUndefined();
  });
});

describe('publishing a cache entry', () => {
  it('lets two environments installing one wheel at once share one entry, leaving no private copy behind', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'twice', version: '1.0', modules: { 'twice.py': 'T = 2\n' } });
    const [a, b] = [env('a'), env('b')];
    await Promise.all([installWheels(a, [{ path: wheel }], { cacheDir, env: {} }), installWheels(b, [{ path: wheel }], { cacheDir, env: {} })]);
    expect(read(path.join(a.purelib, 'twice.py'))).toBe('T = 2\n');
    expect(read(path.join(b.purelib, 'twice.py'))).toBe('T = 2\n');
    expect(wheelsIn()).toEqual([sha(wheel)]);
  });

  for (const allowRecordMismatch of [false, true]) {
    it(`answers the losing publisher with the entry on disk, never its own (${allowRecordMismatch ? 'unverified' : 'verified'} entries)`, async () => {
      // Two different wheels claimed under one hash make the two entries tell apart.
      const one = await buildWheel(path.join(tmp, 'one'), { name: 'race', version: '1.0', modules: { 'race.py': 'ONE\n' } });
      const two = await buildWheel(path.join(tmp, 'two'), { name: 'race', version: '1.0', modules: { 'race.py': 'TWO\n', 'extra.py': '' } });
      const h = sha(one);
      const name = path.basename(one);
      const results = await Promise.all([ensureCached(cacheDir, one, name, h, allowRecordMismatch, fs.readFileSync(one)), ensureCached(cacheDir, two, name, h, allowRecordMismatch, fs.readFileSync(two))]);
      const key = allowRecordMismatch ? `${h}-unverified` : h;
      expect(wheelsIn()).toEqual([key]);
      const dir = path.join(cacheDir, 'wheels', key);
      const onDisk = JSON.parse(read(path.join(dir, 'entry.json')));
      expect(results.map((r) => r.dir)).toEqual([dir, dir]);
      expect(results[0].entry).toEqual(onDisk);
      expect(results[1].entry).toEqual(onDisk);
      // and the files are the ones the entry describes
      expect(fs.readdirSync(path.join(dir, 'files')).filter((f) => f.endsWith('.py')).sort()).toEqual(onDisk.files.map((f: { path: string }) => f.path).filter((p: string) => p.endsWith('.py')).sort());
    });
  }

  it('replaces a stray file lying where an entry belongs', async () => {
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'stray', version: '1.0', modules: { 'stray.py': 'S = 1\n' } });
    const h = sha(wheel);
    fs.mkdirSync(path.join(cacheDir, 'wheels'), { recursive: true });
    fs.writeFileSync(path.join(cacheDir, 'wheels', h), 'not an entry');
    const t = env('env');
    await installWheels(t, [{ path: wheel }], { cacheDir, env: {} });
    expect(read(path.join(t.purelib, 'stray.py'))).toBe('S = 1\n');
    expect(wheelsIn()).toEqual([h]);
    expect(JSON.parse(read(path.join(cacheDir, 'wheels', h, 'entry.json')))).toMatchObject({ sha256: h, name: 'stray' });
  });
});
