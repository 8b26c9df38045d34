import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import {
  CLASSIC_SOURCE_MTIME,
  chooseLayout,
  compileClassicSite,
  pyStringLiteral,
  renderClassicLayout,
  renderClassicSitePy,
  type ClassicLayoutOptions,
} from '../../src/layout/index.js';
import { writeEntry } from '../../src/layout/materialize.js';
import type { TreeEntry } from '../../src/layout/tree.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { PROBE_SCRIPT } from '../../src/python/probe-script.js';
import { pyenvVersion, type SkippableContext } from '../helpers/require-python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { buildWheel } from '../helpers/wheel.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

// The probed base is shared by the file's tests: its HOME lives as long as the file runs.
const fileDir = tempDir('envbuild-classic-');

/**
 * The environment child processes get: none of this machine's PYTHON* (it sets
 * PYTHONDONTWRITEBYTECODE) or PIP_* variables (it sets find-links), and a HOME of our own.
 */
function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', HOME: home, PIP_CONFIG_FILE: '/dev/null' };
  return { ...env, ...extra };
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = '/'): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs Python code and returns the JSON it printed last. */
async function pyJson<T>(python: string, code: string, env: NodeJS.ProcessEnv, flags: readonly string[] = []): Promise<T> {
  const r = await run(python, [...flags, '-c', code], env);
  if (r.code !== 0) throw new Error(`${python} failed (${r.code}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null') as T;
}

interface Base {
  readonly executable: string;
  readonly info: PythonInfo;
  readonly siteSource: string;
  readonly home: string;
}

let baseCache: Promise<Base> | undefined;

/** pyenv's 2.7, probed the way discovery does (`-E -s -S`), or skip (fail under CI). */
function base27(ctx: SkippableContext): Promise<Base> {
  const executable = pyenvVersion(ctx, '2.7');
  baseCache ??= (async () => {
    const home = path.join(fileDir, 'home');
    await fs.mkdir(home);
    const probed = await pyJson<PythonInfo>(executable, PROBE_SCRIPT, cleanEnv(home), ['-E', '-s', '-S']);
    const siteSource = await fs.readFile(path.join(probed.stdlib, 'site.py'), 'utf8');
    return { executable, info: probed, siteSource, home };
  })();
  return baseCache;
}

type BuildOptions = Omit<ClassicLayoutOptions, 'root' | 'prompt' | 'baseSiteSource'> & { prompt?: string };

/** Renders, writes with the engine's writer, and byte-compiles: what apply will do. */
async function build(base: Base, root: string, options: BuildOptions): Promise<{ entries: TreeEntry[]; compiled: string[] }> {
  const entries = renderClassicLayout(base.info, {
    root,
    prompt: 'demo',
    baseSiteSource: base.siteSource,
    ...options,
  });
  for (const entry of entries) await writeEntry(root, entry);
  const compiled = await compileClassicSite(root, base.info);
  return { entries, compiled };
}

async function newEnv(base: Base, name: string, options: BuildOptions): Promise<{ root: string; python: string; entries: TreeEntry[]; compiled: string[] }> {
  const root = path.join(tempDir(`envbuild-classic-${name}-`), 'env');
  const built = await build(base, root, options);
  return { root, python: path.join(root, 'bin', 'python'), ...built };
}

const PATH_INFO = `
import sys, json, site
print(json.dumps({'prefix': sys.prefix, 'exec_prefix': sys.exec_prefix,
  'real_prefix': getattr(sys, 'real_prefix', None), 'path': sys.path,
  'enable_user_site': site.ENABLE_USER_SITE, 'site_file': site.__file__,
  'executable': sys.executable}))
`;

function importable(module: string): string {
  return `
import json
try:
    import ${module} as m
    print(json.dumps(getattr(m, '__file__', True)))
except ImportError:
    print(json.dumps(None))
`;
}

// ---------------------------------------------------------------------------------------------
// Pure: no interpreter needed

const FAKE_27: PythonInfo = {
  executable: '/opt/py27/bin/python2.7',
  version: '2.7.18',
  versionInfo: [2, 7, 18],
  implementation: 'cpython',
  prefix: '/opt/py27',
  basePrefix: '/opt/py27',
  execPrefix: '/opt/py27',
  baseExecPrefix: '/opt/py27',
  stdlib: '/opt/py27/lib/python2.7',
  platstdlib: '/opt/py27/lib/python2.7',
  venvScheme: {
    purelib: 'lib/python2.7/site-packages',
    platlib: 'lib/python2.7/site-packages',
    scripts: 'bin',
    include: 'include/python2.7',
  },
  globalSitePackages: ['/opt/py27/lib/python2.7/site-packages', '/opt/py27/lib/site-python'],
  userSite: '/home/u/.local/lib/python2.7/site-packages',
  sysPath: [
    '/opt/py27/lib/python27.zip',
    '/opt/py27/lib/python2.7',
    '/opt/py27/lib/python2.7/plat-linux2',
    '/opt/py27/lib/python2.7/lib-tk',
    '/opt/py27/lib/python2.7/lib-old',
    '/opt/py27/lib/python2.7/lib-dynload',
  ],
  soabi: null,
  extensionSuffixes: ['.so', 'module.so'],
  cacheTag: null,
  platform: 'linux2',
  pointerBits: 64,
  supportsVenv: false,
};

const FAKE_311: PythonInfo = { ...FAKE_27, version: '3.11.7', versionInfo: [3, 11, 7], supportsVenv: true };

const FAKE_SITE = `"""Base site."""\nimport sys\nimport os\n\ndef main():\n    pass\n\nmain()\n\ndef _script():\n    pass\n\nif __name__ == '__main__':\n    _script()\n`;

const fakeOptions = (over: Partial<ClassicLayoutOptions> = {}): ClassicLayoutOptions => ({
  root: '/envs/demo',
  prompt: 'demo',
  isolation: 'full',
  baseSiteSource: FAKE_SITE,
  ...over,
});

describe('chooseLayout', () => {
  it('picks classic for interpreters without PEP 405 and venv otherwise', () => {
    expect(chooseLayout(FAKE_27, 'auto')).toEqual({ layout: 'classic' });
    expect(chooseLayout(FAKE_27, 'classic')).toEqual({ layout: 'classic' });
    expect(chooseLayout(FAKE_311, 'auto')).toEqual({ layout: 'venv' });
    expect(chooseLayout(FAKE_311, 'venv')).toEqual({ layout: 'venv' });
  });

  it('refuses a classic environment on Windows', () => {
    expect(chooseLayout({ ...FAKE_27, platform: 'win32' }, 'auto')).toEqual({
      error: 'layout "classic" is implemented for POSIX systems only, not for Python 2.7.18 (/opt/py27/bin/python2.7) on win32',
    });
  });

  it('refuses venv without PEP 405, and classic with it, saying what to write instead', () => {
    expect(chooseLayout(FAKE_27, 'venv')).toEqual({
      error: 'layout "venv" needs PEP 405 (CPython 3.3 or later), which Python 2.7.18 (/opt/py27/bin/python2.7) lacks: use "classic" or "auto"',
    });
    expect(chooseLayout(FAKE_311, 'classic')).toEqual({
      error:
        'layout "classic" is for interpreters without PEP 405 (Python 2.x, 3.0–3.2); Python 3.11.7 (/opt/py27/bin/python2.7) supports venvs: use "venv" or "auto"',
    });
  });
});

describe('renderClassicLayout (pure)', () => {
  it('lays out the landmarks, a copied interpreter and the generated site.py', () => {
    const entries = renderClassicLayout(FAKE_27, fakeOptions());
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get('bin/python')).toEqual({ kind: 'copy', path: 'bin/python', source: '/opt/py27/bin/python2.7', mode: 0o755 });
    expect(byPath.get('bin/python2')).toEqual({ kind: 'symlink', path: 'bin/python2', target: 'python' });
    expect(byPath.get('bin/python2.7')).toEqual({ kind: 'symlink', path: 'bin/python2.7', target: 'python' });
    expect(byPath.get('lib/python2.7/os.py')).toMatchObject({ kind: 'symlink', target: '/opt/py27/lib/python2.7/os.py' });
    expect(byPath.get('lib/python2.7/os.pyc')).toMatchObject({ kind: 'symlink', target: '/opt/py27/lib/python2.7/os.pyc' });
    expect(byPath.get('lib/python2.7/lib-dynload')).toMatchObject({ kind: 'symlink', target: '/opt/py27/lib/python2.7/lib-dynload' });
    expect(byPath.get('include/python2.7')).toMatchObject({ kind: 'symlink', target: '/opt/py27/include/python2.7' });
    expect(byPath.get('lib/python2.7/orig-prefix.txt')).toMatchObject({ kind: 'file', content: '/opt/py27' });
    expect(byPath.get('lib/python2.7/site-packages')).toEqual({ kind: 'dir', path: 'lib/python2.7/site-packages' });
    expect(byPath.get('lib/python2.7/no-global-site-packages.txt')).toMatchObject({ kind: 'file', content: '' });
    expect(byPath.get('lib/python2.7/site.py')?.kind).toBe('file');
    // No local/ and no lib64: Python 2 never looks there.
    expect(entries.filter((e) => /^(local|lib64)(\/|$)/.test(e.path))).toEqual([]);
  });

  it('lists every parent directory before its children, each path once, all relative', () => {
    const entries = renderClassicLayout(FAKE_27, fakeOptions({ isolation: 'cherry-pick', overlayDir: 'lib/python2.7/envbuild-overlay' }));
    const seen = new Set<string>();
    for (const e of entries) {
      expect(e.path).not.toMatch(/^\/|(^|\/)\.\.?(\/|$)/);
      const parent = path.posix.dirname(e.path);
      if (parent !== '.') expect(seen.has(parent), `${parent} before ${e.path}`).toBe(true);
      expect(seen.has(e.path), `${e.path} listed once`).toBe(false);
      seen.add(e.path);
    }
    expect(seen.has('lib/python2.7/envbuild-overlay')).toBe(true);
  });

  it('is deterministic, and its site.py does not depend on where the environment is', () => {
    const a = renderClassicLayout(FAKE_27, fakeOptions());
    expect(renderClassicLayout(FAKE_27, fakeOptions())).toEqual(a);
    const moved = renderClassicLayout(FAKE_27, fakeOptions({ root: '/elsewhere/env' }));
    const site = (es: TreeEntry[]): unknown => es.find((e) => e.path === 'lib/python2.7/site.py');
    expect(site(moved)).toEqual(site(a));
  });

  it('writes the prefix landmark last, so a half-written environment still starts as its base', () => {
    const entries = renderClassicLayout(FAKE_27, fakeOptions());
    expect(entries.at(-1)).toEqual({ kind: 'symlink', path: 'lib/python2.7/os.py', target: '/opt/py27/lib/python2.7/os.py' });
  });

  it("has the venv layout's activation scripts, sourced rather than run", () => {
    const entries = renderClassicLayout(FAKE_27, fakeOptions());
    const scripts = entries.filter((e) => e.kind === 'file' && e.path.startsWith('bin/'));
    expect(scripts.map((e) => e.path)).toEqual(['bin/activate', 'bin/activate.csh', 'bin/activate.fish', 'bin/activate.nu', 'bin/Activate.ps1']);
    expect(scripts.every((e) => e.kind === 'file' && e.mode === 0o644)).toBe(true);
    expect(() => renderClassicLayout(FAKE_27, fakeOptions({ root: 'relative/env' }))).toThrow(UserError);
  });

  it('refuses an interpreter with PEP 405: that is a venv', () => {
    expect(() => renderClassicLayout(FAKE_311, fakeOptions())).toThrow(/supports PEP 405/);
  });

  it('marks only isolated environments as having no global site-packages', () => {
    const marker = (isolation: ClassicLayoutOptions['isolation']): boolean =>
      renderClassicLayout(FAKE_27, fakeOptions({ isolation })).some((e) => e.path.endsWith('no-global-site-packages.txt'));
    expect([marker('full'), marker('cherry-pick'), marker('system')]).toEqual([true, true, false]);
  });

  it("refuses a base site.py without exactly one top-level main() call", () => {
    const render = (src: string): string =>
      renderClassicSitePy({
        major: 2,
        basePrefix: '/b',
        baseStdlibPath: [],
        sitePackages: ['lib/python2.7/site-packages'],
        isolation: 'full',
        globalSitePackages: [],
        extraPaths: [],
        baseSiteSource: src,
      });
    expect(() => render('def main():\n    pass\n')).toThrow(UserError);
    expect(() => render('main()\nmain()\n')).toThrow(/2 top-level "main\(\)" calls/);
    expect(render(FAKE_SITE)).toContain('\nmain()\n# ---- end of the envbuild section ----\n\ndef _script():');
  });

  it('spells any path as a pure-ASCII literal of the right string type', () => {
    expect(pyStringLiteral("/opt/it's\\é", 2)).toBe("'/opt/it\\'s\\\\\\xc3\\xa9'");
    expect(pyStringLiteral('/opt/é😀', 3)).toBe("'/opt/\\u00e9\\U0001f600'");
  });
});

// ---------------------------------------------------------------------------------------------
// With pyenv's Python 2.7

describe('a classic environment on Python 2.7', () => {
  it('has its own prefix, the base as real_prefix, and a working standard library with C extensions', async (ctx) => {
    const base = await base27(ctx);
    const env = await newEnv(base, 'prefix', { isolation: 'full' });
    const info = await pyJson<Record<string, unknown>>(env.python, PATH_INFO, cleanEnv(base.home));
    expect(info).toMatchObject({
      prefix: env.root,
      exec_prefix: env.root,
      real_prefix: base.info.basePrefix,
      executable: env.python,
      enable_user_site: false,
      site_file: path.join(env.root, 'lib/python2.7/site.pyc'),
    });
    // The same through the other names, and through PATH as after activation: Python 2 finds
    // its prefix from the path it was started by.
    for (const name of ['python2', 'python2.7']) {
      expect(await pyJson(path.join(env.root, 'bin', name), 'import sys, json; print(json.dumps(sys.prefix))', cleanEnv(base.home))).toBe(env.root);
    }
    const activated = await run(
      '/bin/bash',
      ['-c', `. ${path.join(env.root, 'bin/activate')} && python -c 'import sys; print(sys.prefix)' && echo "$VIRTUAL_ENV"`],
      cleanEnv(base.home),
    );
    expect(activated.stdout).toBe(`${env.root}\n${env.root}\n`);
    const hasSsl = (await run(base.executable, ['-c', 'import ssl'], cleanEnv(base.home))).code === 0;
    const stdlib = await pyJson<Record<string, unknown>>(
      env.python,
      `
import json, hashlib, sqlite3, _json, zlib
c = sqlite3.connect(':memory:')
out = {'sha': hashlib.sha256(b'x').hexdigest()[:8], 'sqlite': c.execute('select 1+1').fetchone()[0],
       'json_c': _json.__file__, 'zlib': zlib.decompress(zlib.compress(b'ok'))}
try:
    import ssl
    out['ssl'] = ssl.OPENSSL_VERSION
except ImportError:
    out['ssl'] = None
print(json.dumps(out))
`,
      cleanEnv(base.home),
    );
    expect(stdlib).toMatchObject({ sha: '2d711642', sqlite: 2, zlib: 'ok' });
    expect(stdlib['json_c']).toContain('lib-dynload/_json.so');
    // ssl works in the environment exactly when it works in the base.
    expect(stdlib['ssl']).toEqual(hasSsl ? expect.stringMatching(/SSL/) : null);
    // distutils finds the C headers through include/python2.7.
    const inc = await pyJson<string>(env.python, 'import json, distutils.sysconfig as s; print(json.dumps(s.get_python_inc()))', cleanEnv(base.home));
    expect(inc).toBe(path.join(env.root, 'include/python2.7'));
    expect((await fs.stat(path.join(inc, 'Python.h'))).isFile()).toBe(true);
  });

  it('full: sees neither the base site-packages (pip) nor the user site, even when HOME has one', async (ctx) => {
    const base = await base27(ctx);
    const env = await newEnv(base, 'full', { isolation: 'full' });
    const home = tempDir('envbuild-classic-leaky-home-');
    const userSite = path.join(home, '.local/lib/python2.7/site-packages');
    await fs.mkdir(userSite, { recursive: true });
    await fs.writeFile(path.join(userSite, 'leak.py'), 'LEAK = True\n');
    // The base itself sees both: the test would prove nothing otherwise.
    expect(await pyJson(base.executable, importable('leak'), cleanEnv(home))).toBe(path.join(userSite, 'leak.py'));
    expect(await pyJson(base.executable, importable('pip'), cleanEnv(home))).toMatch(/site-packages\/pip\/__init__\.pyc?$/);

    expect(await pyJson(env.python, importable('leak'), cleanEnv(home))).toBeNull();
    expect(await pyJson(env.python, importable('pip'), cleanEnv(home))).toBeNull();
    const info = await pyJson<{ path: string[] }>(env.python, PATH_INFO, cleanEnv(home));
    expect(info.path.filter((p) => /site-packages|site-python|\.local/.test(p))).toEqual([path.join(env.root, 'lib/python2.7/site-packages')]);
    // Nor through -m site, which prints what the base's _script would.
    const r = await run(env.python, ['-m', 'site'], cleanEnv(home));
    expect(r.stdout).toContain('ENABLE_USER_SITE: False');
  });

  it('system: the base site-packages come after the environment’s own', async (ctx) => {
    const base = await base27(ctx);
    const env = await newEnv(base, 'system', { isolation: 'system' });
    const pip = await pyJson<string>(env.python, importable('pip'), cleanEnv(base.home));
    expect(pip.startsWith(path.join(base.info.basePrefix, 'lib/python2.7/site-packages/pip/'))).toBe(true);
    const info = await pyJson<{ path: string[] }>(env.python, PATH_INFO, cleanEnv(base.home));
    expect(info.path.filter((p) => p.includes('site-packages'))).toEqual([
      path.join(env.root, 'lib/python2.7/site-packages'),
      path.join(base.info.basePrefix, 'lib/python2.7/site-packages'),
    ]);
  });

  it('cherry-pick: imports exactly what the overlay links to, and runs its -nspkg.pth files', async (ctx) => {
    const base = await base27(ctx);
    // A "global" search directory holding two packages, a namespace portion and an extra dir.
    const world = tempDir('envbuild-classic-world-');
    const search = path.join(world, 'site-packages');
    await fs.mkdir(path.join(search, 'allowed_pkg'), { recursive: true });
    await fs.mkdir(path.join(search, 'sibling_pkg'), { recursive: true });
    await fs.mkdir(path.join(search, 'nsdemo', 'alpha'), { recursive: true });
    await fs.writeFile(path.join(search, 'allowed_pkg', '__init__.py'), 'X = 1\n');
    await fs.writeFile(path.join(search, 'sibling_pkg', '__init__.py'), 'X = 2\n');
    await fs.writeFile(path.join(search, 'nsdemo', 'alpha', '__init__.py'), 'X = 3\n');
    // What setuptools writes for a namespace package (nsdemo has no __init__.py).
    const nspkg =
      "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('nsdemo',));" +
      "importlib = has_mfs and __import__('importlib.util');has_mfs and __import__('importlib.machinery');" +
      "m = has_mfs and sys.modules.setdefault('nsdemo', importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec('nsdemo', [os.path.dirname(p)])));" +
      "m = m or sys.modules.setdefault('nsdemo', types.ModuleType('nsdemo'));mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n";
    await fs.writeFile(path.join(search, 'nsdemo.alpha-1.0-py2.7-nspkg.pth'), nspkg);
    const extra = path.join(world, 'vendor');
    await fs.mkdir(extra);
    await fs.writeFile(path.join(extra, 'vendored.py'), 'X = 4\n');

    const overlayDir = 'lib/python2.7/envbuild-overlay';
    const env = await newEnv(base, 'cherry', { isolation: 'cherry-pick', overlayDir, extraPaths: [extra, path.join(world, 'absent')] });
    const overlay = path.join(env.root, overlayDir);
    await fs.symlink(path.join(search, 'allowed_pkg'), path.join(overlay, 'allowed_pkg'));
    await fs.symlink(path.join(search, 'nsdemo'), path.join(overlay, 'nsdemo'));
    const e = cleanEnv(base.home);

    expect(await pyJson(env.python, importable('allowed_pkg'), e)).toBe(path.join(overlay, 'allowed_pkg', '__init__.py'));
    expect(await pyJson(env.python, importable('sibling_pkg'), e)).toBeNull();
    expect(await pyJson(env.python, importable('vendored'), e)).toBe(path.join(extra, 'vendored.py'));
    expect(await pyJson(env.python, importable('pip'), e)).toBeNull();
    // A namespace portion without its -nspkg.pth is no package on Python 2 ...
    expect(await pyJson(env.python, importable('nsdemo.alpha'), e)).toBeNull();
    // ... and becomes one when the overlay holds the .pth: addsitedir ran it.
    await fs.symlink(path.join(search, 'nsdemo.alpha-1.0-py2.7-nspkg.pth'), path.join(overlay, 'nsdemo.alpha-1.0-py2.7-nspkg.pth'));
    expect(await pyJson(env.python, importable('nsdemo.alpha'), e)).toBe(path.join(overlay, 'nsdemo', 'alpha', '__init__.py'));

    const info = await pyJson<{ path: string[] }>(env.python, PATH_INFO, e);
    expect(info.path.slice(-3)).toEqual([path.join(env.root, 'lib/python2.7/site-packages'), overlay, extra]);
  });

  it("installs a local wheel with the base's pip, put on PYTHONPATH alone for that command", async (ctx) => {
    const base = await base27(ctx);
    const env = await newEnv(base, 'pip', { isolation: 'full' });
    const work = tempDir('envbuild-classic-pip-');
    const wheel = await buildWheel(work, {
      name: 'demo-pkg',
      version: '1.0',
      tag: 'py2-none-any',
      modules: { 'demo_pkg/__init__.py': 'VALUE = 42\ndef main():\n    print("demo %d" % VALUE)\n' },
      entryPoints: { console_scripts: { demo: 'demo_pkg:main' } },
    });
    // A directory holding only a link to the base's pip: the environment's python runs it, so
    // pip installs into the environment's scheme (sys.real_prefix tells it it is in a
    // virtualenv) with the environment's python in script shebangs, and sees no base packages.
    const pipOnly = path.join(work, 'pip-only');
    await fs.mkdir(pipOnly);
    await fs.symlink(path.join(base.info.basePrefix, 'lib/python2.7/site-packages/pip'), path.join(pipOnly, 'pip'));
    const pipEnv = cleanEnv(base.home, { PYTHONPATH: pipOnly, PIP_DISABLE_PIP_VERSION_CHECK: '1' });

    const install = await run(env.python, ['-m', 'pip', 'install', '--no-index', '--no-cache-dir', wheel], pipEnv, work);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('Successfully installed demo-pkg-1.0');
    expect(await pyJson(env.python, importable('demo_pkg'), cleanEnv(base.home))).toBe(
      path.join(env.root, 'lib/python2.7/site-packages/demo_pkg/__init__.pyc'),
    );
    const script = await fs.readFile(path.join(env.root, 'bin/demo'), 'utf8');
    expect(script.split('\n')[0]).toBe(`#!${env.python}`);
    expect((await run(path.join(env.root, 'bin/demo'), [], cleanEnv(base.home))).stdout).toBe('demo 42\n');
    const list = await run(env.python, ['-m', 'pip', 'list', '--format=freeze'], pipEnv);
    expect(list.stdout.trim().split('\n')).toEqual(['demo-pkg==1.0']);
    // no-global-site-packages.txt makes pip refuse --user, which would write where the env cannot see.
    const user = await run(env.python, ['-m', 'pip', 'install', '--user', '--no-index', wheel], pipEnv, work);
    expect(user.code).not.toBe(0);
    expect(user.stderr).toContain("Can not perform a '--user' install");
  });

  it('writes byte-identical .pyc files wherever and whenever it is built, and Python uses them', async (ctx) => {
    const base = await base27(ctx);
    const a = await newEnv(base, 'det-a', { isolation: 'full' });
    const b = await newEnv(base, 'det-b', { isolation: 'full' });
    expect(a.compiled).toEqual(['lib/python2.7/site.pyc']);
    expect(b.entries.filter((e) => e.path.startsWith('lib/'))).toEqual(a.entries.filter((e) => e.path.startsWith('lib/')));
    const pycA = await fs.readFile(path.join(a.root, 'lib/python2.7/site.pyc'));
    const pycB = await fs.readFile(path.join(b.root, 'lib/python2.7/site.pyc'));
    expect(pycB.equals(pycA)).toBe(true);
    // The header embeds the fixed source mtime, which the source carries.
    expect(pycA.readUInt32LE(4)).toBe(CLASSIC_SOURCE_MTIME);
    expect(Math.round((await fs.stat(path.join(a.root, 'lib/python2.7/site.py'))).mtimeMs / 1000)).toBe(CLASSIC_SOURCE_MTIME);
    // Rebuilding in place gives the same bytes again.
    await build(base, a.root, { isolation: 'full' });
    expect((await fs.readFile(path.join(a.root, 'lib/python2.7/site.pyc'))).equals(pycA)).toBe(true);

    // Python accepts both .pyc files (os.pyc through its link) instead of compiling the sources.
    const r = await run(a.python, ['-v', '-c', 'pass'], cleanEnv(base.home));
    expect(r.stderr).toContain(`# ${a.root}/lib/python2.7/site.pyc matches ${a.root}/lib/python2.7/site.py`);
    expect(r.stderr).toContain(`# ${a.root}/lib/python2.7/os.pyc matches ${a.root}/lib/python2.7/os.py`);
  });

  it('reports a site.py that does not compile as a user error naming the environment', async (ctx) => {
    const base = await base27(ctx);
    const env = await newEnv(base, 'broken', { isolation: 'full' });
    await fs.writeFile(path.join(env.root, 'lib/python2.7/site.py'), 'def broken(:\n');
    const error: unknown = await compileClassicSite(env.root, base.info).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(new RegExp(`^byte-compiling the site.py of ${env.root} with its python failed: .*SyntaxError`));
  });

  it('gains no files when its python runs with bytecode writing on', async (ctx) => {
    const base = await base27(ctx);
    const env = await newEnv(base, 'nowrite', { isolation: 'full' });
    const before = snapshotTree(env.root, { mtimes: true });
    const r = await run(env.python, ['-c', 'import json, hashlib, sqlite3, distutils.sysconfig'], cleanEnv(base.home));
    expect(r.code, r.stderr).toBe(0);
    expect(snapshotTree(env.root, { mtimes: true })).toEqual(before);
  });
  // Start-up overhead is measured by `npm run bench` (paired runs against the base), not here:
  // timings asserted in tests fail under load and prove nothing about a user's machine.
});
