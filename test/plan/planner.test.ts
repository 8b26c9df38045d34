import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/layout/materialize.js';
import type { EntryDigest, Observed } from '../../src/layout/tree.js';
import { planEnvironments } from '../../src/plan/planner.js';
import { hasChanges, hasConflicts, type DesiredEnvironment, type EnvironmentPlan, type Plan } from '../../src/plan/types.js';
import { emptyState } from '../../src/state/types.js';
import { ROOT, desired, disk, recorded, stateWith } from './fixtures.js';

// The planner is pure: these tests build its three inputs by hand and never touch a disk.

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

/** `d` with a derived file (a classic environment's site.pyc) built from pyvenv.cfg. */
function withDerived(d: DesiredEnvironment): DesiredEnvironment {
  return { ...d, derived: { paths: ['site.pyc'], inputs: ['pyvenv.cfg'], build: async () => undefined } };
}
const SITE_PYC: EntryDigest = { kind: 'file', sha256: sha256('pyc'), mode: 0o644 };
const sitePycOnDisk: Observed = { kind: 'file', sha256: sha256('pyc'), mode: 0o644, size: 3 };

describe('planner: replacing, adopting and derived files', () => {
  it('adopts a replacement already moved into place, removing only what is left of the old one', () => {
    const old = desired();
    const oldRec = { ...recorded(old), entries: [...recorded(old).entries, { path: 'old.txt', digest: { kind: 'file' as const, sha256: 'x', mode: 0o644 } }] };
    const d = withDerived(desired({ version: '3.11.9' }));
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', oldRec]), disk(d));
    expect(plan.environments[0]).toMatchObject({
      action: 'replace',
      adopt: true,
      rebuild: true,
      removeFrom: ROOT,
      reasons: ['python changed 3.11.2 → 3.11.9', 'the new environment is already in place: adopting it'],
      writes: [],
    });
    expect(plan.environments[0]!.removals.map((r) => r.path)).toEqual(['old.txt']);
  });



  it('creates with a rebuild of derived files, and adopts an exact unrecorded one with a rebuild', () => {
    const d = withDerived(desired());
    expect(planEnvironments('/p/env.yaml', [d], emptyState('t'), {}).environments[0]).toMatchObject({ action: 'create', rebuild: true });
    expect(planEnvironments('/p/env.yaml', [d], emptyState('t'), disk(d)).environments[0]).toMatchObject({ action: 'create', adopt: true, rebuild: true });
    expect(planEnvironments('/p/env.yaml', [desired()], emptyState('t'), disk(d)).environments[0]).toMatchObject({ adopt: true, rebuild: false });
  });


  it('rebuilds derived files that are missing, unrecorded, edited, or whose inputs are rewritten', () => {
    const d = withDerived(desired());
    const rec = { ...recorded(d), entries: [...recorded(d).entries, { path: 'site.pyc', digest: SITE_PYC }] };
    const ok = disk(d, { 'site.pyc': sitePycOnDisk });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), ok).environments[0]).toMatchObject({ action: 'no-op', rebuild: false });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), disk(d)).environments[0]).toMatchObject({ action: 'update', rebuild: true, reasons: ['site.pyc missing'] });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), ok).environments[0]).toMatchObject({ action: 'update', rebuild: true, reasons: ['site.pyc not recorded'] });
    const edited = disk(d, { 'site.pyc': { ...sitePycOnDisk, sha256: sha256('other') } });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), edited).environments[0]).toMatchObject({ action: 'update', rebuild: true, reasons: ['site.pyc edited'] });
    const cfgGone = disk(d, { 'site.pyc': sitePycOnDisk, 'pyvenv.cfg': { kind: 'missing' } });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), cfgGone).environments[0]).toMatchObject({ rebuild: true, reasons: ['pyvenv.cfg missing'] });
    const pythonGone = disk(d, { 'site.pyc': sitePycOnDisk, 'bin/python': { kind: 'missing' } });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), pythonGone).environments[0]).toMatchObject({ rebuild: false, reasons: ['bin/python missing'] });
  });
});

