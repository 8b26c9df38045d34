/** The writer refuses to reach outside an environment through a symlinked directory. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestEntry, removeEntry, writeEntry } from '../../src/layout/materialize.js';
import type { TreeEntry } from '../../src/layout/tree.js';
import { tempDir } from '../helpers/temp-dir.js';

const scratch = tempDir('envbuild-materialize-');

function setup(name: string): { root: string; outside: string } {
  const root = path.join(scratch, name, 'env');
  const outside = path.join(scratch, name, 'outside');
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'python'), 'precious\n');
  fs.symlinkSync(outside, path.join(root, 'bin'));
  return { root, outside };
}

describe('writeEntry and removeEntry through a symlinked parent', () => {
  it('refuses to write through it and leaves the target alone', async () => {
    const { root, outside } = setup('write');
    const entry: TreeEntry = { kind: 'symlink', path: 'bin/python', target: '/usr/bin/python3' };
    await expect(writeEntry(root, entry)).rejects.toMatchObject({ code: 'EPATH', message: expect.stringMatching(/parent "bin" is a symbolic link/) });
    expect(fs.readFileSync(path.join(outside, 'python'), 'utf8')).toBe('precious\n');
    expect(fs.readdirSync(outside)).toEqual(['python']);
  });

  it('refuses to remove through it', async () => {
    const { root, outside } = setup('remove');
    const entry: TreeEntry = { kind: 'file', path: 'bin/python', content: 'precious\n', mode: 0o644 };
    fs.chmodSync(path.join(outside, 'python'), 0o644);
    await expect(removeEntry(root, entry.path, await digestEntry(entry))).rejects.toMatchObject({ code: 'EPATH' });
    expect(fs.existsSync(path.join(outside, 'python'))).toBe(true);
  });

  it('still allows an environment root that is itself a link', async () => {
    const real = path.join(scratch, 'real-root');
    const linked = path.join(scratch, 'linked-root');
    fs.mkdirSync(real);
    fs.symlinkSync(real, linked);
    await writeEntry(linked, { kind: 'file', path: 'bin/activate', content: 'x\n' });
    expect(fs.readFileSync(path.join(real, 'bin/activate'), 'utf8')).toBe('x\n');
  });
});
