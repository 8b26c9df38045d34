/**
 * The PEP 405 layout, written with the engine's writer and run with real interpreters: Debian's
 * python3.11 (whose dist-packages holds python3-yaml and python3-six) and pyenv 3.6–3.13.
 *
 * Children run with a minimal environment (no PYTHON* variables, no pyenv shims on PATH, HOME
 * in a temp dir holding a user site with a module in it), so nothing here depends on the shell
 * the tests were started from.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  renderBashActivate,
  renderCshActivate,
  renderFishActivate,
  renderNuActivate,
  renderPowerShellActivate,
  renderPyvenvCfg,
  renderVenvLayout,
  VENV_GITIGNORE,
  type TreeEntry,
  type VenvLayoutOptions,
} from '../../src/layout/index.js';
import { cshPromptLiteral, cshQuote, fishQuote, nuQuote, powershellQuote, shQuote } from '../../src/layout/activate/quote.js';
import { venvPromptVariable } from '../../src/layout/activate/context.js';
import { digestEntry, observe, observedMatches, writeEntry } from '../../src/layout/materialize.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { PROBE_SCRIPT } from '../../src/python/probe-script.js';
import { findDebianPython, findPyenvPython, requirePresent, type SkippableContext } from '../helpers/require-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeTree, snapshotTree } from '../helpers/tree-snapshot.js';

// --- fixtures --------------------------------------------------------------------------------

// Where children run (cwd): a directory of the test's own.
const scratch = tempDir('envbuild-venv-');


/**
 * The environment children get: nothing from the developer's shell leaks in. No bytecode is
 * written, so importing from the base interpreters' directories leaves them untouched.
 */
