import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/layout/materialize.js';
import type { EntryDigest, Observed, TreeEntry } from '../../src/layout/tree.js';
import { planEnvironments } from '../../src/plan/planner.js';
import type { DesiredEnvironment, Observations } from '../../src/plan/types.js';
import { emptyState, type EnvironmentState, type StateFile } from '../../src/state/types.js';
import type { PythonInfo } from '../../src/python/interpreter.js';

// The planner is pure: these tests build its three inputs by hand and never touch a disk.

const ROOT = '/project/envs/app';
const cfg = (iso: string) => `home = /usr/bin\ninclude-system-site-packages = ${iso === 'system'}\nversion = 3.11.2\n`;

function desired(over: Partial<{ version: string; executable: string; isolation: string; path: string; prompt: string; layout: 'venv' | 'classic' }> = {}): DesiredEnvironment {
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
const BASE: PythonInfo = {
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

function recorded(d: DesiredEnvironment): EnvironmentState {
  return { path: d.path, inputs: d.inputs, entries: d.entries.map((e) => ({ path: e.path, digest: d.digests[e.path]! })), parts: {} };
}

function stateWith(...envs: Array<[string, EnvironmentState]>): StateFile {
  return { ...emptyState('test'), environments: Object.fromEntries(envs) };
}

/** Disk exactly as `d` describes, with optional overrides per path. */
function disk(d: DesiredEnvironment, override: Record<string, Observed> = {}, extraChildren: string[] = []): Observations {
  const entries: Record<string, Observed> = {};
  for (const e of d.entries) {
    const g = d.digests[e.path]!;
    entries[e.path] = g.kind === 'file' ? { kind: 'file', sha256: g.sha256, mode: g.mode, size: 1 } : g.kind === 'symlink' ? { kind: 'symlink', target: g.target } : { kind: 'dir' };
  }
  return { [d.path]: { children: ['bin', 'pyvenv.cfg', ...extraChildren], entries: { ...entries, ...override } } };
}

describe('planner', () => {
  it('creates a new environment when nothing is recorded or on disk', () => {
    const d = desired();
    const plan = planEnvironments('/project/env.yaml', [d], emptyState('t'), {});
    expect(plan.environments[0]).toMatchObject({ action: 'create', reasons: ['new environment'], conflicts: [] });
    expect(plan.environments[0]!.writes).toHaveLength(3);
  });

  it('is a no-op when state and disk match the manifest', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d));
    expect(plan.environments[0]).toMatchObject({ action: 'no-op', reasons: [], writes: [], removals: [] });
  });

  it('replaces when the python version changes, naming both versions', () => {
    const old = desired();
    const d = desired({ version: '3.12.1', executable: '/usr/bin/python3.12' });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), disk(old));
    expect(plan.environments[0]).toMatchObject({ action: 'replace', reasons: ['python changed 3.11.2 → 3.12.1'] });
    expect(plan.environments[0]!.removals.map((r) => r.path)).toEqual(['bin/python', 'bin', 'pyvenv.cfg']); // the marker last
  });

  it('replaces when the interpreter moves but keeps its version', () => {
    const old = desired();
    const d = desired({ executable: '/opt/py/bin/python3.11' });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), disk(old));
    expect(plan.environments[0]!.reasons).toEqual(['python changed /usr/bin/python3.11 → /opt/py/bin/python3.11']);
  });

  it('replaces when the path changes, removing from the old root', () => {
    const old = desired();
    const d = desired({ path: '/project/envs/other' });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), disk(old));
    expect(plan.environments[0]).toMatchObject({ action: 'replace', removeFrom: ROOT, reasons: [`path changed ${ROOT} → /project/envs/other`] });
  });

  it('updates when isolation changes, rewriting only what differs', () => {
    const old = desired();
    const d = desired({ isolation: 'system' });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), disk(old));
    expect(plan.environments[0]).toMatchObject({ action: 'update', reasons: ['isolation changed full → system'] });
    expect(plan.environments[0]!.writes.map((w) => w.path)).toEqual(['pyvenv.cfg']);
  });

  it('repairs a deleted bin/python', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d, { 'bin/python': { kind: 'missing' } }));
    expect(plan.environments[0]).toMatchObject({ action: 'update', reasons: ['bin/python missing'] });
    expect(plan.environments[0]!.writes.map((w) => w.path)).toEqual(['bin/python']);
  });

  it('repairs an edited pyvenv.cfg', () => {
    const d = desired();
    const edited: Observed = { kind: 'file', sha256: sha256('home = /elsewhere\n'), mode: 0o644, size: 3 };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d, { 'pyvenv.cfg': edited }));
    expect(plan.environments[0]).toMatchObject({ action: 'update', reasons: ['pyvenv.cfg edited'] });
  });

  it('removes an environment dropped from the manifest, children first', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [], stateWith(['app', recorded(d)]), disk(d));
    expect(plan.environments[0]).toMatchObject({ action: 'remove', reasons: ['no longer in the manifest'] });
    expect(plan.environments[0]!.removals.map((r) => r.path)).toEqual(['bin/python', 'bin', 'pyvenv.cfg']); // the marker last
  });

  it('leaves environments outside --env alone, even when dropped from the manifest', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [], stateWith(['app', recorded(d)]), disk(d), { only: ['other'] });
    expect(plan.environments).toEqual([]);
  });

  it('refuses to build over a directory envbuild did not create', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], emptyState('t'), { [ROOT]: { children: ['notes.txt'], entries: {} } });
    expect(plan.environments[0]!.conflicts[0]).toMatch(/already exists and was not created by envbuild \(it holds notes.txt\)/);
  });

  it('adopts an unrecorded environment that matches exactly', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], emptyState('t'), disk(d));
    expect(plan.environments[0]).toMatchObject({ action: 'create', adopt: true, conflicts: [] });
  });

  it('reports a user file where envbuild wants to write as a conflict, not an overwrite', () => {
    const d = desired();
    const rec = recorded(d);
    const withoutCfg = { ...rec, entries: rec.entries.filter((e) => e.path !== 'pyvenv.cfg') };
    const userCfg: Observed = { kind: 'file', sha256: sha256('mine'), mode: 0o644, size: 4 };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', withoutCfg]), disk(d, { 'pyvenv.cfg': userCfg }));
    expect(plan.environments[0]!.conflicts).toEqual(['pyvenv.cfg exists and was not created by envbuild (edited); move it away']);
  });

  it('plans every recorded environment for removal on destroy', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d), { destroy: true });
    expect(plan.environments[0]).toMatchObject({ action: 'remove', reasons: ['destroy'] });
  });
});
