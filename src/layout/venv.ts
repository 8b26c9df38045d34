import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { majorMinor, type PythonInfo } from '../python/interpreter.js';
import { renderActivationEntries } from './activate/index.js';
import { venvPromptVariable } from './activate/context.js';
import { findControlCharacter } from './activate/validate.js';
import type { TreeEntry } from './tree.js';

export interface VenvLayoutOptions {
  /** Absolute, normalised path of the environment; baked into the activation scripts. */
  readonly root: string;
  /** Shown by the activation scripts and recorded in pyvenv.cfg. */
  readonly prompt: string;
  /** `include-system-site-packages`: whether the base's site-packages (and user site) are visible. */
  readonly systemSitePackages: boolean;
  /**
   * Keys of envbuild's own appended to pyvenv.cfg, sorted (Python ignores unknown keys), e.g.
   * `{ 'envbuild-isolation': 'cherry-pick' }`. Lower-case `[a-z0-9._-]` names only (site.py
   * lower-cases keys), none of the keys venv itself writes.
   */
  readonly extraConfig?: Readonly<Record<string, string>>;
}

/** Where things go inside a venv of this interpreter, relative to its root (sysconfig's venv scheme). */
export interface VenvPaths {
  readonly scripts: 'bin';
  readonly purelib: string;
  readonly platlib: string;
  readonly include: string;
}

/** The keys venv writes (3.6–3.13); extra keys may not shadow them. */
const VENV_KEYS = ['home', 'include-system-site-packages', 'version', 'prompt', 'executable', 'command'] as const;

const EXTRA_KEY = /^[a-z0-9][a-z0-9._-]*$/;

/** What venv 3.13 writes, with our name: `*` ignores the whole environment, this file included. */
export const VENV_GITIGNORE = '# Created by envbuild: an environment is built from its manifest, not versioned\n*\n';

/**
 * The PEP 405 environment of `python` at `options.root`, as the entries `python -m venv
 * --without-pip` would create (measured against venv 3.6–3.13 on Debian and pyenv builds), plus
 * `activate.nu`. Pure: it reads neither the disk nor the interpreter, so the same inputs always
 * give the same list. Parents come before children; `pyvenv.cfg`, which makes Python treat the
 * directory as an environment, comes last, so an interrupted write leaves no half-made venv.
 *
 * Throws a UserError for inputs no venv can represent: an interpreter without PEP 405, Windows,
 * a root or prompt the activation scripts cannot carry, a malformed extra key.
 */
export function renderVenvLayout(python: PythonInfo, options: VenvLayoutOptions): TreeEntry[] {
  const paths = venvPaths(python);
  const activation = renderActivationEntries({
    envDir: options.root,
    prompt: options.prompt,
    promptVariable: venvPromptVariable(python.versionInfo, options.prompt),
    binName: paths.scripts,
  });
  const config = renderPyvenvCfg(python, options);

  const entries: TreeEntry[] = [];
  const dirs = new Set<string>();
  const addDirs = (rel: string): void => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ kind: 'dir', path: dir });
      }
    }
  };

  addDirs(paths.scripts);
  // The real binary, by absolute path: a link to a pyenv shim (a shell script) would make
  // sys.executable a script and sys.prefix the shim's directory.
  entries.push({ kind: 'symlink', path: `${paths.scripts}/python`, target: python.executable });
  const taken = new Set(activation.map((e) => e.path));
  for (const name of pythonAliases(python)) {
    const alias = `${paths.scripts}/${name}`;
    if (!taken.has(alias)) entries.push({ kind: 'symlink', path: alias, target: 'python' });
  }
  entries.push(...activation);

  addDirs('include');
  // venv creates its scheme's include directory from 3.11, when sysconfig gained the venv scheme.
  if (atLeast(python, 3, 11)) addDirs(paths.include);
  addDirs(paths.purelib);
  addDirs(paths.platlib);

  // venv links lib64 → lib on 64-bit POSIX except macOS (bpo-21197), and not over an existing
  // lib64 (bpo-21643): here, when the scheme itself puts a directory there (Fedora-style platlib).
  const lib64Used = [paths.purelib, paths.platlib, paths.include].some((p) => p.split('/')[0] === 'lib64');
  if (python.pointerBits === 64 && python.platform !== 'darwin' && !lib64Used) {
    entries.push({ kind: 'symlink', path: 'lib64', target: 'lib' });
  }

  entries.push({ kind: 'file', path: '.gitignore', content: VENV_GITIGNORE, mode: 0o644 });
  entries.push({ kind: 'file', path: 'pyvenv.cfg', content: config, mode: 0o644 });
  return entries;
}

