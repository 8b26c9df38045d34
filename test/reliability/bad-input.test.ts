/**
 * Bad input from the disk or from a recipe is a user error with a hint, never "internal
 * error", and never a hang: a full disk, a read-only mount, a directory where state.json
 * should be, a name too long, an environment directory that is a symbolic link, a recipe
 * returning a cyclic or BigInt output, a command printing hundreds of megabytes, and a
 * reference to an inherited field of a part's outputs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/project.js';
import { debianPython, isCI } from '../helpers/require-python.js';
import { treeDigest } from '../helpers/tree-snapshot.js';
import { cli, makeScenario, type Run } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const env = (python: string, parts = '') => `envbuild: 1
environments:
  app:
    python: ${python}
${parts ? `    parts:\n${parts}` : ''}`;

/** A user error: message and hint, no stack, not an internal error. */
function expectUserError(r: Run, message: RegExp): void {
  const text = r.stdout + r.stderr;
  expect(r.code, text).toBe(1);
  expect(text).not.toContain('internal error');
  expect(text).toMatch(message);
  expect(text).toMatch(/\n\s+hint: \S/);
  expect(text).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
}

/** A directory outside the project with a file in it, to prove nothing was written there. */
function decoy(): { dir: string; digest: () => string } {
  const dir = tempDir('envbuild-decoy-');
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'the user’s own file\n');
  return { dir, digest: () => treeDigest(dir) };
}

/** Whether this machine lets an unprivileged user and mount namespace mount a tmpfs. */
function canMountInNamespace(): boolean {
  return spawnSync('unshare', ['-Urm', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { encoding: 'utf8' }).status === 0;
}

/** The CLI in `dir`, in a private mount namespace where `mountpoint` is a tmpfs with `options`. */
function cliWithTmpfs(dir: string, mountpoint: string, options: string, args: readonly string[]): Run {
  const script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"';
  const r = spawnSync('unshare', ['-Urm', 'sh', '-c', script, 'sh', options, mountpoint, process.execPath, process.env['ENVBUILD_TEST_CLI'] ?? CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ENVBUILD_CACHE_DIR: path.join(dir, '.cache'), NO_COLOR: '1', CI: 'true' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('errors of the machine are user errors with a hint', () => {
  it('state.json that is a directory', (ctx) => {
    const p = makeScenario(env(debianPython(ctx, 11)));
    fs.mkdirSync(path.join(p.dir, '.envbuild', 'state.json'), { recursive: true });
    for (const command of ['plan', 'apply']) expectUserError(cli(p.dir, [command]), /refusing to use [^\n]*\.envbuild\/state\.json: it is a directory|a directory stands where envbuild expects a file[^]*state\.json/);
    expect(fs.statSync(path.join(p.dir, '.envbuild', 'state.json')).isDirectory()).toBe(true);
  });

  it('an environment directory that is a symbolic link', (ctx) => {
    const outside = decoy();
    const p = makeScenario(env(debianPython(ctx, 11)));
    fs.mkdirSync(path.join(p.dir, 'envs'));
    // An empty directory elsewhere: one holding files is refused as "not created by envbuild".
    fs.mkdirSync(path.join(outside.dir, 'empty'));
    const before = outside.digest();
    fs.symlinkSync(path.join(outside.dir, 'empty'), path.join(p.dir, 'envs', 'app'));
    expectUserError(cli(p.dir, ['apply']), /envs\/app/);
    expect(outside.digest()).toBe(before);
  });

  it('a file name too long for the file system', (ctx) => {
    const p = makeScenario(env(debianPython(ctx, 11), `      long: {recipe: file, path: "${'n'.repeat(300)}.txt", content: x}\n`));
    expectUserError(cli(p.dir, ['apply']), /path is too long/);
  });

  const mounts: Array<[string, string, RegExp]> = [
    ['a full disk (ENOSPC)', 'size=8k,nr_inodes=16', /no space left on the device/],
    ['a read-only file system (EROFS)', 'ro', /file system is read-only/],
  ];
  it.for(mounts)('%s where the environments go', ([, options, message], ctx) => {
    const python = debianPython(ctx, 11);
    if (!canMountInNamespace()) {
      if (isCI()) throw new Error('CI must allow `unshare -Urm` to mount a tmpfs');
      ctx.skip('unshare -Urm cannot mount a tmpfs here');
    }
    const p = makeScenario(env(python));
    fs.mkdirSync(path.join(p.dir, 'envs'));
    const r = cliWithTmpfs(p.dir, path.join(p.dir, 'envs'), options, ['apply']);
    expectUserError(r, message);
  });
});

const RECIPE = (outputs: string) => `export default {
  name: 'odd', version: '1', options: { type: 'object' },
  async apply() { ${outputs} },
};
`;

describe('bad results of recipes are user errors naming the part', () => {
  const results: Array<[string, string, RegExp]> = [
    ['cyclic outputs', 'const o = { a: 1 }; o.self = o; return { outputs: o };', /part app\.odd \(odd\): output outputs\.self refers back to itself/],
    ['a BigInt output', 'return { outputs: { big: 10n ** 30n } };', /part app\.odd \(odd\): output outputs\.big is a BigInt/],
    ['a function output', 'return { outputs: { f: () => 1 } };', /output outputs\.f is a function/],
  ];
  it.for(results)('%s', ([, body, message], ctx) => {
    const p = makeScenario(env(debianPython(ctx, 11), '      odd: {recipe: ./recipes/odd.mjs}\n'));
    fs.writeFileSync(path.join(p.dir, 'recipes', 'odd.mjs'), RECIPE(body));
    const r = cli(p.dir, ['apply']);
    expectUserError(r, message);
    expect(r.stderr).toContain('this is a bug in the recipe "odd"');
  });

  it('a command printing 300 MB: the last MiB is kept, the error shows its end', (ctx) => {
    const lines = `head -c 314572800 /dev/zero | tr '\\\\0' a; echo; echo the-last-line; exit 3`;
    const p = makeScenario(env(debianPython(ctx, 11), `      loud: {recipe: command, command: "${lines}"}\n`));
    const r = cli(p.dir, ['apply']);
    expectUserError(r, /exited with code 3/);
    expect(r.stderr).toContain('the-last-line');
    expect(r.stderr.length).toBeLessThan(64 * 1024);
  }, 120_000);

  it('${parts.a.constructor} names no output: only the part’s own fields resolve', (ctx) => {
    const p = makeScenario(
      env(debianPython(ctx, 11), '      one: {recipe: ./recipes/note.mjs, text: a}\n      two: {recipe: ./recipes/note.mjs, text: "${parts.one.constructor}", file: two.txt}\n'),
    );
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/part app\.one has no output "constructor"; its outputs: file, length/);
    expect(fs.existsSync(path.join(p.dir, 'envs', 'app', 'share', 'two.txt'))).toBe(false);
  });
});