function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = scratch): SpawnSyncReturns<string> {
  const r = spawnSync(file, args, { env, cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function probe(python: string, home: string): PythonInfo {
  return JSON.parse(ok(run(python, ['-I', '-S', '-c', PROBE_SCRIPT], childEnv(home)), `probe of ${python}`)) as PythonInfo;
}

async function materialize(root: string, entries: readonly TreeEntry[]): Promise<void> {
  for (const entry of entries) await writeEntry(root, entry);
}

function parseCfg(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

function atLeast(info: PythonInfo, minor: number): boolean {
  return info.versionInfo[0] > 3 || (info.versionInfo[0] === 3 && info.versionInfo[1] >= minor);
}

const INSPECT = `import json, site, sys
print(json.dumps({'prefix': sys.prefix, 'base_prefix': sys.base_prefix, 'exec_prefix': sys.exec_prefix,
  'executable': sys.executable, 'path': [p for p in sys.path if p], 'site': site.getsitepackages(),
  'user_site_enabled': bool(site.ENABLE_USER_SITE)}))`;

interface Inspection {
  readonly prefix: string;
  readonly base_prefix: string;
  readonly exec_prefix: string;
  readonly executable: string;
  readonly path: readonly string[];
  readonly site: readonly string[];
  readonly user_site_enabled: boolean;
}

/** Whether `module` imports with `python`, and the file it comes from. */
function tryImport(python: string, module: string, env: NodeJS.ProcessEnv): { ok: boolean; file: string; stderr: string } {
  const r = run(python, ['-c', `import ${module}; print(getattr(${module}, '__file__', None) or '')`], env);
  return { ok: r.status === 0, file: r.stdout.trim(), stderr: r.stderr };
}

const USER_MODULE = 'envbuild_user_site_probe';

// --- interpreters ----------------------------------------------------------------------------

interface Interpreter {
  readonly label: string;
  readonly what: string;
  readonly find: () => string | undefined;
  /** Required ones fail under CI when absent; the others are extra coverage. */
  readonly required: boolean;
  readonly debian: boolean;
}

const INTERPRETERS: readonly Interpreter[] = [
  { label: 'Debian 3.11', what: '/usr/bin/python3.11', find: () => findDebianPython(11), required: true, debian: true },
  ...['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13'].map((v) => ({
    label: `pyenv ${v}`,
    what: `pyenv Python ${v}`,
    find: () => findPyenvPython(v),
    required: ['3.8', '3.12', '3.13'].includes(v),
    debian: false,
  })),
];

function present<T>(ctx: SkippableContext, found: T | undefined, what: string, required: boolean): T {
  if (found !== undefined || required) return requirePresent(ctx, found, what);
  return ctx.skip(`${what} is not installed on this machine`);
}

/** The pip that installs into the environments: pip ≥ 22.3 (`--python`) supporting Python 3.7+. */
function findInstaller(): string | undefined {
  return findPyenvPython('3.12');
}

interface Built {
  readonly python: string;
  readonly info: PythonInfo;
  readonly home: string;
  readonly full: string;
  readonly system: string;
  readonly fullEntries: readonly TreeEntry[];
}

const PROMPT = "it's my env";

for (const interp of INTERPRETERS) {
  describe(`venv layout with ${interp.label}`, () => {
    let built: Built | undefined;

    beforeAll(async () => {
      const python = interp.find();
      if (python === undefined) return;
      const dir = tempDir(`envbuild-venv-${interp.label.replace(/\W+/g, '-')}-`);
      const home = path.join(dir, 'home');
      fs.mkdirSync(home);
      const info = probe(python, home);
      // A user site that exists and holds a module: full isolation must hide it.
      expect(info.userSite?.startsWith(`${home}/`)).toBe(true);
      fs.mkdirSync(info.userSite!, { recursive: true });
      fs.writeFileSync(path.join(info.userSite!, `${USER_MODULE}.py`), 'WHERE = "user site"\n');

      const full = path.join(dir, 'full');
      const system = path.join(dir, 'system');
      const fullEntries = renderVenvLayout(info, { root: full, prompt: PROMPT, systemSitePackages: false, extraConfig: { 'envbuild-isolation': 'full' } });
      await materialize(full, fullEntries);
      await materialize(system, renderVenvLayout(info, { root: system, prompt: PROMPT, systemSitePackages: true }));
      built = { python, info, home, full, system, fullEntries };
    });

    const need = (ctx: SkippableContext): Built => present(ctx, built, interp.what, interp.required);
    const inspect = (b: Built, python: string): Inspection =>
      JSON.parse(ok(run(python, ['-c', INSPECT], childEnv(b.home)), `${python} -c INSPECT`)) as Inspection;

    it('writes exactly the rendered entries; bin/python links to the real binary, not a shim', async (ctx) => {
      const b = need(ctx);
      for (const entry of b.fullEntries) {
        expect(observedMatches(await digestEntry(entry), await observe(b.full, entry.path)), entry.path).toBe(true);
      }
      const target = fs.readlinkSync(path.join(b.full, 'bin/python'));
      expect(target).toBe(b.info.executable);
      expect(path.isAbsolute(target)).toBe(true);
      expect(target).not.toMatch(/\/shims\//);
      // An ELF binary: a pyenv shim is a shell script.
      expect([...fs.readFileSync(target).subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      const mm = `${b.info.versionInfo[0]}.${b.info.versionInfo[1]}`;
      expect(fs.readlinkSync(path.join(b.full, 'bin/python3'))).toBe('python');
      expect(fs.readlinkSync(path.join(b.full, `bin/python${mm}`))).toBe('python');
      expect(fs.readlinkSync(path.join(b.full, 'lib64'))).toBe('lib');
      for (const script of ['activate', 'activate.csh', 'activate.fish', 'activate.nu', 'Activate.ps1']) {
        expect(fs.statSync(path.join(b.full, 'bin', script)).mode & 0o777, script).toBe(0o644);
      }
      expect(fs.existsSync(path.join(b.full, 'lib/python3'))).toBe(false);
      expect(fs.existsSync(path.join(b.full, 'local'))).toBe(false);
    });

    it('is a venv: sys.prefix is the environment, sys.base_prefix the base, site-packages its own', (ctx) => {
      const b = need(ctx);
      const sitePackages = path.join(b.full, b.info.venvScheme.purelib);
      const mm = `${b.info.versionInfo[0]}.${b.info.versionInfo[1]}`;
      for (const name of ['python', 'python3', `python${mm}`]) {
        const exe = path.join(b.full, 'bin', name);
        const seen = inspect(b, exe);
        expect(seen.prefix).toBe(b.full);
        expect(seen.exec_prefix).toBe(b.full);
        expect(seen.base_prefix).toBe(b.info.basePrefix);
        expect(seen.executable).toBe(exe);
        expect(seen.path).toContain(sitePackages);
        expect(seen.site).toContain(sitePackages);
      }
    });

    it('full isolation: only the standard library and the environment are on sys.path', (ctx) => {
      const b = need(ctx);
      const env = childEnv(b.home);
      // The user site is real: the base interpreter imports from it.
      expect(tryImport(b.python, USER_MODULE, env).file).toBe(path.join(b.info.userSite!, `${USER_MODULE}.py`));

      const python = path.join(b.full, 'bin/python');
      const seen = inspect(b, python);
      expect(seen.user_site_enabled).toBe(false);
      for (const entry of seen.path) {
        const allowed = b.info.sysPath.includes(entry) || entry === b.full || entry.startsWith(`${b.full}/`);
        expect(allowed, `${entry} is neither the standard library nor the environment`).toBe(true);
        expect(entry).not.toMatch(/dist-packages/);
      }
      for (const global of [...b.info.globalSitePackages, b.info.userSite!]) expect(seen.path).not.toContain(global);
      // Debian's site.getsitepackages() also names local/lib/python3.X/dist-packages and
      // lib/python3/dist-packages inside the env; they count only if they exist, and must not.
      for (const dir of seen.site) expect(dir.startsWith(`${b.full}/`), dir).toBe(true);
      expect(seen.site.filter((d) => fs.existsSync(d))).toEqual([path.join(b.full, b.info.venvScheme.purelib)]);
      expect(tryImport(python, USER_MODULE, env).ok).toBe(false);

      if (interp.debian) {
        const base = ['yaml', 'six'].every((m) => tryImport(b.python, m, env).ok);
        present(ctx, base ? true : undefined, 'python3-yaml and python3-six (Debian packages)', true);
        for (const module of ['yaml', 'six']) {
          const inEnv = tryImport(python, module, env);
          expect(inEnv.ok, `${module} must not import: ${inEnv.file}`).toBe(false);
          expect(inEnv.stderr).toMatch(new RegExp(`No module named '?${module}'?`));
        }
      } else {
        present(ctx, tryImport(b.python, 'pip', env).ok ? true : undefined, `pip in ${interp.what}'s site-packages`, true);
        const pip = run(python, ['-c', 'import pip'], env);
        expect(pip.status).not.toBe(0);
        expect(pip.stderr).toMatch(/No module named '?pip'?/);
      }
    });

    it('system site packages: the base’s global packages and user site are visible, after the environment’s', (ctx) => {
      const b = need(ctx);
      const env = childEnv(b.home);
      const python = path.join(b.system, 'bin/python');
      const seen = inspect(b, python);
      const own = seen.path.indexOf(path.join(b.system, b.info.venvScheme.purelib));
      expect(own).toBeGreaterThanOrEqual(0);
      for (const global of b.info.globalSitePackages.filter((d) => fs.existsSync(d))) {
        expect(seen.path.indexOf(global), global).toBeGreaterThan(own);
      }
      // As with venv: include-system-site-packages = true leaves the user site enabled.
      expect(tryImport(python, USER_MODULE, env).ok).toBe(true);
      if (interp.debian) {
        const yaml = tryImport(python, 'yaml', env);
        expect(yaml.ok, yaml.stderr).toBe(true);
        expect(yaml.file.startsWith('/usr/lib/python3/dist-packages/')).toBe(true);
      } else {
        const pip = tryImport(python, 'pip', env);
        expect(pip.ok, pip.stderr).toBe(true);
        expect(pip.file.startsWith(`${b.info.basePrefix}/`)).toBe(true);
      }
    });

    it('matches what `python -m venv --without-pip` makes (regression guard)', (ctx) => {
      const b = need(ctx);
      const ref = path.join(path.dirname(b.full), 'venv-made');
      ok(run(b.python, ['-m', 'venv', '--without-pip', '--prompt', PROMPT, ref], childEnv(b.home)), 'python -m venv');

      const ours = describeTree(b.full, { by: 'kind' });
      const theirs = describeTree(ref, { by: 'kind' });
      const mm = `${b.info.versionInfo[0]}.${b.info.versionInfo[1]}`;
      // What envbuild adds, and what older venvs lacked.
      const extra = new Set(['bin/activate.nu']);
      if (!atLeast(b.info, 13)) extra.add('.gitignore');
      if (!atLeast(b.info, 8)) extra.add('bin/Activate.ps1');
      // venv adds pythonX.Y from 3.9, and before that a link named as the binary it was run as.
      if (!atLeast(b.info, 9) && path.basename(b.python) !== `python${mm}`) extra.add(`bin/python${mm}`);
      expect([...theirs.keys()].filter((p) => !ours.has(p))).toEqual([]);
      expect([...ours.keys()].filter((p) => !theirs.has(p)).sort()).toEqual([...extra].sort());
      for (const [p, kind] of theirs) expect(`${p}: ${ours.get(p)}`).toBe(`${p}: ${kind}`);
      expect(fs.readlinkSync(path.join(ref, 'lib64'))).toBe('lib');

      const ourCfg = parseCfg(fs.readFileSync(path.join(b.full, 'pyvenv.cfg'), 'utf8'));
      const theirCfg = parseCfg(fs.readFileSync(path.join(ref, 'pyvenv.cfg'), 'utf8'));
      // `command` is deliberately not written; envbuild's own keys are extra.
      const theirKeys = [...theirCfg.keys()].filter((k) => k !== 'command');
      const ourKeys = [...ourCfg.keys()].filter((k) => !k.startsWith('envbuild-'));
      const olderVenvLacks = [...(atLeast(b.info, 8) ? [] : ['prompt']), ...(atLeast(b.info, 11) ? [] : ['executable'])];
      expect(ourKeys.filter((k) => !olderVenvLacks.includes(k))).toEqual(theirKeys);
      for (const key of theirKeys) expect(`${key} = ${ourCfg.get(key)}`).toBe(`${key} = ${theirCfg.get(key)}`);

      // The same interpreter state, up to the environment's own path.
      const norm = (s: Inspection, root: string): string => JSON.stringify(s).replaceAll(root, '<env>');
      expect(norm(inspect(b, path.join(b.full, 'bin/python')), b.full)).toBe(norm(inspect(b, path.join(ref, 'bin/python')), ref));
    });

    it('pip installs into it with --python, and nowhere else', async (ctx) => {
      const b = need(ctx);
      if (!atLeast(b.info, 7)) ctx.skip('pip ≥ 22.3 (for --python) does not run on Python 3.6');
      const installer = requirePresent(ctx, findInstaller(), 'pyenv Python 3.12 (its pip installs into the environments)');
      const root = path.join(path.dirname(b.full), 'pip-target');
      await materialize(root, renderVenvLayout(b.info, { root, prompt: 'pip', systemSitePackages: false }));
      const envPython = path.join(root, 'bin/python');
      const env = childEnv(b.home, { PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' });

      // No pip inside: the environment's own interpreter cannot install.
      const own = run(envPython, ['-m', 'pip', 'install', '--no-index', 'anything'], env);
      expect(own.status).not.toBe(0);
      expect(own.stderr).toMatch(/No module named pip/);

      const wheel = await buildWheel(tempDir('envbuild-venv-wheels-'), {
        name: 'envbuild-hello',
        version: '1.0',
        modules: { 'envbuild_hello/__init__.py': 'def main():\n    print("hello from", __file__)\n' },
        entryPoints: { console_scripts: { 'envbuild-hello': 'envbuild_hello:main' } },
      });
      const outside = [...b.info.globalSitePackages, path.join(path.dirname(path.dirname(installer)), 'lib')];
      const before = outside.map((d) => snapshotTree(d, { by: 'metadata' }));
      ok(run(installer, ['-m', 'pip', '--python', envPython, 'install', '--no-index', wheel], env), 'pip install');
      expect(outside.map((d) => snapshotTree(d, { by: 'metadata' }))).toEqual(before);

      const sitePackages = path.join(root, b.info.venvScheme.purelib);
      const imported = tryImport(envPython, 'envbuild_hello', env);
      expect(imported.file).toBe(path.join(sitePackages, 'envbuild_hello/__init__.py'));
      expect(fs.existsSync(path.join(sitePackages, 'envbuild_hello-1.0.dist-info/RECORD'))).toBe(true);
      // The console script pip generated runs with the environment's interpreter.
      const script = path.join(root, 'bin/envbuild-hello');
      expect(fs.readFileSync(script, 'utf8').split('\n')[0]).toBe(`#!${envPython}`);
      expect(ok(run(script, [], env), 'envbuild-hello')).toContain(`hello from ${sitePackages}/envbuild_hello/__init__.py`);
      // Not visible to the base interpreter.
      expect(tryImport(b.python, 'envbuild_hello', env).ok).toBe(false);
    });
  });
}

// --- activation ------------------------------------------------------------------------------

describe('activation scripts', () => {
  // A parent with a space and a quote, and a prompt full of characters shells care about.
  const TRICKY_PROMPT = `it's $HOME \`id\` \\w %n "q"`;
  const UNICODE_PROMPT = 'ünï 環境';
  let env: { root: string; other: string; unicode: string; home: string; info: PythonInfo } | undefined;

  beforeAll(async () => {
    const python = findPyenvPython('3.12') ?? findDebianPython(11);
    if (python === undefined) return;
    const dir = path.join(tempDir('envbuild-venv-activation-'), "it's a dir");
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const info = probe(python, home);
    const root = path.join(dir, 'my env');
    const other = path.join(dir, 'other env');
    await materialize(root, renderVenvLayout(info, { root, prompt: TRICKY_PROMPT, systemSitePackages: false }));
    await materialize(other, renderVenvLayout(info, { root: other, prompt: 'other', systemSitePackages: false }));
    const unicode = path.join(dir, 'ünïcödé 環境');
    await materialize(unicode, renderVenvLayout(info, { root: unicode, prompt: UNICODE_PROMPT, systemSitePackages: false }));
    env = { root, other, unicode, home, info };
  });

  const need = (ctx: SkippableContext): NonNullable<typeof env> => requirePresent(ctx, env, 'pyenv Python 3.12 or /usr/bin/python3.11');
  const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';
  const bash = (script: string, e: NonNullable<typeof env>, extra: Record<string, string> = {}): string[] =>
    ok(run('bash', ['-c', script, 'bash', e.root, e.other], childEnv(e.home, { PATH: BASE_PATH, ...extra })), 'bash').split('\n');

  for (const mode of ['', 'set -eu; set -o pipefail; ']) {
    it(`bash${mode ? ' under set -eu' : ''}: sets VIRTUAL_ENV and PATH, runs the env's python, deactivate restores`, (ctx) => {
      const e = need(ctx);
      const out = bash(
        `${mode}source "$1/bin/activate"
        echo "$VIRTUAL_ENV"; echo "$VIRTUAL_ENV_PROMPT"; command -v python; echo "$PATH"
        python -c 'import sys; print(sys.prefix)'
        deactivate
        echo "\${VIRTUAL_ENV:-unset} \${VIRTUAL_ENV_PROMPT:-unset}"; echo "$PATH"
        type deactivate >/dev/null 2>&1 && echo still-defined || echo gone`,
        e,
      );
      expect(out.slice(0, 8)).toEqual([
        e.root,
        // As this Python's venv sets it (test/layout/venv-prompt.test.ts compares the versions).
        venvPromptVariable(e.info.versionInfo, TRICKY_PROMPT)?.value ?? '',
        `${e.root}/bin/python`,
        `${e.root}/bin:${BASE_PATH}`,
        e.root,
        'unset unset',
        BASE_PATH,
        'gone',
      ]);
    });
  }

  it('bash: PYTHONHOME is unset while active and restored after, set-but-empty included', (ctx) => {
    const e = need(ctx);
    for (const value of ['/nonexistent/home', '']) {
      const out = bash(
        `set -u; source "$1/bin/activate"; echo "\${PYTHONHOME-unset}"; python -c 'import sys; print(sys.prefix)'
        deactivate; echo "[\${PYTHONHOME-unset}]"`,
        e,
        { PYTHONHOME: value },
      );
      expect(out.slice(0, 3)).toEqual(['unset', e.root, `[${value}]`]);
    }
  });

  it('bash: the prompt shows the prompt text literally, and deactivate restores PS1 exactly', (ctx) => {
    const e = need(ctx);
    const out = bash(
      `PS1='\\u@\\h \\$ '; before="$PS1"; source "$1/bin/activate"; printf '%s\\n' "\${PS1@P}"
      deactivate; [ "$PS1" = "$before" ] && echo restored`,
      e,
    );
    const user = os.userInfo().username;
    expect(out[0]).toBe(`(${TRICKY_PROMPT}) ${user}@${os.hostname().split('.')[0]} ${process.getuid?.() === 0 ? '#' : '$'} `);
    expect(out[1]).toBe('restored');
  });

  it('bash: VIRTUAL_ENV_DISABLE_PROMPT leaves PS1 alone; a shell without PS1 gets none', (ctx) => {
    const e = need(ctx);
    expect(bash(`PS1='> '; source "$1/bin/activate"; echo "[$PS1]"`, e, { VIRTUAL_ENV_DISABLE_PROMPT: '1' })[0]).toBe('[> ]');
    expect(bash(`unset PS1; set -u; source "$1/bin/activate"; echo "[\${PS1-unset}]"; deactivate; echo "[\${PS1-unset}]"`, e).slice(0, 2)).toEqual([
      '[unset]',
      '[unset]',
    ]);
  });

  it('bash: activating another environment first undoes the active one', (ctx) => {
    const e = need(ctx);
    const out = bash(
      `source "$1/bin/activate"; source "$2/bin/activate"; echo "$VIRTUAL_ENV"; echo "$PATH"; deactivate; echo "$PATH"`,
      e,
    );
    expect(out.slice(0, 3)).toEqual([e.other, `${e.other}/bin:${BASE_PATH}`, BASE_PATH]);
  });

  it('bash: an empty PATH does not gain an empty (current directory) entry', (ctx) => {
    const e = need(ctx);
    const out = bash(`PATH=; source "$1/bin/activate"; echo "[$PATH]"; deactivate; echo "[$PATH]"`, e);
    expect(out.slice(0, 2)).toEqual([`[${e.root}/bin]`, '[]']);
  });

  it('bash: running the script instead of sourcing it fails with a hint', (ctx) => {
    const e = need(ctx);
    const r = run('bash', [path.join(e.root, 'bin/activate')], childEnv(e.home));
    expect(r.status).toBe(33);
    expect(r.stderr).toMatch(/must be sourced/);
  });

  it('POSIX sh (dash) can source it too', (ctx) => {
    const e = need(ctx);
    const dash = requireShell(ctx, 'dash');
    const out = ok(
      run(dash, ['-c', '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; command -v python; deactivate; echo "${VIRTUAL_ENV:-unset} $PATH"', 'sh', e.root], childEnv(e.home, { PATH: BASE_PATH })),
      'dash',
    ).split('\n');
    expect(out.slice(0, 3)).toEqual([e.root, `${e.root}/bin/python`, `unset ${BASE_PATH}`]);
  });

  /**
   * dash, zsh, fish and tcsh are Debian packages that `.ci/run` installs: each script runs in its own
   * shell, read from a file as a user's shell reads a sourced script line by line. (tcsh
   * expands aliases when it reads a line, so `deactivate`, an alias the script defines, only
   * exists on the lines after the one that sources it: a one-line `tcsh -c` cannot call it.)
   * Absent locally they are skipped; under CI=true they must be there.
   */
  function requireShell(ctx: SkippableContext, name: string): string {
    const exe = which(name);
    if (exe !== undefined) return exe;
    if (process.env['CI'] === 'true') throw new Error(`${name} is not installed, and CI must test activation in it: .ci/run installs it with apt`);
    return ctx.skip(`${name} is not installed (.ci/run installs it)`);
  }
  const realShells: { shell: string; args: (file: string, root: string) => string[]; lines: string[] }[] = [
    {
      shell: 'zsh',
      args: (file, root) => ['-f', file, root],
      lines: [
        `PS1='%# '`,
        'source "$1/bin/activate"',
        'echo "$VIRTUAL_ENV"',
        'command -v python',
        'python -c "import sys; print(sys.prefix)"',
        'print -rP -- "$PS1"',
        'deactivate',
        'echo "${VIRTUAL_ENV:-unset} $PATH"',
        'print -r -- "$PS1"',
      ],
    },
    {
      shell: 'fish',
      args: (file, root) => ['--no-config', file, root],
      lines: [
        `function fish_prompt; printf '%s' '> '; end`,
        'source $argv[1]/bin/activate.fish',
        'echo $VIRTUAL_ENV',
        'command -v python',
        `python -c "import sys; print(sys.prefix)"`,
        // The prompt as fish shows it, without the trailing newline of the multi-line form.
        'echo (fish_prompt | string collect)',
        'deactivate',
        'set -q VIRTUAL_ENV; or echo unset (string join : $PATH)',
        'echo (fish_prompt | string collect)',
      ],
    },
    {
      shell: 'tcsh',
      args: (file, root) => ['-f', file, root],
      lines: [
        `set prompt='> '`,
        'source "$1/bin/activate.csh"',
        'echo "$VIRTUAL_ENV"',
        'which python',
        `python -c "import sys; print(sys.prefix)"`,
        'echo "$prompt:q"',
        'deactivate',
        'if (! $?VIRTUAL_ENV) echo unset "$PATH"',
        'echo "$prompt:q"',
      ],
    },
  ];
  const promptShown: Record<string, (prompt: string) => string> = {
    zsh: (p) => `(${p}) # `,
    fish: (p) => `(${p}) > `,
    // tcsh's prompt variable holds the text with its `%` and `!` escaped; tcsh shows them plain.
    tcsh: (p) => `(${cshPromptLiteral(p)}) > `,
  };
  const restored: Record<string, string> = { zsh: '%# ', fish: '> ', tcsh: '> ' };
  for (const { shell, args, lines } of realShells) {
    for (const which of ['root', 'unicode'] as const) {
      it(`${shell}: sources its script, finds the env's python, shows the prompt, deactivate restores PATH and prompt (${which === 'root' ? "path with a space and a quote" : 'non-ASCII path with a space'})`, (ctx) => {
        const e = need(ctx);
        const exe = requireShell(ctx, shell);
        const root = e[which];
        const file = path.join(tempDir(`envbuild-venv-${shell}-`), 'script');
        fs.writeFileSync(file, `${lines.join('\n')}\n`);
        const prompt = which === 'root' ? TRICKY_PROMPT : UNICODE_PROMPT;
        // zsh runs as root here in CI: its `%#` shows `#`; as another user `%`.
        const expectedPrompt = promptShown[shell]!(prompt).replace(/# $/, `${process.getuid?.() === 0 ? '#' : '%'} `);
        const out = ok(run(exe, args(file, root), childEnv(e.home, { PATH: BASE_PATH })), shell).split('\n');
        expect(out.slice(0, 7)).toEqual([root, `${root}/bin/python`, root, expectedPrompt, `unset ${BASE_PATH}`, restored[shell], '']);
      });
    }
  }

  // PowerShell and nushell are not Debian packages: where absent (CI included), the content
  // checks below ("every script names the environment…") are what tests their scripts.
  const optional: { shell: string; script: string; args: (e: NonNullable<typeof env>) => string[] }[] = [
    {
      shell: 'pwsh',
      script: 'Activate.ps1',
      args: (e) => ['-NoProfile', '-Command', `. ${powershellQuote(`${e.root}/bin/Activate.ps1`)}; $env:VIRTUAL_ENV; (Get-Command python).Source; deactivate; "unset $env:PATH"`],
    },
  ];
  for (const { shell, script, args } of optional) {
    it(`${shell}: ${script} activates and deactivates`, (ctx) => {
      const e = need(ctx);
      const exe = which(shell);
      if (exe === undefined) return ctx.skip(`${shell} is not installed (not a Debian package: content checks only)`);
      const out = ok(run(exe, args(e), childEnv(e.home, { PATH: BASE_PATH })), shell).split('\n');
      expect(out.slice(0, 3)).toEqual([e.root, `${e.root}/bin/python`, `unset ${BASE_PATH}`]);
    });
  }

  it('nu: activate.nu works as an overlay', (ctx) => {
    const e = need(ctx);
    const nu = which('nu');
    if (nu === undefined) return ctx.skip('nu is not installed (not a Debian package: content checks only)');
    const out = ok(
      run(nu, ['-c', `overlay use ${nuQuote(`${e.root}/bin/activate.nu`)}; print $env.VIRTUAL_ENV; print (which python | get 0.path); deactivate; print ('VIRTUAL_ENV' in $env)`], childEnv(e.home, { PATH: BASE_PATH })),
      'nu',
    ).split('\n');
    expect(out.slice(0, 3)).toEqual([e.root, `${e.root}/bin/python`, 'false']);
  });

  it('every script names the environment and the prompt, quoted for its shell', (ctx) => {
    const e = need(ctx);
    const read = (name: string): string => fs.readFileSync(path.join(e.root, 'bin', name), 'utf8');
    const promptVariable = venvPromptVariable(e.info.versionInfo, TRICKY_PROMPT);
    const ctxt = { envDir: e.root, prompt: TRICKY_PROMPT, promptVariable, binName: 'bin' } as const;
    const variable = promptVariable?.value ?? '(unset)';
    expect(read('activate')).toBe(renderBashActivate(ctxt));
    expect(read('activate')).toContain(`VIRTUAL_ENV=${shQuote(e.root)}\n`);
    expect(read('activate')).toContain(`VIRTUAL_ENV_PROMPT=${shQuote(variable)}\n`);
    expect(read('activate.fish')).toBe(renderFishActivate(ctxt));
    expect(read('activate.fish')).toContain(`set -gx VIRTUAL_ENV ${fishQuote(e.root)}\n`);
    expect(read('activate.fish')).toContain(`set -gx VIRTUAL_ENV_PROMPT ${fishQuote(variable)}\n`);
    expect(read('activate.csh')).toBe(renderCshActivate(ctxt));
    expect(read('activate.csh')).toContain(`setenv VIRTUAL_ENV ${cshQuote(e.root)}\n`);
    expect(read('activate.csh')).toContain(`setenv VIRTUAL_ENV_PROMPT ${cshQuote(variable)}\n`);
    expect(read('activate.nu')).toBe(renderNuActivate(ctxt));
    expect(read('activate.nu')).toContain(`let virtual_env = ${nuQuote(e.root)}\n`);
    expect(read('activate.nu')).toContain(`let virtual_env_prompt = ${nuQuote(TRICKY_PROMPT)}\n`);
    expect(read('Activate.ps1')).toBe(renderPowerShellActivate(ctxt));
    expect(read('Activate.ps1')).toContain(`$env:VIRTUAL_ENV = ${powershellQuote(e.root)}\n`);
    expect(read('Activate.ps1')).toContain(`$env:VIRTUAL_ENV_PROMPT = ${powershellQuote(TRICKY_PROMPT)}\n`);
  });
});

function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
  const found = r.stdout.trim();
  return r.status === 0 && found.startsWith('/') ? found : undefined;
}

// --- pure rendering --------------------------------------------------------------------------

/** An interpreter that exists nowhere: rendering must not need it. */
const NOWHERE: PythonInfo = {
  executable: '/opt/nowhere/bin/python3.99',
  version: '3.99.1rc2',
  versionInfo: [3, 99, 1],
  implementation: 'cpython',
  prefix: '/opt/nowhere',
  basePrefix: '/opt/nowhere',
  execPrefix: '/opt/nowhere',
  baseExecPrefix: '/opt/nowhere',
  stdlib: '/opt/nowhere/lib/python3.99',
  platstdlib: '/opt/nowhere/lib/python3.99',
  venvScheme: { purelib: 'lib/python3.99/site-packages', platlib: 'lib/python3.99/site-packages', scripts: 'bin', include: 'include/python3.99' },
  globalSitePackages: ['/opt/nowhere/lib/python3.99/site-packages'],
  userSite: '/home/nobody/.local/lib/python3.99/site-packages',
  sysPath: ['/opt/nowhere/lib/python399.zip', '/opt/nowhere/lib/python3.99', '/opt/nowhere/lib/python3.99/lib-dynload'],
  soabi: 'cpython-399-x86_64-linux-gnu',
  extensionSuffixes: ['.cpython-399-x86_64-linux-gnu.so', '.abi3.so', '.so'],
  cacheTag: 'cpython-399',
  platform: 'linux',
  pointerBits: 64,
  supportsVenv: true,
};

const OPTIONS: VenvLayoutOptions = {
  root: '/srv/envs/app',
  prompt: 'app',
  systemSitePackages: false,
  extraConfig: { 'envbuild-isolation': 'cherry-pick', 'envbuild-format': '1' },
};

describe('renderVenvLayout, without any interpreter', () => {
  it('renders venv’s layout for an interpreter that does not exist, deterministically', () => {
    const entries = renderVenvLayout(NOWHERE, OPTIONS);
    expect(renderVenvLayout(NOWHERE, OPTIONS)).toEqual(entries);
    expect(entries.map((e) => (e.kind === 'symlink' ? `${e.kind} ${e.path} -> ${e.target}` : `${e.kind} ${e.path}`))).toEqual([
      'dir bin',
      'symlink bin/python -> /opt/nowhere/bin/python3.99',
      'symlink bin/python3 -> python',
      'symlink bin/python3.99 -> python',
      'file bin/activate',
      'file bin/activate.csh',
      'file bin/activate.fish',
      'file bin/activate.nu',
      'file bin/Activate.ps1',
      'dir include',
      'dir include/python3.99',
      'dir lib',
      'dir lib/python3.99',
      'dir lib/python3.99/site-packages',
      'symlink lib64 -> lib',
      'file .gitignore',
      'file pyvenv.cfg',
    ]);
    // Parents first.
    const seen = new Set<string>();
    for (const e of entries) {
      const parent = path.posix.dirname(e.path);
      if (parent !== '.') expect(seen.has(parent), e.path).toBe(true);
      seen.add(e.path);
    }
    const gitignore = entries.find((e) => e.path === '.gitignore');
    expect(gitignore).toMatchObject({ kind: 'file', content: VENV_GITIGNORE, mode: 0o644 });
    expect(VENV_GITIGNORE.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['*']);
  });

  it('writes pyvenv.cfg in venv’s format, with envbuild’s keys sorted after venv’s', () => {
    expect(renderPyvenvCfg(NOWHERE, OPTIONS)).toBe(
      [
        'home = /opt/nowhere/bin',
        'include-system-site-packages = false',
        'version = 3.99.1',
        "prompt = 'app'",
        'executable = /opt/nowhere/bin/python3.99',
        'envbuild-format = 1',
        'envbuild-isolation = cherry-pick',
        '',
      ].join('\n'),
    );
    expect(renderPyvenvCfg(NOWHERE, { ...OPTIONS, systemSitePackages: true, extraConfig: {} })).toContain('include-system-site-packages = true\n');
  });

  it('writes the prompt as Python’s repr(), as venv does', () => {
    const prompt = (p: string): string => parseCfg(renderPyvenvCfg(NOWHERE, { ...OPTIONS, prompt: p })).get('prompt')!;
    expect(prompt("it's")).toBe(`"it's"`);
    expect(prompt(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(prompt('back\\slash')).toBe(`'back\\\\slash'`);
    expect(prompt('nbsp\u00a0é')).toBe(`'nbsp\\xa0é'`);
  });

  it('follows the interpreter: older include dir, no lib64 on 32-bit, macOS or a lib64 scheme, pypy names', () => {
    const paths = (info: PythonInfo): string[] => renderVenvLayout(info, OPTIONS).map((e) => e.path);
    const py38: PythonInfo = { ...NOWHERE, versionInfo: [3, 8, 18], venvScheme: { ...NOWHERE.venvScheme, include: 'include/python3.8' } };
    expect(paths(py38)).toContain('include');
    expect(paths(py38)).not.toContain('include/python3.8');
    expect(paths({ ...NOWHERE, pointerBits: 32 })).not.toContain('lib64');
    expect(paths({ ...NOWHERE, platform: 'darwin' })).not.toContain('lib64');
    const fedora = { ...NOWHERE, venvScheme: { ...NOWHERE.venvScheme, platlib: 'lib64/python3.99/site-packages' } };
    const entries = renderVenvLayout(fedora, OPTIONS);
    expect(entries.filter((e) => e.path === 'lib64')).toEqual([{ kind: 'dir', path: 'lib64' }]);
    expect(entries.map((e) => e.path)).toContain('lib64/python3.99/site-packages');
    const pypy = { ...NOWHERE, implementation: 'pypy', executable: '/opt/pypy/bin/pypy3.99' };
    expect(paths(pypy).filter((p) => p.startsWith('bin/p'))).toEqual(['bin/python', 'bin/python3', 'bin/python3.99', 'bin/pypy3.99']);
  });

  it.each([
    ['a relative root', { root: 'envs/app' }, /not absolute/],
    ['an unnormalised root', { root: '/srv/envs/../app' }, /not normalised/],
    ['a root with a trailing slash', { root: '/srv/app/' }, /not normalised/],
    ['a root holding the PATH separator', { root: '/srv/a:b' }, /PATH separator/],
    ['a root with a newline', { root: '/srv/a\nb' }, /control character U\+000A/],
    ['an empty prompt', { prompt: '' }, /prompt is empty/],
    ['a prompt with a newline', { prompt: 'a\nb' }, /control character U\+000A/],
    ['an extra key venv owns', { extraConfig: { home: '/x' } }, /written by the layout itself/],
    ['an extra key with capitals', { extraConfig: { 'Envbuild-X': '1' } }, /lower-case name/],
    ['an extra key with "="', { extraConfig: { 'a=b': '1' } }, /lower-case name/],
    ['an extra value on two lines', { extraConfig: { 'envbuild-x': 'a\nhome = /evil' } }, /control character/],
    ['an extra value with outer spaces', { extraConfig: { 'envbuild-x': ' a' } }, /white space/],
  ] as const)('refuses %s', (_what, override, message) => {
    expect(() => renderVenvLayout(NOWHERE, { ...OPTIONS, ...override })).toThrow(message);
  });

  it('refuses interpreters without PEP 405, and Windows', () => {
    expect(() => renderVenvLayout({ ...NOWHERE, supportsVenv: false }, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'ELAYOUT', message: expect.stringMatching(/does not support PEP 405/), hint: expect.stringMatching(/layout: classic/) }),
    );
    expect(() => renderVenvLayout({ ...NOWHERE, platform: 'win32' }, OPTIONS)).toThrow(/Windows/);
    expect(() => renderVenvLayout({ ...NOWHERE, venvScheme: { ...NOWHERE.venvScheme, purelib: '../elsewhere' } }, OPTIONS)).toThrow(/not inside/);
  });

  it('quotes for each shell', () => {
    expect(shQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(fishQuote("a\\b'c")).toBe(`'a\\\\b\\'c'`);
    expect(cshQuote("a'b!c")).toBe(`'a'\\''b\\!c'`);
    expect(nuQuote('a"b\\c(d)')).toBe(`"a\\"b\\\\c(d)"`);
    expect(powershellQuote('a\'b\u2019c')).toBe(`'a''b\u2019\u2019c'`);
  });
});