/**
 * The environment's directories for `python`, from the probe's venv scheme. Throws a UserError
 * for an interpreter that cannot have a PEP 405 environment here.
 */
export function venvPaths(python: PythonInfo): VenvPaths {
  const which = `Python ${python.version} (${python.executable})`;
  if (!python.supportsVenv) {
    throw new UserError('ELAYOUT', `${which} does not support PEP 405 virtual environments`, {
      hint: 'use layout: classic (or auto) for this interpreter',
    });
  }
  if (python.platform === 'win32') {
    throw new UserError('ELAYOUT', `${which} is a Windows interpreter; envbuild lays out POSIX environments only`);
  }
  const { purelib, platlib, scripts, include } = python.venvScheme;
  if (scripts !== 'bin') {
    throw new UserError('ELAYOUT', `${which} puts scripts in "${scripts}", not "bin"; this layout is not supported`);
  }
  for (const [key, rel] of Object.entries({ purelib, platlib, include })) {
    const parts = rel.split('/');
    if (rel === '' || rel.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new UserError('ELAYOUT', `${which} reports the venv ${key} directory "${rel}", which is not inside the environment`);
    }
  }
  return { scripts, purelib, platlib, include };
}

/**
 * The text of pyvenv.cfg, in venv's format and key order (3.11+): `home`, `include-system-site-
 * packages` (always: when it is missing site.py includes the system packages), `version`,
 * `prompt`, `executable`, then the extra keys sorted. No `command` key: it would claim venv made
 * the environment and name a command that rebuilds it without envbuild's parts; venv wrote none
 * before 3.11, nor do virtualenv and uv, and nothing reads it.
 */
export function renderPyvenvCfg(python: PythonInfo, options: VenvLayoutOptions): string {
  for (const [what, value] of [['interpreter path', python.executable], ['prompt', options.prompt]] as const) {
    const control = findControlCharacter(value);
    if (control !== undefined) {
      throw new UserError('ELAYOUT', `the ${what} ${JSON.stringify(value)} contains the control character ${control}`);
    }
  }
  if (!python.executable.startsWith('/')) {
    throw new UserError('ELAYOUT', `interpreter path "${python.executable}" is not absolute`);
  }
  const lines: [string, string][] = [
    ['home', path.posix.dirname(python.executable)],
    ['include-system-site-packages', options.systemSitePackages ? 'true' : 'false'],
    // venv writes the numeric triple, not python_version(): 3.13.0, not 3.13.0rc1.
    ['version', python.versionInfo.join('.')],
    ['prompt', pythonStringRepr(options.prompt)],
    ['executable', python.executable],
  ];
  const extra = options.extraConfig ?? {};
  for (const key of Object.keys(extra).sort()) {
    lines.push([key, checkExtraEntry(key, extra[key]!)]);
  }
  return lines.map(([key, value]) => `${key} = ${value}\n`).join('');
}

function checkExtraEntry(key: string, value: string): string {
  if (!EXTRA_KEY.test(key)) {
    throw new UserError('ELAYOUT', `pyvenv.cfg key "${key}" is not a lower-case name of letters, digits, ".", "_" and "-"`);
  }
  if ((VENV_KEYS as readonly string[]).includes(key)) {
    throw new UserError('ELAYOUT', `pyvenv.cfg key "${key}" is written by the layout itself and cannot be overridden`);
  }
  const control = findControlCharacter(value);
  if (control !== undefined) {
    throw new UserError('ELAYOUT', `the value of pyvenv.cfg key "${key}" contains the control character ${control}`);
  }
  if (value !== value.trim()) {
    // site.py strips values: the value read back would differ from the one written.
    throw new UserError('ELAYOUT', `the value of pyvenv.cfg key "${key}" starts or ends with white space`);
  }
  return value;
}

/** `python`'s other names in bin/: pythonX, pythonX.Y and the binary's own name (venv's set). */
function pythonAliases(python: PythonInfo): string[] {
  const names = [`python${python.versionInfo[0]}`, `python${majorMinor(python)}`, path.posix.basename(python.executable)];
  return [...new Set(names)].filter((name) => name !== 'python');
}

function atLeast(python: PythonInfo, major: number, minor: number): boolean {
  const [ma, mi] = python.versionInfo;
  return ma > major || (ma === major && mi >= minor);
}

/**
 * Python's `repr()` of a str, as venv writes the prompt (`prompt = 'my app'`): single quotes
 * unless the text holds `'` and no `"`; backslash, the quote and non-printable characters escaped.
 */
export function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      out += cp < 0x100 ? `\\x${hex(cp, 2)}` : cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
    } else out += ch;
  }
  return out + quote;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
