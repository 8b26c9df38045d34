/**
 * Uninstalling by RECORD, what is reported and what stays: exactly the listed files and their
 * modules' bytecode are removed (and reported once each), other distributions' bytecode stays,
 * nested directories empty out deepest first, and refusals carry their code and hint.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { installWheels, uninstallDistribution } from '../../src/install/index.js';
import type { InstallOptions, InstallTarget } from '../../src/install/types.js';
import { findDistInfos } from '../../src/install/uninstall.js';
import { installTarget } from '../helpers/install-target.js';
import { tempDir } from '../helpers/temp-dir.js';
import { rejection } from '../helpers/user-error.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;
let target: InstallTarget;
let opts: InstallOptions;

beforeEach(() => {
  tmp = tempDir('envbuild-uninstall-');
  target = installTarget(tmp);
  opts = { cacheDir: path.join(tmp, 'cache'), env: {} };
});

const tree = (dir: string) => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : []);
const lib = (...p: string[]) => path.join(target.purelib, ...p);

async function install(name: string, modules: Record<string, string>): Promise<void> {
  const wheel = await buildWheel(path.join(tmp, 'wh'), { name, version: '2.0', modules });
  await installWheels(target, [{ path: wheel }], opts);
}

describe('uninstalling by RECORD', () => {
  it('reports each removed path once, and empties nested directories deepest first', async () => {
    await install('Long_Name.Pkg', { 'nsp/0.py': '', 'nsp/b/c/x.py': '', 'nsp/data.txt': '' });
    fs.mkdirSync(lib('nsp/b/c/__pycache__'));
    fs.writeFileSync(lib('nsp/b/c/__pycache__/x.cpython-311.pyc'), '');
    const distInfo = lib('long_name_pkg-2.0.dist-info');
    const [r, ...more] = await uninstallDistribution(target, 'long-name-pkg');
    expect(more).toEqual([]);
    expect(r?.name).toBe('Long_Name.Pkg');
    expect(r?.version).toBe('2.0');
    expect([...(r?.removed ?? [])].sort()).toEqual(
      [lib('nsp/0.py'), lib('nsp/b/c/x.py'), lib('nsp/b/c/__pycache__/x.cpython-311.pyc'), lib('nsp/data.txt'), ...['INSTALLER', 'METADATA', 'RECORD', 'WHEEL'].map((f) => path.join(distInfo, f))].sort(),
    );
    expect(tree(target.purelib)).toEqual([]);
  });

  it("removes the bytecode of listed modules only: another distribution's module of the same stem keeps its own", async () => {
    await install('data-dist', { 'shared/x.txt': 'data' });
    await install('code-dist', { 'shared/x.py': 'X = 1\n' });
    fs.mkdirSync(lib('shared/__pycache__'));
    fs.writeFileSync(lib('shared/__pycache__/x.cpython-311.pyc'), '');
    const [r] = await uninstallDistribution(target, 'data-dist');
    expect(r?.removed.filter((p) => !p.includes('.dist-info'))).toEqual([lib('shared/x.txt')]);
    expect(tree(lib('shared'))).toEqual(['__pycache__', '__pycache__/x.cpython-311.pyc', 'x.py']);
  });

  it('removes bytecode that RECORD lists itself (compiled at install time)', async () => {
    await install('compiled', { 'pkg/__init__.py': '', 'pkg/__pycache__/gen.cpython-311.pyc': 'bytecode' });
    const [r] = await uninstallDistribution(target, 'compiled');
    expect(r?.removed).toContain(lib('pkg/__pycache__/gen.cpython-311.pyc'));
    expect(tree(target.purelib)).toEqual([]);
  });

  it('reports a distribution without METADATA by its directory, without a version', async () => {
    await install('nometa', { 'nometa.py': '' });
    fs.rmSync(lib('nometa-2.0.dist-info', 'METADATA'));
    const [r] = await uninstallDistribution(target, 'nometa');
    expect(r).toMatchObject({ name: 'nometa-2.0.dist-info', version: '' });
    expect(tree(target.purelib)).toEqual([]);
  });

  it('finds only .dist-info directories, not the package, its module or an .egg-info', async () => {
    await install('demo', { 'demo/__init__.py': '' });
    fs.writeFileSync(lib('demo.py'), '');
    fs.mkdirSync(lib('demo-1.0.egg-info'));
    expect(await findDistInfos(target, 'demo')).toEqual([lib('demo-2.0.dist-info')]);
    expect(await findDistInfos(target, 'demo.py')).toEqual([]);
  });

  it('refuses with EUNINSTALL and a hint: no RECORD, a RECORD leaving the environment, a symlink leading out', async () => {
    await install('victim', { 'victim/x.py': '' });
    const record = path.join(lib('victim-2.0.dist-info'), 'RECORD');
    const text = fs.readFileSync(record, 'utf8');
    fs.writeFileSync(record, `${text}../../../../outside.py,,\n`);
    const out = await rejection(uninstallDistribution(target, 'victim'));
    expect(out.code).toBe('EUNINSTALL');
    expect(out.hint).toBe('the RECORD was altered; nothing was removed');
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.symlinkSync(path.join(tmp, 'outside'), lib('link'));
    fs.writeFileSync(record, `${text}link/y.py,,\n`);
    const link = await rejection(uninstallDistribution(target, 'victim'));
    expect(link.code).toBe('EUNINSTALL');
    expect(link.hint).toBe('a symlink inside the environment points elsewhere; nothing was removed');
    fs.rmSync(record);
    expect((await rejection(uninstallDistribution(target, 'victim'))).code).toBe('EUNINSTALL');
    expect(fs.existsSync(lib('victim/x.py'))).toBe(true);
  });
});