describe('planner: updates', () => {
  it('names a prompt change and each allowlisted global package change', () => {
    const old = { ...desired(), inputs: { ...desired().inputs, globals: ['PyYAML==6.0', 'six==1.16.0', 'dbus-python==1.3.2'] } };
    const d = { ...desired({ prompt: 'new' }), inputs: { ...desired({ prompt: 'new' }).inputs, globals: ['PyYAML==6.1', 'six==1.16.0', 'apt==2.6'] } };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), disk(old));
    expect(plan.environments[0]!.reasons).toEqual(['prompt changed app → new', 'allowlisted global packages changed: PyYAML 6.0 → 6.1, + apt 2.6, - dbus-python 1.3.2']);
    expect(plan.environments[0]!.writes).toEqual([]);
    expect(plan.environments[0]!.action).toBe('update');
    const none = { ...d, inputs: { ...d.inputs, globals: undefined } } as unknown as DesiredEnvironment;
    expect(planEnvironments('/p/env.yaml', [none], stateWith(['app', recorded(d)]), disk(d)).environments[0]!.reasons).toEqual([
      'allowlisted global packages changed: - PyYAML 6.1, - six 1.16.0, - apt 2.6',
    ]);
  });

  it('explains a rewrite with no input change as generated content that changed', () => {
    const d = desired();
    const rec = recorded(d);
    const olderCfg: EntryDigest = { kind: 'file', sha256: sha256('older'), mode: 0o644 };
    const recOld = { ...rec, entries: rec.entries.map((e) => (e.path === 'pyvenv.cfg' ? { ...e, digest: olderCfg } : e)) };
    const onDisk = disk(d, { 'pyvenv.cfg': { kind: 'file', sha256: sha256('older'), mode: 0o644, size: 5 } });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recOld]), onDisk);
    expect(plan.environments[0]).toMatchObject({ action: 'update', reasons: ['generated content changed: pyvenv.cfg'] });
    expect(plan.environments[0]!.writes.map((w) => w.path)).toEqual(['pyvenv.cfg']);
    // With an input change, that change is the reason.
    const iso = desired({ isolation: 'system' });
    expect(planEnvironments('/p/env.yaml', [iso], stateWith(['app', rec]), disk(d)).environments[0]!.reasons).toEqual(['isolation changed full → system']);
  });

  it('refreshes outdated recorded digests when the disk already matches', () => {
    const d = desired();
    const rec = recorded(d);
    const recOld = { ...rec, entries: rec.entries.map((e) => (e.path === 'pyvenv.cfg' ? { ...e, digest: { kind: 'file' as const, sha256: 'old', mode: 0o644 } } : e)) };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recOld]), disk(d));
    expect(plan.environments[0]).toMatchObject({ action: 'update', reasons: ['state records outdated digests'], writes: [], removals: [] });
    const unrecorded = { ...rec, entries: rec.entries.filter((e) => e.path !== 'bin') };
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', unrecorded]), disk(d)).environments[0]).toMatchObject({ action: 'update', reasons: ['state records outdated digests'] });
  });

  it('removes recorded entries no longer generated, and shortens long drift', () => {
    const d = desired();
    const rec = recorded(d);
    const extra = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((p) => ({ path: `old/${p}`, digest: { kind: 'dir' as const } }));
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', { ...rec, entries: [...rec.entries, ...extra] }]), disk(d));
    expect(plan.environments[0]!.removals.map((r) => r.path)).toEqual(['old/g', 'old/f', 'old/e', 'old/d', 'old/c', 'old/b', 'old/a']);
    expect(plan.environments[0]!.reasons).toEqual([
      'old/g no longer generated',
      'old/f no longer generated',
      'old/e no longer generated',
      'old/d no longer generated',
      'old/c no longer generated',
      'and 2 more changes on disk',
    ]);
    const six = planEnvironments('/p/env.yaml', [d], stateWith(['app', { ...rec, entries: [...rec.entries, ...extra.slice(1)] }]), disk(d));
    expect(six.environments[0]!.reasons).toHaveLength(6);
    expect(six.environments[0]!.reasons[5]).toBe('old/b no longer generated');
  });

  it('reports a changed recorded entry as drift with how it changed', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d, { 'bin/python': { kind: 'symlink', target: '/elsewhere' } }));
    expect(plan.environments[0]!.reasons).toEqual([expect.stringMatching(/^bin\/python /)]);
    expect(plan.environments[0]!.conflicts).toEqual([]);
  });

  it('plans environments in manifest order, then removals by name, and only the selected', () => {
    const a = { ...desired(), name: 'b-env' };
    const gone = recorded(desired({ path: '/project/envs/z' }));
    const plan = planEnvironments('/p/env.yaml', [a], stateWith(['zz', gone], ['aa', gone]), {});
    expect(plan.environments.map((e) => `${e.name}:${e.action}`)).toEqual(['b-env:create', 'aa:remove', 'zz:remove']);
    expect(plan.manifest).toBe('/p/env.yaml');
    expect(planEnvironments('/p/env.yaml', [a], stateWith(['zz', gone]), {}, { only: ['zz'] }).environments.map((e) => e.name)).toEqual(['zz']);
  });
});

describe('plan summaries', () => {
  const plan = (envs: Array<Partial<EnvironmentPlan>>): Plan => ({ manifest: 'm', environments: envs.map((e) => ({ action: 'no-op', parts: [], conflicts: [], ...e }) as EnvironmentPlan) });
  it('has changes when an environment or a part changes', () => {
    expect(hasChanges(plan([{}]))).toBe(false);
    expect(hasChanges(plan([{}, { action: 'update' }]))).toBe(true);
    expect(hasChanges(plan([{ parts: [{ name: 'p', recipe: 'r', action: 'no-op', reasons: [] }] }]))).toBe(false);
    expect(hasChanges(plan([{ parts: [{ name: 'p', recipe: 'r', action: 'no-op', reasons: [] }, { name: 'q', recipe: 'r', action: 'create', reasons: [] }] }]))).toBe(true);
  });
  it('has conflicts when any environment has one', () => {
    expect(hasConflicts(plan([{}, {}]))).toBe(false);
    expect(hasConflicts(plan([{}, { conflicts: ['x'] }]))).toBe(true);
  });
});
