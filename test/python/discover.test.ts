import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, UserError, formatDiagnostic } from '../../src/errors/index.js';
import {
  createInterpreterFinder,
  formatInterpreterTable,
  listInterpreters,
  resolveInterpreter,
  type DiscoveryOptions,
  type FoundInterpreter,
} from '../../src/python/index.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { debianPython, pyenvRoot, pyenvVersion } from '../helpers/require-python.js';
import { useSandbox, type Sandbox } from './sandbox.js';

const sandbox = useSandbox();

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UserError)) throw new Error(`expected a UserError, got ${String(error)}`);
  return error;
}

/** PATH directories `a/`, `b/`… each holding links named as in `entries` ([name, target]). */
async function pathOf(box: Sandbox, ...dirs: Array<Array<[string, string]>>): Promise<string[]> {
  const result: string[] = [];
  for (const [i, entries] of dirs.entries()) {
    const dir = await box.dir(`path${i}`);
    for (const [name, target] of entries) await box.link(`path${i}/${name}`, target);
    result.push(dir);
  }
  return result;
}

describe('resolveInterpreter: version ranges', () => {
  it('"3.11" picks the highest 3.11 whatever the PATH order', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const pyenv311 = pyenvVersion(ctx, '3.11');
    const box = await sandbox();
    const [debianDir, pyenvDir] = await pathOf(box, [['python3.11', debian]], [['python3.11', pyenv311]]);
    for (const dirs of [[debianDir!, pyenvDir!], [pyenvDir!, debianDir!]]) {
      const info = await resolveInterpreter('3.11', box.options(dirs, { cacheDir: null }));
      expect(info.executable).toBe(pyenv311);
    }
    // And the other one is really there: an exact request reaches it.
    const exact = (await resolveInterpreter('3.11', box.options([debianDir!], { cacheDir: null }))).version;
    expect((await resolveInterpreter(exact, box.options([debianDir!, pyenvDir!], { cacheDir: null }))).executable).toBe(debian);
  });

  it('">=3.10 <3.12" and its comma form pick the highest inside the range', async (ctx) => {
    const [py310, py311, py312, py313] = ['3.10', '3.11', '3.12', '3.13'].map((v) => pyenvVersion(ctx, v));
    const box = await sandbox();
    const dirs = await pathOf(box, [
      ['python3.10', py310!],
      ['python3.11', py311!],
      ['python3.12', py312!],
      ['python3', py313!],
    ]);
    const finder = createInterpreterFinder(box.options(dirs));
    expect((await finder.resolve('>=3.10 <3.12')).executable).toBe(py311);
    expect((await finder.resolve('>=3.10,<3.12')).executable).toBe(py311);
    expect((await finder.resolve('~=3.10.0')).executable).toBe(py310);
    expect((await finder.resolve('3')).executable).toBe(py313);
  });

  it('breaks a tie between two binaries of one version by path, not PATH order', async (ctx) => {
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    // Two copies of pyenv's small launcher binary: distinct files, one version.
    const first = path.join(await box.dir('a'), 'python3.12');
    const second = path.join(await box.dir('z'), 'python3.12');
    await copyFile(py312, first);
    await copyFile(py312, second);
    for (const dirs of [[path.dirname(first), path.dirname(second)], [path.dirname(second), path.dirname(first)]]) {
      const finder = createInterpreterFinder(box.options(dirs));
      expect((await finder.resolve('3.12')).executable).toBe(first);
      expect((await finder.list()).map((f) => f.info.executable)).toEqual([first, second]);
    }
  });

  it('counts two links to one binary once, remembering both names', async (ctx) => {
    const python = debianPython(ctx, 11);
    const box = await sandbox();
    const dirs = await pathOf(box, [['python3', python]], [['python3.11', python]]);
    const list = await listInterpreters(box.options(dirs, { cacheDir: null }));
    expect(list).toHaveLength(1);
    expect(list[0]?.foundAs).toEqual([path.join(dirs[0]!, 'python3'), path.join(dirs[1]!, 'python3.11')]);
  });
});

