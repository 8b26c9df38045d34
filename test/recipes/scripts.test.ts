/**
 * The scripts recipe: console scripts from entry points (of a global distribution allowlisted
 * into a cherry-pick environment, and of one pip installed), an interpreter script, wrappers;
 * all run for real, rewritten only when they change, refused over files they did not make.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';


import packages from '../../recipes/packages/index.js';
import scripts, { type ScriptsOptions } from '../../recipes/scripts/index.js';
import { pythonShebang, renderWrapper } from '../../recipes/scripts/render.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { makeTestEnvironment, PartHarness, type TestEnvironment } from '../helpers/recipe-context.js';
import { debianPython, pyenvVersion, requirePresent } from '../helpers/require-python.js';
import { buildTestWheelhouse } from '../helpers/wheelhouse.js';
import { tempDir } from '../helpers/temp-dir.js';

let scratch: string;
let wheels: string;

beforeAll(async () => {
  scratch = tempDir('envbuild-scripts-');
  wheels = await buildTestWheelhouse(path.join(scratch, 'wheels'));
});

function run(file: string, args: string[] = [], cwd?: string) {
  const r = spawnSync(file, args, { encoding: 'utf8', cwd, env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() } });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr };
}

async function withTool(t: TestEnvironment): Promise<void> {
  await new PartHarness(packages, t, 'deps').converge({ requirements: ['tool'], 'no-index': true, 'find-links': [wheels] });
}

describe('scripts', () => {
  it("writes a cherry-picked global distribution's console script with the environment's python", async (ctx) => {
    const python = debianPython(ctx, 11);
    requirePresent(ctx, fs.existsSync('/usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info') ? true : undefined, 'python3-pygments 2.14');
    const t = await makeTestEnvironment(python, 'isolation:\n  mode: cherry-pick\n  allow: [Pygments]');
    const part = new PartHarness(scripts, t);
    const options: ScriptsOptions = { 'entry-points-of': ['pygments'] };
    expect(await part.converge(options)).toEqual({ action: 'create', reasons: ['new part'] });

    const file = path.join(t.env.bin, 'pygmentize');
    expect(part.previous?.outputs).toEqual({ scripts: { pygmentize: file }, paths: [file] });
    expect(part.previous?.created).toEqual([expect.objectContaining({ path: file, kind: 'file', mode: 0o755 })]);
    expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toBe(`#!${t.env.python}`);
    const r = run(file, ['-V']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^Pygments version 2\.14/);

    const before = snapshotTree(t.env.bin, { mtimes: true });
    expect(await part.converge(options)).toEqual({ action: 'no-op', reasons: [] });
    expect(snapshotTree(t.env.bin, { mtimes: true })).toEqual(before);

    await part.remove();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('leaves the scripts pip wrote for its distributions alone, and writes those that are missing', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    await withTool(t);
    const part = new PartHarness(scripts, t);
    const pipMade = fs.readFileSync(path.join(t.env.bin, 'tool-hello'), 'utf8');
    await part.converge({ 'entry-points-of': ['tool'], scripts: ['tool-hello'] });
    expect(part.logs).toContain('tool-hello: already written by pip for its distribution');
    expect(part.previous?.created).toEqual([]);
    expect(fs.readFileSync(path.join(t.env.bin, 'tool-hello'), 'utf8')).toBe(pipMade);

    fs.rmSync(path.join(t.env.bin, 'tool-hello'));
    expect((await part.plan({ 'entry-points-of': ['tool'], scripts: ['tool-hello'] })).reasons).toEqual(['bin/tool-hello missing']);
    await part.converge({ 'entry-points-of': ['tool'], scripts: ['tool-hello'] });
    expect(run(path.join(t.env.bin, 'tool-hello'), ['a', 'b']).out).toBe(`hello from ${t.env.python} a b`);
  });

  it('writes an interpreter script and wrappers that run with variables, arguments and a directory', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    await withTool(t);
    fs.mkdirSync(path.join(t.dir, 'work'));
    const part = new PartHarness(scripts, t);
    const options: ScriptsOptions = {
      interpreter: 'py',
      wrappers: {
        'tool-fast': { module: 'tool', args: ['first arg'], env: { TOOL_MODE: "fast 'n' loud" } },
        greet: { command: ['tool-hello', '--from-wrapper'] },
        where: { command: 'echo "$(pwd)" is', cwd: 'work' },
      },
    };
    await part.converge(options);
    const bin = (n: string) => path.join(t.env.bin, n);
    expect(run(bin('py'), ['-c', 'import sys; print(sys.prefix)']).out).toBe(t.env.path);
    expect(run(bin('tool-fast'), ['more']).out).toBe("tool module fast 'n' loud first arg more");
    expect(run(bin('greet'), ['x']).out).toBe(`hello from ${t.env.python} --from-wrapper x`);
    expect(run(bin('where'), ['here']).out).toBe(`${path.join(t.dir, 'work')} is here`);
    expect(part.previous?.outputs['scripts']).toEqual({ py: bin('py'), 'tool-fast': bin('tool-fast'), greet: bin('greet'), where: bin('where') });
    for (const n of ['py', 'tool-fast', 'greet', 'where']) expect(fs.statSync(bin(n)).mode & 0o777).toBe(0o755);

    // Dropping a wrapper removes its script; the others are not rewritten.
    const greetBefore = fs.statSync(bin('greet')).mtimeMs;
    const { where: _dropped, ...rest } = options.wrappers ?? {};
    await part.converge({ ...options, wrappers: rest });
    expect(fs.existsSync(bin('where'))).toBe(false);
    expect(fs.statSync(bin('greet')).mtimeMs).toBe(greetBefore);
  });

  it('refuses to overwrite a file it did not write, and names what is missing', async (ctx) => {
    const t = await makeTestEnvironment(debianPython(ctx, 11));
    fs.writeFileSync(path.join(t.env.bin, 'mine'), '#!/bin/sh\necho mine\n', { mode: 0o755 });
    const part = new PartHarness(scripts, t);
    await expect(part.apply({ interpreter: 'mine' })).rejects.toThrow(`${t.env.bin}/mine exists and was not written by this part`);
    expect(fs.readFileSync(path.join(t.env.bin, 'mine'), 'utf8')).toBe('#!/bin/sh\necho mine\n');

    await expect(part.apply({ 'entry-points-of': ['nope'] })).rejects.toThrow('nope is not installed in environment app');
    await withTool(t);
    await expect(part.apply({ 'entry-points-of': ['tool'], scripts: ['tool-bye'] })).rejects.toThrow(
      'no console script named tool-bye in tool (there are: tool-env, tool-hello)',
    );
    await expect(part.apply({ interpreter: 'py', wrappers: { py: { module: 'tool' } } })).rejects.toThrow('two scripts are named py');
    await expect(part.apply({ wrappers: { w: { module: 'tool', command: 'x' } } })).rejects.toThrow('wrapper w: give a command or a module, not both');
  });

  it('takes the distributions from a mapping, such as a packages part’s installed output', async (ctx) => {
    const t = await makeTestEnvironment(pyenvVersion(ctx, '2.7'), 'layout: classic');
    await withTool(t);
    for (const n of ['tool-hello', 'tool-env']) fs.rmSync(path.join(t.env.bin, n));
    const part = new PartHarness(scripts, t);
    await part.converge({ 'entry-points-of': { tool: '1.0' } });
    expect(run(path.join(t.env.bin, 'tool-hello')).out).toBe(`hello from ${t.env.python} `.trim());
    const env = run(path.join(t.env.bin, 'tool-env'));
    expect([env.code, env.out]).toEqual([3, 'unset']);
  });
});

describe('script texts', () => {
  it('uses the /bin/sh trampoline when the interpreter path is too long or has spaces for #!', () => {
    expect(pythonShebang('/env/bin/python')).toBe('#!/env/bin/python\n');
    const long = `/${'x'.repeat(130)}/bin/python`;
    expect(pythonShebang(long)).toBe(`#!/bin/sh\n'''exec' ${long} "$0" "$@"\n' '''\n`);
    expect(pythonShebang('/my envs/bin/python')).toBe(`#!/bin/sh\n'''exec' '/my envs/bin/python' "$0" "$@"\n' '''\n`);
  });

  it('quotes wrapper words for the shell', () => {
    expect(renderWrapper('w', { command: ['prog', "it's"], env: { A: 'x y' } }, '/e/bin/python', '/e/bin')).toBe(
      "#!/bin/sh\n# The w wrapper, written by envbuild.\nPATH=/e/bin:\"$PATH\"\nexport PATH\nA='x y'\nexport A\nexec prog 'it'\"'\"'s' \"$@\"\n",
    );
  });

  it('runs a trampolined console script from a directory whose path has a space', async (ctx) => {
    const python = debianPython(ctx, 11);
    const dir = fs.mkdtempSync(path.join(scratch, 'with space '));
    const spaced = path.join(dir, 'py thon');
    fs.symlinkSync(python, spaced);
    const file = path.join(dir, 'hello');
    fs.writeFileSync(file, `${pythonShebang(spaced)}import sys\nprint(sys.argv[1:])\n`, { mode: 0o755 });
    expect(run(file, ['a']).out).toBe("['a']");
  });
});
