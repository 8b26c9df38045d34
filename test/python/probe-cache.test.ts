import { readFile, rename, stat, utimes, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInterpreterFinder, defaultCacheDir, listInterpreters, resolveInterpreter } from '../../src/python/index.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';
import { useSandbox, type Sandbox } from './sandbox.js';

/**
 * Every "interpreter" here is a wrapper script that logs each run before exec'ing a real
 * binary: the logs prove how many Pythons a discovery started, with no hook in the code.
 */
const sandbox = useSandbox();

interface World {
  readonly box: Sandbox;
  readonly bin: string;
  readonly cacheFile: string;
  readonly log: (name: string) => string;
  readonly runs: () => Promise<Record<string, number>>;
}

async function world(targets: Record<string, string>): Promise<World> {
  const box = await sandbox();
  const bin = await box.dir('bin');
  const log = (name: string): string => path.join(box.root, `${name}.log`);
  for (const [name, target] of Object.entries(targets)) await box.wrapper(`bin/${name}`, target, log(name));
  const runs = async (): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(Object.keys(targets).map(async (n) => [n, await box.runs(log(n))] as const)));
  return { box, bin, cacheFile: path.join(box.root, 'cache', 'interpreters.json'), log, runs };
}

describe('probe cache', () => {
  it('makes a second run spawn no Python at all, failures included', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const py312 = pyenvVersion(ctx, '3.12');
    const py27 = pyenvVersion(ctx, '2.7');
    const w = await world({ 'python3.11': debian, 'python3.12': py312, python2: py27 });
    await w.box.script('bin/python3', `#!/bin/sh\necho run >> '${w.log('python3')}'\nexit 1\n`);
    const options = w.box.options([w.bin]);

    const first = await createInterpreterFinder(options).list();
    // Python 2 refuses -I and is asked again with -E -s -S: two runs, once.
    expect({ ...(await w.runs()), broken: await w.box.runs(w.log('python3')) }).toEqual({
      'python3.11': 1,
      'python3.12': 1,
      python2: 2,
      broken: 1,
    });
    const written = await stat(w.cacheFile);

    const finder = createInterpreterFinder(options);
    expect(await finder.list()).toEqual(first);
    expect((await finder.resolve('3.12')).executable).toBe(py312);
    expect((await finder.resolve('python3.11')).executable).toBe(debian);
    expect((await finder.resolve(path.join(w.bin, 'python2'))).executable).toBe(py27);
    await expect(finder.resolve(path.join(w.bin, 'python3'))).rejects.toThrow(/exit status 1/);
    expect({ ...(await w.runs()), broken: await w.box.runs(w.log('python3')) }).toEqual({
      'python3.11': 1,
      'python3.12': 1,
      python2: 2,
      broken: 1,
    });
    // Nothing changed, so nothing was written: the atomic rename would have changed the inode.
    const after = await stat(w.cacheFile);
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
  });

  it('probes each candidate once per run without a cache, however many requests', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const py312 = pyenvVersion(ctx, '3.12');
    const w = await world({ 'python3.11': debian, python3: py312 });
    const finder = createInterpreterFinder(w.box.options([w.bin], { cacheDir: null }));
    const results = await Promise.all([
      finder.resolve('3.11'),
      finder.resolve('>=3'),
      finder.resolve('python3'),
      finder.resolve(path.join(w.bin, 'python3.11')),
      finder.list(),
    ]);
    expect(results.slice(0, 4).map((r) => ('executable' in r ? r.executable : ''))).toEqual([debian, py312, py312, debian]);
    expect(await w.runs()).toEqual({ 'python3.11': 1, python3: 1 });
  });

  it('probes again a file that was touched, edited or replaced', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const w = await world({ python3: debian });
    const wrapper = path.join(w.bin, 'python3');
    const options = w.box.options([w.bin]);
    await listInterpreters(options);
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 1 });

    const later = new Date(Date.now() + 60_000);
    await utimes(wrapper, later, later);
    await listInterpreters(options);
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 2 });

    await appendFile(wrapper, '# edited\n');
    await utimes(wrapper, later, later); // same mtime as cached: the size tells
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 3 });

    // Same content, size and mtime, another inode: a reinstall that preserved timestamps.
    const replacement = path.join(w.box.root, 'replacement');
    await writeFile(replacement, await readFile(wrapper), { mode: 0o755 });
    await utimes(replacement, later, later);
    await rename(replacement, wrapper);
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 4 });
  });

  it('probes again a binary rewritten in place with its size and mtime restored (ctime tells)', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const w = await world({ python3: debian });
    const wrapper = path.join(w.bin, 'python3');
    await appendFile(wrapper, '# build a\n');
    const built = new Date(Date.now() - 3_600_000);
    await utimes(wrapper, built, built);
    const before = await stat(wrapper);
    const options = w.box.options([w.bin]);
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 1 });

    // Same inode, same size, mtime set back: only ctime (which utimes cannot restore) moved.
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(wrapper, (await readFile(wrapper, 'utf8')).replace('# build a', '# build b'));
    await utimes(wrapper, built, built);
    const after = await stat(wrapper);
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    expect(after.ctimeMs).not.toBe(before.ctimeMs);
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 2 });
  });

  const corruptions: Array<[string, (current: string) => string]> = [
    ['is not JSON', () => '{"format": 1, "entr'],
    ['has another format', () => JSON.stringify({ format: 99, probe: 'x', entries: {} })],
    ['is empty', () => ''],
    [
      'holds a malformed entry',
      (current) => {
        const file = JSON.parse(current) as { entries: Record<string, { info: { version: unknown } }> };
        for (const entry of Object.values(file.entries)) entry.info.version = 42;
        return JSON.stringify(file);
      },
    ],
  ];
  it.for(corruptions)('ignores and rewrites a cache file that %s', async ([, corrupt], ctx) => {
    const debian = debianPython(ctx, 11);
    const w = await world({ python3: debian });
    const options = w.box.options([w.bin]);
    const expected = await listInterpreters(options);
    await writeFile(w.cacheFile, corrupt(await readFile(w.cacheFile, 'utf8')));

    expect(await listInterpreters(options)).toEqual(expected);
    expect(await w.runs()).toEqual({ python3: 2 });
    const rewritten = JSON.parse(await readFile(w.cacheFile, 'utf8')) as { format: number; entries: Record<string, { info: { version: string } }> };
    expect(rewritten.format).toBe(1);
    expect(Object.values(rewritten.entries).map((e) => e.info.version)).toEqual([expected[0]?.info.version]);
    await listInterpreters(options);
    expect(await w.runs()).toEqual({ python3: 2 });
  });

  it('survives a cache directory it cannot write', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const w = await world({ python3: debian });
    const notADir = await w.box.script('cache-is-a-file', '');
    const info = await resolveInterpreter('3', w.box.options([w.bin], { cacheDir: notADir }));
    expect(info.executable).toBe(debian);
  });

  it('lives in ENVBUILD_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ ENVBUILD_CACHE_DIR: '/tmp/eb', XDG_CACHE_HOME: '/xdg', HOME: '/home/u' })).toBe('/tmp/eb');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/envbuild');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/envbuild');
    expect(defaultCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/envbuild');
  });

  it('is found through ENVBUILD_CACHE_DIR when no cacheDir is given', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const w = await world({ python3: debian });
    const dir = await w.box.dir('from-env');
    const { cacheDir: _omitted, ...options } = w.box.options([w.bin]);
    await listInterpreters({ ...options, env: { ...options.env, ENVBUILD_CACHE_DIR: dir } });
    const cached = JSON.parse(await readFile(path.join(dir, 'interpreters.json'), 'utf8')) as { entries: object };
    expect(Object.keys(cached.entries)).toEqual([path.join(w.bin, 'python3')]);
  });
});
