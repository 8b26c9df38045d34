/**
 * Console and GUI entry points (`entry_points.txt`) and the scripts made from them, byte for
 * byte as pip makes them (its vendored distlib's template), so that an environment filled by
 * envbuild and one filled by pip hold the same files.
 */
import { UserError } from '../errors/user-error.js';

export interface ScriptEntryPoint {
  readonly name: string;
  readonly module: string;
  /** The attribute path after `:` (`main`, `cli.main`). */
  readonly attribute: string;
  readonly gui: boolean;
}

/** Sections and `name = value` lines, as importlib.metadata reads the file (`=` splits). */
function parseIni(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = sections.get(section[1]!.trim()) ?? [];
      sections.set(section[1]!.trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || current === undefined) continue;
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

// distlib's ENTRY_RE, which pip applies to `name = value`: the name is non-blank and does not
// start with `[`; the value is `module[:attr.attr]` with optional `[extras]`.
const VALUE = /^(\w+(?:\.\w+)*)(?::(\w+(?:\.\w+)*))?\s*(?:\[\s*[\w-]+(?:=\w+)?(?:,\s*\w+(?:=\w+)?)*\s*\])?$/;

/**
 * Refuses a script name that could write anywhere but `<scripts>/<name>`: pip's rule (no
 * blanks, not starting with `[`) plus no path separator, no `.`/`..`, no NUL. Checked for
 * every entry point before any file is written.
 */
export function checkScriptName(name: string, wheel: string): void {
  if (name === '' || /\s/.test(name) || name.startsWith('[') || name.includes('/') || name.includes('\\') || name.includes('\0') || name === '.' || name === '..') {
    throw new UserError('EWHEEL', `${wheel}: refusing entry point name ${JSON.stringify(name)}: a script name must be a plain file name`, {
      hint: 'the wheel is malformed or malicious; report it to its publisher',
    });
  }
}

/** The console_scripts and gui_scripts of `entry_points.txt`, validated. */
export function parseScriptEntryPoints(text: string, wheel: string): ScriptEntryPoint[] {
  const sections = parseIni(text);
  const out: ScriptEntryPoint[] = [];
  for (const [group, gui] of [['console_scripts', false], ['gui_scripts', true]] as const) {
    for (const [name, value] of sections.get(group) ?? []) {
      checkScriptName(name, wheel);
      const m = VALUE.exec(value);
      if (m === null) throw new UserError('EWHEEL', `${wheel}: invalid entry point "${name} = ${value}"`, { hint: 'expected module:function' });
      if (m[2] === undefined) {
        throw new UserError('EWHEEL', `${wheel}: invalid script entry point "${name} = ${value}": a callable suffix is required`, {
          hint: 'see https://packaging.python.org/specifications/entry-points/#use-for-scripts',
        });
      }
      out.push({ name, module: m[1]!, attribute: m[2], gui });
    }
  }
  return out;
}

/**
 * pip's special case: the versioned scripts baked into pip's and setuptools' wheels (`pip3.10`)
 * are replaced by ones for this interpreter (`pip`, `pip3`, `pip3.11`; `easy_install-3.11`).
 */
export function versionedScripts(points: readonly ScriptEntryPoint[], pythonVersion: string): ScriptEntryPoint[] {
  const major = pythonVersion.split('.')[0] ?? '';
  let out = points.filter((p) => p.gui || (p.name !== 'pip' && p.name !== 'easy_install'));
  const pip = points.find((p) => !p.gui && p.name === 'pip');
  const easy = points.find((p) => !p.gui && p.name === 'easy_install');
  if (pip !== undefined) {
    out = out.filter((p) => p.gui || !/^pip(\d+(\.\d+)?)?$/.test(p.name));
    out.push(pip, { ...pip, name: `pip${major}` }, { ...pip, name: `pip${pythonVersion}` });
  }
  if (easy !== undefined) {
    out = out.filter((p) => p.gui || !/^easy_install(-\d+\.\d+)?$/.test(p.name));
    out.push(easy, { ...easy, name: `easy_install-${pythonVersion}` });
  }
  return out;
}

/**
 * distlib's shebang: `#!<python>` when short enough for the kernel (127 bytes) and free of
 * spaces, else a `/bin/sh` line that re-executes the script with the interpreter.
 */
export function shebang(python: string): string {
  const quoted = python.includes(' ') ? `"${python}"` : python;
  if (!quoted.includes(' ') && Buffer.byteLength(quoted) + 3 <= 127) return `#!${quoted}\n`;
  return `#!/bin/sh\n'''exec' ${quoted} "$0" "$@"\n' '''`;
}

/** The script pip writes for an entry point. */
export function scriptText(point: ScriptEntryPoint, python: string): string {
  const importName = point.attribute.split('.')[0];
  return (
    `${shebang(python)}# -*- coding: utf-8 -*-\n` +
    `import re\nimport sys\nfrom ${point.module} import ${importName}\n` +
    `if __name__ == '__main__':\n` +
    `    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n` +
    `    sys.exit(${point.attribute}())\n`
  );
}

/** Rewrites a `#!python…` first line (`.data/scripts`) to the environment's interpreter; undefined if none. */
export function rewriteShebang(content: Buffer, python: string): Buffer | undefined {
  if (!content.subarray(0, 8).equals(Buffer.from('#!python'))) return undefined;
  const nl = content.indexOf(0x0a);
  const rest = nl < 0 ? Buffer.alloc(0) : content.subarray(nl + 1);
  return Buffer.concat([Buffer.from(shebang(python)), rest]);
}

/** Whether a `.data/scripts` file is one setuptools generated for an entry point (pip skips those). */
export function isEntryPointWrapper(fileName: string, names: ReadonlySet<string>): boolean {
  const lower = fileName.toLowerCase();
  const base = lower.endsWith('.exe') || lower.endsWith('.pya') ? fileName.slice(0, -4) : lower.endsWith('-script.py') ? fileName.slice(0, -10) : fileName;
  return names.has(base);
}
