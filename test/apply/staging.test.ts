import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { clearStaging, stagingPathFor } from '../../src/apply/staging.js';
import { tempDir } from '../helpers/temp-dir.js';

function place(): { root: string; staging: string } {
  const dir = tempDir('envbuild-staging-');
  const root = path.join(dir, 'app');
  const staging = stagingPathFor(root);
  fs.mkdirSync(staging);
  return { root, staging };
}

test('a staging directory holding only the temporary of its marker (a run killed mid-write) is cleared', async () => {
  const { root, staging } = place();
  fs.writeFileSync(path.join(staging, 'pyvenv.cfg.envbuild-0a1b2c3d.tmp'), 'home = /usr/bin\n');
  await clearStaging(root);
  expect(fs.existsSync(staging)).toBe(false);
});

test('anything else without a marker is refused and kept', async () => {
  for (const name of ['notes.txt', 'pyvenv.cfg.envbuild-xyz.tmp']) {
    const { root, staging } = place();
    fs.writeFileSync(path.join(staging, 'pyvenv.cfg.envbuild-0a1b2c3d.tmp'), '');
    fs.writeFileSync(path.join(staging, name), 'mine');
    await expect(clearStaging(root)).rejects.toThrow(/named like envbuild's staging directory but is not one/);
    expect(fs.readFileSync(path.join(staging, name), 'utf8')).toBe('mine');
  }
  const { root, staging } = place();
  fs.mkdirSync(path.join(staging, 'envbuild.cfg.envbuild-0a1b2c3d.tmp'));
  await expect(clearStaging(root)).rejects.toThrow(/not one/);
});
