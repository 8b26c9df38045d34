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
