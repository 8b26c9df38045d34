import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import type { IsolationMode, LayoutRequest } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import { renderActivationScripts } from './activate/index.js';
import { venvPromptVariable } from './activate/context.js';
import { renderClassicSitePy } from './classic-site-py.js';
import { joinInside, relativeEntryPath } from './safe-path.js';
import type { TreeEntry } from './tree.js';
import { VENV_GITIGNORE } from './venv.js';

export interface ClassicLayoutOptions {
  /** Absolute path of the environment's root. */
  readonly root: string;
  readonly prompt: string;
  readonly isolation: IsolationMode;
  /** Environment-relative directory of the cherry-pick links, added with `site.addsitedir`. */
  readonly overlayDir?: string;
  /** Absolute directories added to the path as they are (cherry-pick `path:` entries). */
  readonly extraPaths?: readonly string[];
  /**
   * The text of the base interpreter's `site.py` (`<python.stdlib>/site.py`). It is an input
   * of the layout like `python` itself: the caller reads it, so that rendering stays pure and
   * a change of the base's site.py shows up as a change of the rendered entries.
   */
  readonly baseSiteSource: string;
}

export type LayoutChoice = { readonly layout: 'venv' | 'classic' } | { readonly error: string };

/**
 * Which layout an environment gets. `auto` picks `classic` exactly for interpreters without
 * PEP 405 (Python 2.x, 3.0–3.2). `venv` on such an interpreter cannot work. `classic` on a
 * PEP 405 interpreter is refused too: its site.py differs (no `real_prefix` conventions, venv
 * handling in `main()`), the generated start-up is tested only on Python 2, and a venv does
 * everything a classic environment does there, better.
 * The error is a sentence for a manifest diagnostic at the `layout` value.
 */
export function chooseLayout(python: PythonInfo, request: LayoutRequest): LayoutChoice {
  const which = `Python ${python.version} (${python.executable})`;
  if (python.supportsVenv) {
    if (request === 'classic') {
      return {
        error: `layout "classic" is for interpreters without PEP 405 (Python 2.x, 3.0–3.2); ${which} supports venvs: use "venv" or "auto"`,
      };
    }
    return { layout: 'venv' };
  }
  if (request === 'venv') {
    return {
      error: `layout "venv" needs PEP 405 (CPython 3.3 or later), which ${which} lacks: use "classic" or "auto"`,
    };
  }
  if (python.platform === 'win32' || python.platform === 'cygwin') {
    return { error: `layout "classic" is implemented for POSIX systems only, not for ${which} on ${python.platform}` };
  }
  return { layout: 'classic' };
}

/** Where a classic environment keeps things, relative to its root. */
export interface ClassicPaths {
  /** `lib/python2.7`: the prefix landmark's directory, holding site.py. */
  readonly stdlib: string;
  /** `lib/python2.7/lib-dynload`: the exec-prefix landmark. */
  readonly dynload: string;
  readonly bin: 'bin';
  readonly include: string;
  /** purelib, then platlib when it differs. */
  readonly sitePackages: readonly string[];
  /** The generated Python modules, whose bytecode `compileClassicSite` writes. */
  readonly generatedModules: readonly string[];
}

/**
 * The directories of a classic environment for `python`, from where its own landmarks are
 * relative to its prefixes. Throws a UserError for an interpreter that cannot have one.
 */
export function classicPaths(python: PythonInfo): ClassicPaths {
  const which = `Python ${python.version} (${python.executable})`;
  if (python.supportsVenv) {
    throw new UserError('ELAYOUT', `${which} supports PEP 405: it gets a venv, not a classic environment`, {
      hint: 'this is a bug in the caller: choose the layout with chooseLayout',
    });
  }
  const stdlib = inside(python.basePrefix, python.stdlib, `${which}: its standard library`);
  const baseDynload = python.sysPath.find((p) => path.posix.basename(p) === 'lib-dynload');
  if (baseDynload === undefined) {
    throw new UserError('ELAYOUT', `${which} has no lib-dynload directory on its path, so a classic environment cannot find its C extensions`);
  }
  const dynload = inside(python.baseExecPrefix, baseDynload, `${which}: its lib-dynload`);
  const { purelib, platlib, scripts, include } = python.venvScheme;
  if (scripts !== 'bin') {
    throw new UserError('ELAYOUT', `${which} puts scripts in "${scripts}", not "bin"; this layout is not supported`);
  }
  for (const rel of [purelib, platlib, include]) inside('/', `/${rel}`, `${which}: "${rel}"`);
  return {
    stdlib,
    dynload,
    bin: scripts,
    include,
    sitePackages: purelib === platlib ? [purelib] : [purelib, platlib],
    generatedModules: [`${stdlib}/site.py`],
  };
}

