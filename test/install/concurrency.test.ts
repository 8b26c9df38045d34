/**
 * Two processes fill environments from one cold cache at the same moment: both succeed, and
 * the cache ends up holding each wheel once, complete, with every file as RECORD says.
 * The processes run the installer from a bundle of its sources (esbuild, as `npm run build`
 * uses), so this test needs no built dist/.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedWheel } from '../../src/install/cached-wheel.js';
import { REPO } from '../helpers/project.js';
import { buildWheel } from '../helpers/wheel.js';
import { tempDir } from '../helpers/temp-dir.js';

let tmp: string;
let runner: string;

beforeAll(async () => {
  tmp = tempDir('envbuild-concurrent-');
  // Inside the repository, so that the bundle's `yauzl` import resolves to node_modules.
  const dir = fs.mkdtempSync(path.join(REPO, 'node_modules', '.envbuild-test-'));
  runner = path.join(dir, 'install-runner.mjs');
  fs.writeFileSync(
    path.join(dir, 'entry.ts'),
    `import { installWheels } from ${JSON.stringify(path.join(REPO, 'src/install/index.ts'))};
const [target, wheels, cacheDir] = JSON.parse(process.argv[2]);
const r = await installWheels(target, wheels.map((p) => ({ path: p })), { cacheDir, env: {} });
console.log(JSON.stringify(r.installed.map((d) => d.name)));`,
  );
  await build({ entryPoints: [path.join(dir, 'entry.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: runner, logLevel: 'silent' });
});
afterAll(() => {
  fs.rmSync(path.dirname(runner), { recursive: true, force: true });
});

function runInstaller(args: unknown): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('the wheel cache under concurrent processes', () => {
  it('two processes filling from one cold cache both succeed, and each wheel is cached once, intact', async () => {
    const wheelhouse = path.join(tmp, 'wheelhouse');
    const wheels: string[] = [];
    for (let i = 0; i < 12; i++) {
      const modules: Record<string, string> = {};
      for (let j = 0; j < 30; j++) modules[`pkg${i}/m${j}.py`] = `VALUE = ${i * 100 + j}\n${'# padding\n'.repeat(200)}`;
      wheels.push(await buildWheel(wheelhouse, { name: `pkg${i}`, version: '1.0', modules }));
    }
    const pipWheel = fs.existsSync('/usr/share/python-wheels') ? fs.readdirSync('/usr/share/python-wheels').find((f) => f.startsWith('pip-')) : undefined;
    if (pipWheel !== undefined) wheels.push(path.join('/usr/share/python-wheels', pipWheel));
    const cacheDir = path.join(tmp, 'cache');
    const targets = ['one', 'two'].map((name) => {
      const prefix = path.join(tmp, name);
      fs.mkdirSync(prefix);
      const sp = path.join(prefix, 'lib/python3.11/site-packages');
      return { prefix, python: path.join(prefix, 'bin/python'), purelib: sp, platlib: sp, scripts: path.join(prefix, 'bin'), headers: path.join(prefix, 'include/site/python3.11'), data: prefix, tags: ['py3-none-any'], pythonVersion: '3.11' };
    });

    const results = await Promise.all(targets.map((t) => runInstaller([t, wheels, cacheDir])));
    for (const r of results) expect(r.code, r.out).toBe(0);
    for (const r of results) expect(JSON.parse(r.out)).toHaveLength(wheels.length);

    const entries = fs.readdirSync(path.join(cacheDir, 'wheels'));
    expect(entries.filter((e) => e.startsWith('.'))).toEqual([]); // no temporary directory left
    expect(entries).toHaveLength(wheels.length);
    const expected = new Set(wheels.map((w) => createHash('sha256').update(fs.readFileSync(w)).digest('hex')));
    expect(new Set(entries)).toEqual(expected);
    for (const e of entries) {
      const entry = JSON.parse(fs.readFileSync(path.join(cacheDir, 'wheels', e, 'entry.json'), 'utf8')) as CachedWheel;
      for (const f of entry.files) {
        const bytes = fs.readFileSync(path.join(cacheDir, 'wheels', e, 'files', f.path));
        expect(`sha256=${createHash('sha256').update(bytes).digest('base64url')}`, f.path).toBe(f.hash);
      }
    }
    // Both environments are complete, and share the cache's inodes.
    const file = 'lib/python3.11/site-packages/pkg3/m7.py';
    const [a, b] = targets.map((t) => fs.statSync(path.join(t.prefix, file)));
    expect(a?.ino).toBe(b?.ino);
    expect(fs.readFileSync(path.join(targets[1]!.prefix, file), 'utf8')).toMatch(/^VALUE = 307\n/);
  });
});
