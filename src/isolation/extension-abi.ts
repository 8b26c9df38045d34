import path from 'node:path';
import type { PythonInfo } from '../python/interpreter.js';

/**
 * Extension modules carry the interpreter they were built for in their name
 * (`apt_pkg.cpython-311-x86_64-linux-gnu.so`). Debian's dist-packages is shared by every 3.x, so
 * an allowlist resolved for 3.12 can reach a module that only loads on 3.11: refuse it.
 */

/** Tags naming an interpreter ABI; other dotted `.so` names (`libfoo.3.21.so` in `pkg.libs/`) are not modules. */
const INTERPRETER_TAG = /^[A-Za-z_][A-Za-z0-9_]*(\.(?:cpython|pypy|graalpy|pp\d)[^./]*\.(?:so|pyd))$/;

/** The ABI suffix of an extension module file name, e.g. `.cpython-311-x86_64-linux-gnu.so`; null for other files. */
export function abiSuffixOf(fileName: string): string | null {
  return INTERPRETER_TAG.exec(fileName)?.[1] ?? null;
}

/** Whether the target interpreter loads an extension with this file name (untagged and abi3 names always do). */
export function extensionLoads(fileName: string, python: Pick<PythonInfo, 'extensionSuffixes'>): boolean {
  const suffix = abiSuffixOf(fileName);
  return suffix === null || python.extensionSuffixes.includes(suffix);
}

export interface ForeignExtension {
  /** Path relative to the site directory. */
  readonly file: string;
  readonly suffix: string;
}

/**
 * Extension modules among `files` (relative paths) that the target cannot load and that have no
 * sibling built for it: Debian sometimes ships `_x.cpython-311-….so` next to `_x.cpython-312-….so`
 * during a transition, and then the module works.
 */
export function foreignExtensions(
  files: readonly string[],
  python: Pick<PythonInfo, 'extensionSuffixes'>,
): ForeignExtension[] {
  const loadable = new Set<string>();
  const foreign: ForeignExtension[] = [];
  for (const f of files) {
    const base = path.posix.basename(f);
    const suffix = abiSuffixOf(base);
    if (suffix === null) {
      const plain = /^([A-Za-z_][A-Za-z0-9_]*)\.(?:abi3\.)?(?:so|pyd)$/.exec(base);
      if (plain) loadable.add(`${path.posix.dirname(f)}/${plain[1] ?? ''}`);
      continue;
    }
    const key = `${path.posix.dirname(f)}/${base.slice(0, base.length - suffix.length)}`;
    if (python.extensionSuffixes.includes(suffix)) loadable.add(key);
    else foreign.push({ file: f, suffix });
  }
  return foreign
    .filter((x) => {
      const base = path.posix.basename(x.file);
      return !loadable.has(`${path.posix.dirname(x.file)}/${base.slice(0, base.length - x.suffix.length)}`);
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