/**
 * The entries of a classic environment (the layout virtualenv < 20 wrote), for interpreters
 * without PEP 405. Pure: it reads nothing and runs nothing, so the same inputs give the same
 * list, parents before children. After writing them, run `compileClassicSite`.
 *
 * How it works (Python 2's getpath): the interpreter, copied to `bin/python`, searches upwards
 * from there for `lib/pythonX.Y/os.py` (the prefix landmark) and `lib/pythonX.Y/lib-dynload`
 * (the exec-prefix landmark), finds both in the environment, puts only those directories on
 * sys.path and imports the generated `site.py` from the first, which does the rest.
 *
 * Throws a UserError for an interpreter that cannot have a classic environment, a root or
 * prompt the activation scripts cannot carry, or a base site.py of an unexpected shape.
 */
export function renderClassicLayout(python: PythonInfo, options: ClassicLayoutOptions): TreeEntry[] {
  const paths = classicPaths(python);
  const [major, minor] = python.versionInfo;
  const activation = renderActivationScripts({
    envDir: options.root,
    prompt: options.prompt,
    promptVariable: venvPromptVariable(python.versionInfo, options.prompt),
    binName: paths.bin,
  });
  const aliases = [`python${major}`, `python${major}.${minor}`, path.posix.basename(python.executable)].filter(
    (name, i, all) => name !== 'python' && all.indexOf(name) === i && !activation.some((s) => s.fileName === name),
  );
  const cherryPick = options.isolation === 'cherry-pick';

  const entries: TreeEntry[] = [
    { kind: 'dir', path: paths.bin },
    // A symlink would not do: Python 2 resolves it and takes the base's prefix. A hard link or
    // a copy keeps the search for the landmarks in the environment.
    { kind: 'copy', path: `${paths.bin}/python`, source: python.executable, mode: 0o755 },
    ...aliases.map((name): TreeEntry => ({ kind: 'symlink', path: `${paths.bin}/${name}`, target: 'python' })),
    ...activation.map(
      (script): TreeEntry => ({ kind: 'file', path: `${paths.bin}/${script.fileName}`, content: script.content, mode: 0o644 }),
    ),
    // distutils takes C headers from <prefix>/include/pythonX.Y.
    { kind: 'symlink', path: paths.include, target: path.posix.join(python.basePrefix, paths.include) },
    ...paths.sitePackages.map((sp): TreeEntry => ({ kind: 'dir', path: sp })),
    ...(cherryPick && options.overlayDir !== undefined ? [{ kind: 'dir', path: options.overlayDir } as const] : []),
    // The exec-prefix landmark: without it exec_prefix falls back to the base, and so does the
    // platform-specific install scheme (distutils' platlib). It holds the stdlib's C extensions.
    { kind: 'symlink', path: paths.dynload, target: path.posix.join(python.baseExecPrefix, paths.dynload) },
    // virtualenv's convention, for tools that look for the base (no newline, as virtualenv wrote it).
    { kind: 'file', path: `${paths.stdlib}/orig-prefix.txt`, content: python.basePrefix, mode: 0o644 },
    // pip (up to 20) refuses `--user` in a virtualenv only when this marker sits beside site.py;
    // without it, `pip install --user` writes to a user site the environment cannot see.
    ...(options.isolation === 'system'
      ? []
      : [{ kind: 'file', path: `${paths.stdlib}/no-global-site-packages.txt`, content: '', mode: 0o644 } as const]),
    {
      kind: 'file',
      path: paths.generatedModules[0]!,
      mode: 0o644,
      content: renderClassicSitePy({
        major,
        basePrefix: python.basePrefix,
        baseStdlibPath: python.sysPath,
        sitePackages: paths.sitePackages,
        isolation: options.isolation,
        globalSitePackages: python.globalSitePackages,
        // site.py joins it to sys.prefix: the overlay's place relative to the environment root.
        overlayDir: cherryPick && options.overlayDir !== undefined ? relativeEntryPath(path.basename(options.root), '', options.overlayDir) : undefined,
        extraPaths: cherryPick ? (options.extraPaths ?? []) : [],
        baseSiteSource: options.baseSiteSource,
      }),
    },
    { kind: 'file', path: '.gitignore', content: VENV_GITIGNORE, mode: 0o644 },
    // The landmark's bytecode (Python 2 keeps it beside the source): without it os.py is
    // compiled at every start where bytecode is not written (+2 ms), or Python writes an
    // os.pyc into the environment that envbuild did not make.
    ...(major === 2 ? [{ kind: 'symlink', path: `${paths.stdlib}/os.pyc`, target: `${python.stdlib}/os.pyc` } as const] : []),
    // The prefix landmark, last (as venv writes pyvenv.cfg last): until it exists, the
    // interpreter takes the base's prefix and works as the base does, rather than starting
    // half-isolated from a half-written environment.
    { kind: 'symlink', path: `${paths.stdlib}/os.py`, target: `${python.stdlib}/os.py` },
  ];
  return withParents(entries);
}

