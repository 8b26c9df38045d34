/**
 * The wheelhouse the recipe tests install from (no index is reachable here): small pure-Python
 * distributions with dependencies, a marker and console scripts, tagged for Python 2 and 3.
 *
 *   alpha 1.0 → beta               alpha 2.0 → beta, delta, gamma (on Python 2 only)
 *   epsilon 1.0 → beta             usesix 1.0 → six>=1.10 (a Debian global, for cherry-pick)
 *   beta, gamma, delta 1.0         tool 1.0: console scripts tool-hello and tool-env
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildWheel } from './wheel.js';

const TAG = 'py2.py3-none-any';

const cli = (name: string, version: string) =>
  `from __future__ import print_function\nVERSION = ${JSON.stringify(version)}\ndef main():\n    print(${JSON.stringify(`${name} ${version}`)})\n`;

/** Writes the wheels into `dir` and returns it. */
export async function buildTestWheelhouse(dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const scripts = (name: string) => ({ console_scripts: { [name]: `${name}:main` } });
  await buildWheel(dir, { name: 'alpha', version: '1.0', tag: TAG, modules: { 'alpha/__init__.py': cli('alpha', '1.0') }, requires: ['beta>=1'], entryPoints: scripts('alpha') });
  await buildWheel(dir, {
    name: 'alpha',
    version: '2.0',
    tag: TAG,
    modules: { 'alpha/__init__.py': cli('alpha', '2.0') },
    requires: ['beta>=1', 'delta', 'gamma; python_version < "3"'],
    entryPoints: scripts('alpha'),
  });
  for (const name of ['beta', 'gamma', 'delta']) {
    await buildWheel(dir, { name, version: '1.0', tag: TAG, modules: { [`${name}.py`]: `NAME = ${JSON.stringify(name)}\n` } });
  }
  await buildWheel(dir, { name: 'epsilon', version: '1.0', tag: TAG, modules: { 'epsilon.py': 'E = 1\n' }, requires: ['beta'] });
  await buildWheel(dir, { name: 'usesix', version: '1.0', tag: TAG, modules: { 'usesix.py': 'import six\n' }, requires: ['six>=1.10'] });
  await buildWheel(dir, {
    name: 'tool',
    version: '1.0',
    tag: TAG,
    modules: {
      'tool/__init__.py': '',
      'tool/cli.py':
        'from __future__ import print_function\nimport os, sys\ndef hello():\n    print("hello from", sys.executable, " ".join(sys.argv[1:]))\ndef env():\n    print(os.environ.get("TOOL_MODE", "unset"))\n    return 3\n',
      'tool/__main__.py': 'from __future__ import print_function\nimport os, sys\nprint("tool module", os.environ.get("TOOL_MODE", "unset"), " ".join(sys.argv[1:]))\n',
    },
    entryPoints: { console_scripts: { 'tool-hello': 'tool.cli:hello', 'tool-env': 'tool.cli:env' } },
  });
  return dir;
}

/** A wheelhouse with only `alpha 9.0`, to prove pip's configuration does not leak in. */
export async function buildDecoyWheelhouse(dir: string): Promise<string> {
  await buildWheel(dir, { name: 'alpha', version: '9.0', tag: TAG, modules: { 'alpha/__init__.py': cli('alpha', '9.0') }, requires: ['beta'] });
  return dir;
}

/** Directories holding a setuptools wheel (bundled with the interpreter or Debian's), if any. */
export function localSetuptoolsWheel(stdlib: string): string | undefined {
  for (const dir of [path.join(stdlib, 'ensurepip', '_bundled'), '/usr/share/python-wheels']) {
    try {
      const hit = fs.readdirSync(dir).find((f) => /^setuptools-(6[4-9]|[7-9]\d)\..*-py3-none-any\.whl$/.test(f));
      if (hit) return path.join(dir, hit);
    } catch {
      // absent
    }
  }
  return undefined;
}