describe('resolveInterpreter: commands and paths', () => {
  it('looks a command up on PATH', async (ctx) => {
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const dirs = await pathOf(box, [['python3.12', py312]]);
    const info = await resolveInterpreter('python3.12', box.options(dirs));
    expect(info.executable).toBe(py312);
    expect(info.versionInfo.slice(0, 2)).toEqual([3, 12]);
  });

  it('takes an absolute path, and a symlink to a binary as that binary', async (ctx) => {
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    expect((await resolveInterpreter(py312, box.options([]))).executable).toBe(py312);
    const link = await box.link('links/my-python', py312);
    expect((await resolveInterpreter(link, box.options([]))).executable).toBe(py312);
  });

  it('says when a command is not on PATH or a path does not exist', async () => {
    const box = await sandbox();
    const dir = await box.dir('empty');
    const notOnPath = await rejection(resolveInterpreter('python3.99', box.options([dir])));
    expect(notOnPath.code).toBe('ENOPYTHON');
    expect(notOnPath.message).toBe(`python "python3.99": no python3.99 on PATH (${dir})`);
    const missing = path.join(box.root, 'nope', 'python');
    const noFile = await rejection(resolveInterpreter(missing, box.options([])));
    expect(noFile.code).toBe('ENOPYTHON');
    expect(noFile.message).toBe(`python "${missing}": ${missing}: no such file (or a dangling symlink)`);
    const notPython = await box.script('bin/python3', '#!/bin/sh\nexit 1\n');
    const broken = await rejection(resolveInterpreter(notPython, box.options([])));
    expect(broken.code).toBe('EPYTHONPROBE');
    expect(broken.message).toBe(`python "${notPython}": ${notPython} is not a working Python interpreter: exit status 1`);
  });

  it('rejects a malformed request before looking at the disk', async () => {
    const error = await rejection(resolveInterpreter('>=3.1x', { env: {}, cacheDir: null }));
    expect(error.code).toBe('EPYTHONREQUEST');
    expect(error.message).toBe('invalid python request: ">=3.1x": "3.1x" is not a version');
  });
});

describe('resolveInterpreter: pyenv shims', () => {
  /**
   * A pyenv installation of our own: `shims/` holds bash scripts like pyenv's (they record any
   * run in a log, which must stay empty), `versions/` links to this machine's real builds.
   */
  async function fakePyenv(box: Sandbox, versions: Record<string, string>, shims: readonly string[]) {
    const root = await box.dir('pyenv');
    const shimLog = path.join(box.root, 'shim-runs.log');
    for (const [version, binary] of Object.entries(versions)) {
      const minor = version.split('.').slice(0, 2).join('.');
      const major = version.split('.')[0]!;
      await box.link(`pyenv/versions/${version}/bin/python${minor}`, binary);
      await box.link(`pyenv/versions/${version}/bin/python${major}`, `python${minor}`);
      await box.link(`pyenv/versions/${version}/bin/python`, `python${minor}`);
    }
    for (const name of shims) {
      await box.script(
        `pyenv/shims/${name}`,
        [
          '#!/usr/bin/env bash',
          'set -e',
          'program="${0##*/}"',
          `export PYENV_ROOT="${root}"`,
          `echo "$program" >> '${shimLog}'`,
          `exec "${root}/libexec/pyenv" exec "$program" "$@"`,
          '',
        ].join('\n'),
      );
    }
    return { root, shims: path.join(root, 'shims'), shimLog };
  }

  it('resolves a command that is a shim to the pyenv version providing it, without running the shim', async (ctx) => {
    const py311 = pyenvVersion(ctx, '3.11');
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const pyenv = await fakePyenv(box, { '3.11.7': py311, '3.12.1': py312 }, ['python', 'python3', 'python3.11', 'python3.12']);
    const options = (extra: DiscoveryOptions = {}): DiscoveryOptions => box.options([pyenv.shims], extra);

    expect((await resolveInterpreter('python3.12', options())).executable).toBe(py312);
    expect((await resolveInterpreter('python3.11', options())).executable).toBe(py311);
    // Several versions provide python3: nothing selected → the newest.
    expect((await resolveInterpreter('python3', options())).executable).toBe(py312);
    // PYENV_VERSION, as pyenv reads it (a prefix resolves to the newest installed match).
    const env = { PATH: pyenv.shims, HOME: box.root };
    expect((await resolveInterpreter('python3', options({ env: { ...env, PYENV_VERSION: '3.11.7' } }))).executable).toBe(py311);
    expect((await resolveInterpreter('python3', options({ env: { ...env, PYENV_VERSION: '3.11' } }))).executable).toBe(py311);
    // A selected version without the command is passed over, as pyenv does.
    expect((await resolveInterpreter('python3.12', options({ env: { ...env, PYENV_VERSION: '3.11.7:3.12.1' } }))).executable).toBe(py312);
    // The global version file, then a local .python-version, which wins over it.
    await writeFile(path.join(pyenv.root, 'version'), '# pinned\n3.11.7\n');
    expect((await resolveInterpreter('python', options())).executable).toBe(py311);
    const project = await box.dir('project/sub');
    await writeFile(path.join(box.root, 'project', '.python-version'), '3.12.1\n');
    expect((await resolveInterpreter('python', options({ cwd: project }))).executable).toBe(py312);
    // An absolute path to a shim, and a symlink to one, are resolved the same way.
    expect((await resolveInterpreter(path.join(pyenv.shims, 'python3.12'), options())).executable).toBe(py312);
    const link = await box.link('elsewhere/python3.11', path.join(pyenv.shims, 'python3.11'));
    expect((await resolveInterpreter(link, options())).executable).toBe(py311);

    expect(await box.runs(pyenv.shimLog)).toBe(0);
  });

  it('finds the versions behind shims on PATH when listing, and lists no shim', async (ctx) => {
    const py311 = pyenvVersion(ctx, '3.11');
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const pyenv = await fakePyenv(box, { '3.11.7': py311, '3.12.1': py312 }, ['python3', 'python3.12']);
    // pyenvRoot: null — the root is learnt from the shims themselves.
    const list = await listInterpreters(box.options([pyenv.shims]));
    expect(list.map((f) => [f.info.executable, f.source])).toEqual([
      [py312, 'pyenv'],
      [py311, 'pyenv'],
    ]);
    expect(list.flatMap((f) => f.foundAs).filter((p) => p.startsWith(pyenv.shims))).toEqual([]);
    expect(await box.runs(pyenv.shimLog)).toBe(0);
  });

  it('says which versions exist when none provides the command', async (ctx) => {
    const py311 = pyenvVersion(ctx, '3.11');
    const box = await sandbox();
    const pyenv = await fakePyenv(box, { '3.11.7': py311 }, ['python3.12']);
    const error = await rejection(resolveInterpreter('python3.12', box.options([pyenv.shims])));
    expect(error.code).toBe('ENOPYTHON');
    expect(error.message).toBe(
      `python "python3.12": ${path.join(pyenv.shims, 'python3.12')} is a pyenv shim and no pyenv version provides python3.12 (pyenv root ${pyenv.root}, installed: 3.11.7)`,
    );
  });
});

