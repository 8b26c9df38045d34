import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { tempDir } from '../helpers/temp-dir.js';

let tmp: string;
let saved: string | undefined;
beforeEach(() => {
  tmp = tempDir('envbuild-cache-cli-');
  saved = process.env['ENVBUILD_CACHE_DIR'];
  process.env['ENVBUILD_CACHE_DIR'] = path.join(tmp, 'cache');
});
afterEach(() => {
  if (saved === undefined) delete process.env['ENVBUILD_CACHE_DIR'];
  else process.env['ENVBUILD_CACHE_DIR'] = saved;
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe('envbuild cache', () => {
  it('shows where the cache is, its size, and empties it while environments keep working', async () => {
    expect(await cli('cache', 'dir')).toEqual({ code: 0, out: `${path.join(tmp, 'cache')}\n`, err: '' });
    expect((await cli('cache', 'size')).out).toBe(`0 B in ${path.join(tmp, 'cache')} (0 wheels)\n`);

    const target = targetFor(path.join(tmp, 'env'), fakePythonInfo());
    fs.mkdirSync(target.prefix);
    const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'cached', version: '1.0', modules: { 'cached.py': 'C = 1\n' } });
    await installWheels(target, [{ path: wheel }], { env: process.env });
    const size = JSON.parse((await cli('cache', 'size', '--json')).out) as { bytes: number; wheels: number };
    expect(size).toMatchObject({ format: 1, command: 'cache', dir: path.join(tmp, 'cache') });
    expect(size.wheels).toBe(1);
    expect(size.bytes).toBeGreaterThan(0);

    const cleaned = await cli('cache', 'clean');
    expect(cleaned.out).toMatch(/^removed 1 wheel \(\d+(\.\d)? KiB\) from /);
    expect(fs.readdirSync(path.join(tmp, 'cache'))).toEqual([]);
    expect(fs.readFileSync(path.join(target.purelib, 'cached.py'), 'utf8')).toBe('C = 1\n');
  });

  it('rejects an unknown action with usage and exit code 2', async () => {
    const r = await cli('cache', 'purge');
    expect(r.code).toBe(2);
    expect(r.err).toBe('envbuild: usage: envbuild cache dir|size|clean (unknown action "purge")\n');
  });
});
