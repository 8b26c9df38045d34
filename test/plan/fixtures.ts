/** Hand-built inputs of the pure planner (desired environment, state, observations): no disk. */
import { sha256 } from '../../src/layout/materialize.js';
import type { EntryDigest, Observed, TreeEntry } from '../../src/layout/tree.js';
import type { DesiredEnvironment, Observations } from '../../src/plan/types.js';
import { emptyState, type EnvironmentState, type StateFile } from '../../src/state/types.js';
import type { PythonInfo } from '../../src/python/interpreter.js';

export const ROOT = '/project/envs/app';
const cfg = (iso: string) => `home = /usr/bin\ninclude-system-site-packages = ${iso === 'system'}\nversion = 3.11.2\n`;

export function desired(over: Partial<{ version: string; executable: string; isolation: string; path: string; prompt: string; layout: 'venv' | 'classic' }> = {}): DesiredEnvironment {
  const isolation = over.isolation ?? 'full';
  const entries: TreeEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'symlink', path: 'bin/python', target: over.executable ?? '/usr/bin/python3.11' },
    { kind: 'file', path: 'pyvenv.cfg', content: cfg(isolation) },
  ];
  const digests: Record<string, EntryDigest> = {};
  for (const e of entries) {
    digests[e.path] =
      e.kind === 'dir' ? { kind: 'dir' } : e.kind === 'symlink' ? { kind: 'symlink', target: e.target } : { kind: 'file', sha256: sha256((e as { content: string }).content), mode: 0o644 };
  }
  return {
    name: 'app',
    path: over.path ?? ROOT,
    inputs: {
      python: { executable: over.executable ?? '/usr/bin/python3.11', version: over.version ?? '3.11.2' },
      layout: over.layout ?? 'venv',
      isolation,
      prompt: over.prompt ?? 'app',
    },
    entries,
    digests,
    notes: [],
    warnings: [],
    recipeEnv: {
      name: 'app',
      path: over.path ?? ROOT,
      python: `${over.path ?? ROOT}/bin/python`,
      base: BASE,
      layout: 'venv',
      isolation: 'full',
      sitePackages: `${over.path ?? ROOT}/lib/python3.11/site-packages`,
      bin: `${over.path ?? ROOT}/bin`,
    },
    parts: [],
  };
}

/** The planner never looks at the interpreter: any well-formed description will do. */
export const BASE: PythonInfo = {
  executable: '/usr/bin/python3.11',
  version: '3.11.2',
  versionInfo: [3, 11, 2],
  implementation: 'cpython',
  prefix: '/usr',
  basePrefix: '/usr',
  execPrefix: '/usr',
  baseExecPrefix: '/usr',
  stdlib: '/usr/lib/python3.11',
  platstdlib: '/usr/lib/python3.11',
  venvScheme: { purelib: 'lib/python3.11/site-packages', platlib: 'lib/python3.11/site-packages', scripts: 'bin', include: 'include/python3.11' },
  globalSitePackages: ['/usr/lib/python3/dist-packages'],
  userSite: null,
  sysPath: ['/usr/lib/python3.11'],
  soabi: 'cpython-311-x86_64-linux-gnu',
  extensionSuffixes: ['.cpython-311-x86_64-linux-gnu.so', '.abi3.so', '.so'],
  cacheTag: 'cpython-311',
  platform: 'linux',
  pointerBits: 64,
  supportsVenv: true,
};

export function recorded(d: DesiredEnvironment): EnvironmentState {
  return { path: d.path, inputs: d.inputs, entries: d.entries.map((e) => ({ path: e.path, digest: d.digests[e.path]! })), parts: {} };
}

export function stateWith(...envs: Array<[string, EnvironmentState]>): StateFile {
  return { ...emptyState('test'), environments: Object.fromEntries(envs) };
}

/** Disk exactly as `d` describes, with optional overrides per path. */
export function disk(d: DesiredEnvironment, override: Record<string, Observed> = {}, extraChildren: string[] = []): Observations {
  const entries: Record<string, Observed> = {};
  for (const e of d.entries) {
    const g = d.digests[e.path]!;
    entries[e.path] = g.kind === 'file' ? { kind: 'file', sha256: g.sha256, mode: g.mode, size: 1 } : g.kind === 'symlink' ? { kind: 'symlink', target: g.target } : { kind: 'dir' };
  }
  return { [d.path]: { children: ['bin', 'pyvenv.cfg', ...extraChildren], entries: { ...entries, ...override } } };
}