describe('resolveInterpreter: no match', () => {
  it('lists every interpreter found with the reason it was rejected', async (ctx) => {
    const py312 = pyenvVersion(ctx, '3.12');
    const py313 = pyenvVersion(ctx, '3.13');
    const box = await sandbox();
    const broken = await box.script('path1/python2', '#!/bin/sh\necho "no such thing" >&2\nexit 1\n');
    const dirs = [...(await pathOf(box, [['python3.12', py312], ['python3.13', py313]])), path.dirname(broken)];
    const error = await rejection(resolveInterpreter('>=3.10 <3.12', box.options(dirs)));
    const v312 = (await resolveInterpreter(py312, box.options([]))).version;
    const v313 = (await resolveInterpreter(py313, box.options([]))).version;
    expect(error.code).toBe('ENOPYTHON');
    expect(error.message).toBe(
      [
        'no Python interpreter matches ">=3.10 <3.12"; 3 interpreters found:',
        `  ${v313} ${py313}: outside >=3.10 <3.12`,
        `  ${v312} ${py312}: outside >=3.10 <3.12`,
        `  ? ${broken}: not a working Python interpreter: exit status 1: no such thing`,
      ].join('\n'),
    );
    expect(error.hint).toBe(
      'install a matching interpreter (e.g. "pyenv install 3.10"), or change python: to a range one of these satisfies, a command on PATH or an absolute path',
    );
  });

  it('explains a PEP 440 surprise in the hint', async (ctx) => {
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const dirs = await pathOf(box, [['python3', py312]]);
    const error = await rejection(resolveInterpreter('==3.12', box.options(dirs)));
    expect(error.hint).toBe('"==3.12" means exactly 3.12.0 (PEP 440); write "3.12" or "==3.12.*" for any 3.12.x');
  });

  it('says where it searched when it found nothing', async () => {
    const box = await sandbox();
    const dir = await box.dir('empty');
    const error = await rejection(resolveInterpreter('3.11', box.options([dir], { pyenvRoot: path.join(box.root, 'no-pyenv') })));
    expect(error.message).toBe(
      `no Python interpreter matches "3.11": none found (searched ${dir}, ${path.join(box.root, 'no-pyenv', 'versions', '*', 'bin')})`,
    );
  });

  it('locates the error at the manifest value when told where it is', async (ctx) => {
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const dirs = await pathOf(box, [['python3', py312]]);
    const at = { file: '/project/env.yaml', line: 4, col: 13 };
    const error = await rejection(
      resolveInterpreter('2.7', { ...box.options(dirs), at, keyPath: 'environments.app.python' }),
    );
    expect(error).toBeInstanceOf(ManifestError);
    const diagnostics = (error as ManifestError).diagnostics;
    expect(diagnostics).toHaveLength(1);
    const version = (await resolveInterpreter(py312, box.options([]))).version;
    expect(formatDiagnostic(diagnostics[0]!)).toBe(
      [
        `/project/env.yaml:4:13: no Python interpreter matches "2.7"; 1 interpreter found:`,
        `  ${version} ${py312}: outside 2.7 (at environments.app.python)`,
        `  hint: install a matching interpreter (e.g. "pyenv install 2.7"), or change python: to a range one of these satisfies, a command on PATH or an absolute path`,
      ].join('\n'),
    );
  });
});

