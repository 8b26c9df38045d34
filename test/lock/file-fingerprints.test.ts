/**
 * Checking a lock's local files re-hashes only files whose fingerprint changed: an unchanged
 * wheel is trusted from the record, and a rewrite is noticed even when the size and mtime are
 * put back (ctime moves and cannot be set back).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileHashes } from '../../src/lock/file-fingerprints.js';
import { fileProblems } from '../../src/lock/verify-files.js';
import type { EnvironmentLock } from '../../src/lock/model.js';
import { tempDir } from '../helpers/temp-dir.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('file fingerprints for lock checks', () => {
  it('trusts the record while the fingerprint holds, and hashes again when the file is rewritten', async () => {
    const dir = tempDir();
    const cache = path.join(dir, 'cache');
    const file = path.join(dir, 'a-1.0-py3-none-any.whl');
    fs.writeFileSync(file, 'one');
    const first = await FileHashes.open(cache);
    expect(await first.sha256(file)).toBe(sha('one'));
    await first.save();

    // The record is what is trusted: put a different hash there for the same fingerprint.
    const recordFile = path.join(cache, 'file-hashes.json');
    const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
    record.files[file].sha256 = sha('recorded');
    fs.writeFileSync(recordFile, JSON.stringify(record));
    expect(await (await FileHashes.open(cache)).sha256(file)).toBe(sha('recorded'));

    // Same size, mtime restored: the ctime still changed, so the file is read again.
    const { atime, mtime } = fs.statSync(file);
    await new Promise((r) => setTimeout(r, 20));
    fs.writeFileSync(file, 'two');
    fs.utimesSync(file, atime, mtime);
    expect(await (await FileHashes.open(cache)).sha256(file)).toBe(sha('two'));
  });

  it('fileProblems reports a locked wheel whose content changed', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a-1.0-py3-none-any.whl');
    fs.writeFileSync(file, 'one');
    const lock = { packages: [{ name: 'a', version: '1.0', parts: ['deps'], dependencies: [], source: { kind: 'wheel', name: path.basename(file), path: path.basename(file), sha256: sha('one') } }] } as unknown as EnvironmentLock;
    const hashes = await FileHashes.open(path.join(dir, 'cache'));
    expect(await fileProblems(lock, dir, hashes)).toEqual([]);
    fs.writeFileSync(file, 'six');
    expect((await fileProblems(lock, dir, hashes))[0]).toMatch(/^hash mismatch: a-1\.0-py3-none-any\.whl \(a 1\.0\) has sha256 /);
    fs.rmSync(file);
    expect(await fileProblems(lock, dir, hashes)).toEqual(['file: a-1.0-py3-none-any.whl (a 1.0) is locked but missing']);
  });
});

describe('the fingerprint record', () => {
  /** A file, a record of it at `cache` made by a first run, and that record as JSON. */
  async function recorded(cacheDir = 'cache') {
    const dir = tempDir();
    const cache = path.join(dir, cacheDir);
    const file = path.join(dir, 'a-1.0-py3-none-any.whl');
    fs.writeFileSync(file, 'one');
    const first = await FileHashes.open(cache);
    await first.sha256(file);
    await first.save();
    const recordFile = path.join(cache, 'file-hashes.json');
    return { dir, cache, file, recordFile, record: JSON.parse(fs.readFileSync(recordFile, 'utf8')) };
  }

  it('is written privately, making its directory, and only when something was hashed', async () => {
    const r = await recorded(path.join('deep', 'er', 'cache'));
    expect(fs.statSync(r.recordFile).mode & 0o777).toBe(0o600);
    expect(Object.keys(r.record.files)).toEqual([r.file]);
    // A run that only trusted the record leaves it as it is, and so does a second save.
    const text = `${JSON.stringify(r.record, null, 2)}\n`;
    fs.writeFileSync(r.recordFile, text);
    const again = await FileHashes.open(r.cache);
    expect(await again.sha256(r.file)).toBe(sha('one'));
    await again.save();
    expect(fs.readFileSync(r.recordFile, 'utf8')).toBe(text);
    fs.writeFileSync(path.join(r.dir, 'b.whl'), 'b');
    await again.sha256(path.join(r.dir, 'b.whl'));
    await again.save();
    expect(Object.keys(JSON.parse(fs.readFileSync(r.recordFile, 'utf8')).files)).toEqual([r.file, path.join(r.dir, 'b.whl')]);
    fs.writeFileSync(r.recordFile, text);
    await again.save();
    expect(fs.readFileSync(r.recordFile, 'utf8')).toBe(text);
  });

  it('with no cache directory, keeps nothing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.whl');
    fs.writeFileSync(file, 'one');
    const hashes = await FileHashes.open(null);
    expect(await hashes.sha256(file)).toBe(sha('one'));
    await hashes.save();
    expect(fs.readdirSync(dir)).toEqual(['a.whl']);
  });

  it.for(['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'])('is not trusted when the file\'s %s differs', async (field) => {
    const r = await recorded();
    r.record.files[r.file] = { ...r.record.files[r.file], [field]: r.record.files[r.file][field] + 1, sha256: sha('recorded') };
    fs.writeFileSync(r.recordFile, JSON.stringify(r.record));
    expect(await (await FileHashes.open(r.cache)).sha256(r.file)).toBe(sha('one'));
  });

  it.for([
    ['of another format', (rec: Record<string, unknown>) => ({ ...rec, format: 2 })],
    ['without files', (rec: Record<string, unknown>) => ({ format: rec['format'], files: null })],
    ['whose entry lacks a field', (rec: Record<string, unknown>, f: Record<string, unknown>) => ({ ...rec, files: { [Object.keys(rec['files'] as object)[0]!]: { ...f, ino: undefined } } })],
    ['whose entry has a text field', (rec: Record<string, unknown>, f: Record<string, unknown>) => ({ ...rec, files: { [Object.keys(rec['files'] as object)[0]!]: { ...f, size: String(f['size']) } } })],
    ['whose entry is not an object', (rec: Record<string, unknown>) => ({ ...rec, files: { [Object.keys(rec['files'] as object)[0]!]: null } })],
    ['whose hash is not hex', (rec: Record<string, unknown>, f: Record<string, unknown>) => ({ ...rec, files: { [Object.keys(rec['files'] as object)[0]!]: { ...f, sha256: 'z'.repeat(64) } } })],
    ['whose hash has more around it', (rec: Record<string, unknown>, f: Record<string, unknown>) => ({ ...rec, files: { [Object.keys(rec['files'] as object)[0]!]: { ...f, sha256: `${sha('recorded')}0` } } })],
    ['whose hash has more before it', (rec: Record<string, unknown>, f: Record<string, unknown>) => ({ ...rec, files: { [Object.keys(rec['files'] as object)[0]!]: { ...f, sha256: `0${sha('recorded')}` } } })],
  ] as const)('a record %s is not believed: the file is hashed again', async ([, damage]) => {
    const r = await recorded();
    const entry = { ...r.record.files[r.file], sha256: sha('recorded') };
    const damaged = damage({ ...r.record, files: { [r.file]: entry } }, entry);
    fs.writeFileSync(r.recordFile, JSON.stringify(damaged));
    expect(await (await FileHashes.open(r.cache)).sha256(r.file)).toBe(sha('one'));
  });
});
