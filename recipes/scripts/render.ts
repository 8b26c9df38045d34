/**
 * The text of each kind of script. Pure: the same inputs give the same bytes, so a re-apply
 * can tell an up-to-date script from a stale one by comparing content.
 */
import type { EntryPoint } from './entry-points.js';

/** Linux reads at most 127 bytes of a `#!` line on older kernels; distlib uses the same limit. */
const MAX_SHEBANG = 127;

/** POSIX shell single-quoting. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}

/**
 * The first line(s) making a Python script run with `python`: a plain `#!` line when the kernel
 * can take it, else pip's and distlib's `/bin/sh` trampoline (long paths, spaces).
 */
export function pythonShebang(python: string): string {
  const plain = `#!${python}`;
  if (Buffer.byteLength(plain) <= MAX_SHEBANG && !/\s/.test(python)) return `${plain}\n`;
  return `#!/bin/sh\n'''exec' ${shQuote(python)} "$0" "$@"\n' '''\n`;
}

/** A console (or GUI) script, as pip writes one: imports the entry point and exits with its result. */
export function renderConsoleScript(python: string, ep: EntryPoint, dist: string): string {
  const [head] = ep.attr.split('.');
  return (
    pythonShebang(python) +
    '# -*- coding: utf-8 -*-\n' +
    `# The ${ep.name} script of ${dist}, written by envbuild.\n` +
    'import re\n' +
    'import sys\n' +
    `from ${ep.module} import ${head as string}\n` +
    "if __name__ == '__main__':\n" +
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n" +
    `    sys.exit(${ep.attr}())\n`
  );
}

/** A script that is the environment's interpreter under another name (buildout's `interpreter`). */
export function renderInterpreter(python: string, envName: string): string {
  return `#!/bin/sh\n# The Python of environment ${envName}, written by envbuild.\nexec ${shQuote(python)} "$@"\n`;
}

export interface WrapperSpec {
  /** A shell command line, or an argv list (each word quoted). */
  readonly command?: string | readonly string[];
  /** Run `python -m module` with the environment's python instead of a command. */
  readonly module?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Absolute. */
  readonly cwd?: string;
}

/**
 * A wrapper: sets variables, puts the environment's bin first on PATH, changes directory, then
 * execs the command with the wrapper's own arguments appended.
 */
export function renderWrapper(name: string, spec: WrapperSpec, python: string, bin: string): string {
  const lines = ['#!/bin/sh', `# The ${name} wrapper, written by envbuild.`, `PATH=${shQuote(bin)}:"$PATH"`, 'export PATH'];
  for (const [key, value] of Object.entries(spec.env ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${key}=${shQuote(value)}`, `export ${key}`);
  }
  if (spec.cwd !== undefined) lines.push(`cd ${shQuote(spec.cwd)} || exit 1`);
  const args = (spec.args ?? []).map(shQuote);
  let head: string;
  if (spec.module !== undefined) head = [shQuote(python), '-m', shQuote(spec.module)].join(' ');
  else if (typeof spec.command === 'string') head = spec.command;
  else head = (spec.command ?? []).map(shQuote).join(' ');
  lines.push(`exec ${[head, ...args].join(' ')} "$@"`);
  return `${lines.join('\n')}\n`;
}