describe('listInterpreters and formatInterpreterTable', () => {
  it('lists PATH, pyenv and system interpreters by version, then path', async (ctx) => {
    const debian = debianPython(ctx, 11);
    const py27 = pyenvVersion(ctx, '2.7');
    const py312 = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const dirs = await pathOf(box, [['python3.12', py312]]);
    const pyenv = await box.dir('pyenv');
    await box.link('pyenv/versions/2.7.18/bin/python', py27);
    await box.link('pyenv/versions/3.12.1/bin/python3', py312);
    const system = await box.dir('system-bin');
    await box.link('system-bin/python3', debian);
    const list = await listInterpreters(box.options(dirs, { pyenvRoot: pyenv, systemDirs: [system] }));
    expect(list.map((f) => [f.info.executable, f.source])).toEqual([
      [py312, 'path'],
      [debian, 'system'],
      [py27, 'pyenv'],
    ]);
    expect(list[0]?.foundAs).toEqual([path.join(dirs[0]!, 'python3.12'), path.join(pyenv, 'versions/3.12.1/bin/python3')]);
  });

  it('renders aligned rows without trailing spaces', () => {
    const row = (version: string, executable: string, source: FoundInterpreter['source']): FoundInterpreter => ({
      info: { version, executable, implementation: 'cpython' } as PythonInfo,
      source,
      foundAs: [executable],
    });
    expect(
      formatInterpreterTable([
        row('3.12.1', '/root/.pyenv/versions/3.12.1/bin/python3.12', 'pyenv'),
        row('3.11.2', '/usr/bin/python3.11', 'system'),
        row('2.7.18', '/opt/py27/bin/python2.7', 'path'),
      ]),
    ).toEqual([
      'VERSION  IMPLEMENTATION  PATH                                         SOURCE',
      '3.12.1   cpython         /root/.pyenv/versions/3.12.1/bin/python3.12  pyenv',
      '3.11.2   cpython         /usr/bin/python3.11                          system',
      '2.7.18   cpython         /opt/py27/bin/python2.7                      path',
    ]);
    expect(formatInterpreterTable([])).toEqual(['VERSION  IMPLEMENTATION  PATH  SOURCE']);
  });

  it("uses this machine's defaults when given no options", async (ctx) => {
    // Discovery with the real environment finds Debian's interpreter (which CI installs) as
    // the system one, and lists no shim: every entry is a real, probed binary.
    const debian = debianPython(ctx, 11);
    const list = await listInterpreters({ cacheDir: null });
    expect(list.find((f) => f.info.executable === debian)?.info.version).toMatch(/^3\.11\.\d+$/);
    expect(list.filter((f) => f.info.executable.includes('/shims/'))).toEqual([]);
    expect(list.filter((f) => f.info.executable.startsWith(path.join(pyenvRoot(), 'shims')))).toEqual([]);
  });
});
