/**
 * The installer against pip, on real wheels: Debian's /usr/share/python-wheels, the pyenv
 * interpreters' bundled ensurepip wheels, and test-built wheels with entry points, `.data`
 * directories, namespace packages and a platlib tag. The same wheels go into two fresh venvs —
 * one by envbuild, one by `pip install --no-deps` — and everything a user could look at must
 * agree: the file trees, `pip list`, `pip show -f`, `pip check`, the scripts, and `pip
 * uninstall` of what envbuild installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installWheels, targetFor } from '../../src/install/index.js';
import { parseRecord, recordHash } from '../../src/install/record.js';
import { probeInterpreter } from '../../src/python/index.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeTree } from '../helpers/tree-snapshot.js';

const tmp = tempDir('envbuild-diff-');

/** pip's own configuration (this machine sets PIP_FIND_LINKS) must not leak in. */
const cleanEnv = { PATH: '/usr/bin:/bin', HOME: tmp, LC_ALL: 'C.UTF-8' };

function run(cmd: string, args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { env: cleanEnv, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `python -m pip --python ENV …`: the base interpreter's pip acting on the venv. */
function pip(base: string, env: string, ...args: string[]): string {
  const r = run(base, ['-m', 'pip', '--isolated', '--disable-pip-version-check', '--python', path.join(env, 'bin/python'), ...args]);
  if (r.code !== 0) throw new Error(`pip ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

async function testWheels(dir: string, pyTag: string): Promise<string[]> {
  return [
    await buildWheel(dir, {
      name: 'demo-tool',
      version: '1.2',
      modules: { 'demo_tool/__init__.py': 'def main():\n    print("demo-tool says hi")\n', 'demo_tool/gui.py': 'def run():\n    return 0\n' },
      entryPoints: { console_scripts: { 'demo-tool': 'demo_tool:main' }, gui_scripts: { 'demo-gui': 'demo_tool.gui:run' } },
      data: {
        'scripts/demo-raw': '#!python\nimport demo_tool\ndemo_tool.main()\n',
        'scripts/demo-sh': '#!/bin/sh\necho plain shell\n',
        'data/share/demo-tool/config.ini': '[demo]\n',
        'headers/demo.h': '#define DEMO 1\n',
        'purelib/demo_tool_extra.py': 'EXTRA = True\n',
      },
      executable: ['demo_tool-1.2.data/scripts/demo-raw', 'demo_tool-1.2.data/scripts/demo-sh'],
      requires: ['ns-one'],
    }),
    await buildWheel(dir, { name: 'ns-one', version: '1.0', modules: { 'nspkg/one/__init__.py': 'ONE = 1\n' } }),
    await buildWheel(dir, { name: 'ns-two', version: '1.0', modules: { 'nspkg/two/__init__.py': 'TWO = 2\n' } }),
    await buildWheel(dir, {
      name: 'fastext',
      version: '0.1',
      tag: `${pyTag}-${pyTag}-linux_x86_64`,
      rootIsPurelib: false,
      modules: { 'fastext/__init__.py': 'X = 1\n', [`fastext/_core.${pyTag}-x86_64-linux-gnu.so`]: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]) },
    }),
  ];
}

/** Every entry of an environment: path → comparable content, the env's own path replaced. */
function snapshot(env: string): Map<string, string> {
  const inEnv = (text: string) => text.split(env).join('<ENV>');
  return describeTree(env, {
    skip: (rel) => rel === 'pyvenv.cfg' || path.basename(rel) === '__pycache__' || /\.dist-info\/INSTALLER$/.test(rel),
    linkTarget: inEnv,
    content: (bytes, rel) => {
      const text = inEnv(bytes.toString('latin1'));
      if (path.basename(rel) === 'RECORD') return normaliseRecord(text, path.dirname(path.dirname(path.join(env, rel))));
      if (path.basename(rel) === 'direct_url.json') return (JSON.parse(text) as { url: string }).url;
      return text;
    },
  });
}

/**
 * RECORD rows as a sorted set. Each hash and size is checked against the file it names (the
 * files themselves are compared separately: scripts hold the env's path, so their hashes
 * differ between two envs); the installer-specific rows keep only their path.
 */
function normaliseRecord(text: string, site: string): string {
  return parseRecord(text)
    .map((r) => {
      if (/\/(INSTALLER|direct_url\.json)$/.test(r.path)) return r.path;
      if (r.hash === '') return `${r.path},,${r.size}`;
      const bytes = fs.readFileSync(path.resolve(site, r.path));
      const ok = recordHash(bytes) === r.hash && String(bytes.length) === r.size;
      return `${r.path},${ok ? 'hash and size match' : `WRONG ${r.hash} ${r.size}`}`;
    })
    .sort()
    .join('\n');
}

function realWheels(base: string, stdlib: string): string[] {
  const bundled = path.join(stdlib, 'ensurepip', '_bundled');
  const dirs = base.startsWith('/usr/bin/') ? ['/usr/share/python-wheels'] : [bundled];
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.whl')).map((f) => path.join(d, f)) : []));
}

async function compareWithPip(base: string, label: string): Promise<void> {
  const info = await probeInterpreter(base);
  const pyTag = `cp${info.versionInfo[0]}${info.versionInfo[1]}`;
  const work = path.join(tmp, label);
  const wheels = [...realWheels(base, info.stdlib), ...(await testWheels(path.join(work, 'wheelhouse'), pyTag))];
  expect(wheels.filter((w) => /\/pip-/.test(w)), 'a real pip wheel').toHaveLength(1);
  // Same base name: venv writes it into the activation scripts' prompt.
  const ours = path.join(work, 'ours', 'env');
  const theirs = path.join(work, 'pips', 'env'); // as long as ours: script hashes in RECORD compare
  for (const env of [ours, theirs]) execFileSync(base, ['-m', 'venv', '--without-pip', env], { env: cleanEnv });
  const first = snapshot(ours);

  await installWheels(targetFor(ours, info), wheels.map((w) => ({ path: w, requested: true, directUrl: true })), { cacheDir: path.join(work, 'cache'), env: {} });
  pip(base, theirs, 'install', '--no-deps', '--no-index', '--no-compile', ...wheels);

  const a = snapshot(ours);
  const b = snapshot(theirs);
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [file, content] of b) expect(a.get(file), file).toBe(content);

  const listed = JSON.parse(pip(base, ours, 'list', '--format=json')) as { name: string }[];
  expect(listed).toEqual(JSON.parse(pip(base, theirs, 'list', '--format=json')));
  const names = listed.map((d) => d.name);
  const show = (env: string) => pip(base, env, 'show', '-f', ...names).split(env).join('<ENV>');
  expect(show(ours)).toBe(show(theirs));
  expect(run(base, ['-m', 'pip', '--isolated', '--python', path.join(ours, 'bin/python'), 'check']).out).toBe(run(base, ['-m', 'pip', '--isolated', '--python', path.join(theirs, 'bin/python'), 'check']).out);

  // Scripts run, including pip itself installed by envbuild.
  expect(run(path.join(ours, 'bin/demo-tool'), []).out).toBe('demo-tool says hi\n');
  expect(run(path.join(ours, 'bin/demo-raw'), []).out).toBe('demo-tool says hi\n');
  expect(run(path.join(ours, 'bin/demo-sh'), []).out).toBe('plain shell\n');
  expect(run(path.join(ours, 'bin/demo-gui'), []).code).toBe(0);
  const pipVersion = run(path.join(ours, `bin/pip${info.versionInfo[0]}.${info.versionInfo[1]}`), ['--version']);
  expect(pipVersion.out).toContain(`${ours}/lib/python${info.versionInfo[0]}.${info.versionInfo[1]}/site-packages/pip`);
  expect(run(path.join(ours, 'bin/python'), ['-c', 'import nspkg.one, nspkg.two, demo_tool_extra; print(nspkg.one.ONE + nspkg.two.TWO)']).out).toBe('3\n');

  // pip uninstalls what envbuild installed, as cleanly as what pip installed.
  for (const env of [ours, theirs]) pip(base, env, 'uninstall', '-y', 'demo-tool', 'ns-one', 'fastext');
  const after = snapshot(ours);
  expect([...after.keys()]).toEqual([...snapshot(theirs).keys()]);
  expect([...after.keys()].filter((k) => /demo|fastext|nspkg\/one/.test(k))).toEqual([]);
  expect([...after.keys()].filter((k) => !first.has(k)).some((k) => k.includes('nspkg/two'))).toBe(true);
}

// Each case runs pip a dozen times (~70 s on a quiet machine); on two cores shared with the rest
// of the suite that can pass the default 120 s.
describe('envbuild installs wheels exactly as pip does', { timeout: 360_000 }, () => {
  it("with Debian's python3.11 and /usr/share/python-wheels", async (ctx) => {
    await compareWithPip(debianPython(ctx, 11), 'debian311');
  });
  it("with pyenv's 3.12 and its bundled pip wheel", async (ctx) => {
    await compareWithPip(pyenvVersion(ctx, '3.12'), 'pyenv312');
  });
  it("with pyenv's 3.13 and its bundled pip wheel", async (ctx) => {
    await compareWithPip(pyenvVersion(ctx, '3.13'), 'pyenv313');
  });
});