/** Adds a `dir` entry for every parent not listed before its children; each path once. */
function withParents(entries: readonly TreeEntry[]): TreeEntry[] {
  const emitted = new Set<string>();
  const out: TreeEntry[] = [];
  for (const entry of entries) {
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!emitted.has(parent)) {
        emitted.add(parent);
        out.push({ kind: 'dir', path: parent });
      }
    }
    if (emitted.has(entry.path) && entry.kind === 'dir') continue;
    emitted.add(entry.path);
    out.push(entry);
  }
  return out;
}

/** `target` relative to `base`, refusing anything that is not strictly inside it. */
function inside(base: string, target: string, what: string): string {
  const rel = path.posix.relative(base, target);
  if (rel === '' || rel === '..' || rel.startsWith('../') || path.posix.isAbsolute(rel) || target.split('/').includes('..')) {
    throw new UserError('ELAYOUT', `${what} (${target}) is not inside ${base}: cannot lay out a classic environment`);
  }
  return rel;
}

/**
 * The modification time given to generated modules before they are compiled. Python 2's
 * .pyc embeds its source's mtime and is used only while the two agree; a fixed value makes
 * the .pyc a function of the source alone. 1980-01-01, the zip epoch other reproducible-build
 * tools use (wheels, SOURCE_DATE_EPOCH defaults), rather than 0, which some tools treat as unset.
 */
export const CLASSIC_SOURCE_MTIME = 315_532_800;

/**
 * Runs inside the environment's interpreter with `-E -s -S`: it appends the base's standard
 * library (argv) to reach py_compile, then compiles each module to a temporary file that is
 * renamed over the .pyc, and prints the .pyc paths. The name embedded in the code objects is
 * the environment-relative path: Python replaces it with the real path when it loads a .pyc,
 * and a root-independent name keeps the bytes the same wherever the environment is.
 * Valid Python 2 and 3.
 */
const COMPILE_SCRIPT = String.raw`
import sys
n = int(sys.argv[1])
sys.path.extend(sys.argv[2:2 + n])
import os, py_compile
try:
    from imp import cache_from_source
except ImportError:
    cache_from_source = None
root = sys.argv[2 + n]
for rel in sys.argv[3 + n:]:
    src = os.path.join(root, rel)
    dst = cache_from_source(src) if cache_from_source else src + 'c'
    if not os.path.isdir(os.path.dirname(dst)):
        os.makedirs(os.path.dirname(dst))
    tmp = dst + '.envbuild-tmp'
    py_compile.compile(src, tmp, rel, True)
    os.rename(tmp, dst)
    sys.stdout.write(os.path.relpath(dst, root) + '\n')
`;

export interface CompileOptions {
  readonly signal?: AbortSignal;
}

/**
 * Byte-compiles the generated modules of a classic environment written at `root`, with the
 * environment's own interpreter. Call it after every write of those modules (a rewrite gives
 * them a new mtime, which makes their .pyc stale). Deterministic: the sources get the fixed
 * mtime `CLASSIC_SOURCE_MTIME` first, `-E` keeps hash randomisation off, and the embedded
 * file name is root-independent; so the same entries give byte-identical .pyc files.
 *
 * @returns the environment-relative paths of the .pyc files it wrote, for state to record.
 */
export async function compileClassicSite(root: string, python: PythonInfo, options: CompileOptions = {}): Promise<string[]> {
  if (!path.isAbsolute(root)) throw new Error(`compileClassicSite needs an absolute root, got "${root}"`);
  const paths = classicPaths(python);
  const when = new Date(CLASSIC_SOURCE_MTIME * 1000);
  for (const rel of paths.generatedModules) await fs.utimes(joinInside(root, rel), when, when);
  const envPython = joinInside(root, `${paths.bin}/python`);
  // -E: no PYTHON* variables, hash randomisation off (marshal output stays stable). -s -S: no
  // site, no .pth, no sitecustomize. -B: importing py_compile writes no bytecode anywhere, not
  // even into the base's standard library.
  const args = ['-E', '-s', '-S', '-B', '-c', COMPILE_SCRIPT, String(python.sysPath.length), ...python.sysPath, root, ...paths.generatedModules];
  const { execFile } = await import('node:child_process');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      envPython,
      args,
      // cwd "/": with -c, Python 2 puts the working directory first on sys.path.
      { cwd: '/', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) },
      (error, out, err) => {
        if (!error) return resolve(out);
        const said = err.trim().split('\n').at(-1) || error.message;
        reject(
          new UserError('ELAYOUT', `byte-compiling the site.py of ${root} with its python failed: ${said}`, {
            hint: `run ${envPython} -c pass to see whether the environment's interpreter works (is its base ${python.executable} still installed?)`,
            cause: error,
          }),
        );
      },
    );
  });
  return stdout.split('\n').filter((l) => l !== '');
}
