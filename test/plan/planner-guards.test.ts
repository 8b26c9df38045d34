/**
 * What the planner refuses, forgets or moves aside: removal confirmed by the marker id and the
 * project, writes through links or into another manifest's environment, a directory in the way
 * (described as it really is), and a project that moved. Pure: hand-built inputs, no disk.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/layout/materialize.js';
import type { Observed } from '../../src/layout/tree.js';
import { planEnvironments, recordedEntries, type PlanOptions } from '../../src/plan/planner.js';
import { hasChanges, type DesiredEnvironment, type EnvironmentPlan, type Observations, type Plan } from '../../src/plan/types.js';
import { emptyState, type EnvironmentState } from '../../src/state/types.js';
import { ROOT, desired, disk, recorded, stateWith } from './fixtures.js';

const derivedOf = (d: DesiredEnvironment, paths = ['site.pyc']): DesiredEnvironment => ({ ...d, derived: { paths, inputs: ['pyvenv.cfg'], build: async () => undefined } });
const PYC: Observed = { kind: 'file', sha256: sha256('pyc'), mode: 0o644, size: 3 };

const ID = 'a'.repeat(32);
const OTHER_ID = 'b'.repeat(32);
const OUTSIDE = '/elsewhere/app';

/** Disk as `d` describes, its marker carrying `marker`. */
function marked(d: DesiredEnvironment, marker: string | null, override: Record<string, Observed> = {}, extra: string[] = []): Observations {
  const obs = disk(d, override, extra);
  return { [d.path]: { ...obs[d.path]!, marker } };
}

const withId = (rec: EnvironmentState, id = ID): EnvironmentState => ({ ...rec, id });

/** Plan the removal of `rec` (dropped from the manifest) as `app`. */
function removal(rec: EnvironmentState, observed: Observations, options: PlanOptions = {}): EnvironmentPlan {
  return planEnvironments('/project/env.yaml', [], stateWith(['app', rec]), observed, options).environments[0]!;
}

describe('planner: removal is confirmed by the disk', () => {
  it('removes a recorded root that carries the recorded id, marker last', () => {
    const d = desired({ path: OUTSIDE });
    const plan = removal(withId(recorded(d)), marked(d, ID), { project: '/project', trusted: true });
    expect(plan).toMatchObject({ action: 'remove', removeFrom: OUTSIDE, conflicts: [], reasons: ['no longer in the manifest'], notes: [], warnings: [], parts: [], writes: [], adopt: false, rebuild: false });
    expect(plan.forget).toBeUndefined();
    expect(plan.removals.map((r) => r.path)).toEqual(['bin/python', 'bin', 'pyvenv.cfg']);
  });

  it('forgets, without touching, a root that carries another id, and says which', () => {
    const d = desired();
    const plan = removal(withId(recorded(d)), marked(d, OTHER_ID), { project: '/project' });
    expect(plan).toMatchObject({
      action: 'remove',
      removals: [],
      conflicts: [],
      forget: `not removed: it does not carry the id envbuild recorded for it (envbuild-id ${ID} in pyvenv.cfg; it carries ${OTHER_ID}); envbuild forgets it`,
    });
  });

  it('forgets a root that carries no id at all, naming the marker it should be in', () => {
    const d = desired();
    const plan = removal(withId(recorded(d)), marked(d, null), { project: '/project' });
    expect(plan.forget).toBe(`not removed: it does not carry the id envbuild recorded for it (envbuild-id ${ID} in pyvenv.cfg); envbuild forgets it`);
    expect(plan.removals).toEqual([]);
    const noMarker = { ...withId(recorded(d)), entries: recorded(d).entries.filter((e) => e.path !== 'pyvenv.cfg') };
    expect(removal(noMarker, marked(d, null), { project: '/project' }).forget).toBe(
      `not removed: it does not carry the id envbuild recorded for it (envbuild-id ${ID} in its marker); envbuild forgets it`,
    );
  });

  it('removes a version-1 record (no id) inside the project, and forgets one outside it', () => {
    const inside = desired();
    expect(removal(recorded(inside), marked(inside, null), { project: '/project' })).toMatchObject({ removals: [expect.anything(), expect.anything(), expect.anything()] });
    expect(removal(recorded(inside), marked(inside, null), { project: ROOT })).toMatchObject({ conflicts: [], removals: [expect.anything(), expect.anything(), expect.anything()] }); // the root is the project itself
    const outside = desired({ path: OUTSIDE });
    const plan = removal(recorded(outside), marked(outside, null), { project: '/project', trusted: true });
    expect(plan).toMatchObject({ removals: [], forget: 'not removed: it was recorded by an earlier envbuild without an id, and is outside the project; envbuild forgets it' });
    // A sibling whose name merely starts with the project's is outside it.
    expect(removal(recorded(inside), marked(inside, null), { project: '/project/env', trusted: true }).forget).toMatch(/without an id, and is outside the project/);
    // No project known: nothing is inside one.
    expect(removal(recorded(inside), marked(inside, null), { trusted: true }).forget).toMatch(/without an id, and is outside the project/);
  });

  it('refuses to remove a root outside the project that nothing vouches for', () => {
    const d = desired({ path: OUTSIDE });
    const plan = removal(withId(recorded(d)), marked(d, ID), { project: '/project' });
    expect(plan.conflicts).toEqual([
      `refusing to remove ${OUTSIDE}: it is outside the project, the manifest does not declare it, and the state that names it is not signed by this user's key; if it is yours, remove it by hand (envbuild then forgets it)`,
    ]);
    expect(plan.forget).toBeUndefined();
    // destroy declares nothing, even what the manifest still lists.
    const destroyed = planEnvironments('/project/env.yaml', [d], stateWith(['app', withId(recorded(d))]), marked(d, ID), { project: '/project', destroy: true });
    expect(destroyed.environments[0]!.conflicts).toHaveLength(1);
  });

  it('lets the manifest vouch for a root outside the project that it declares', () => {
    const old = desired({ path: OUTSIDE });
    const d = desired({ path: OUTSIDE, executable: '/opt/py/bin/python3.11' });
    const plan = planEnvironments('/project/env.yaml', [d], stateWith(['app', withId(recorded(old))]), marked(old, ID), { project: '/project' }).environments[0]!;
    expect(plan).toMatchObject({ action: 'replace', conflicts: [] });
    expect(plan.removals).toHaveLength(3);
  });

  it('removes nothing, and asks nothing, where the root is absent or empty', () => {
    const d = desired({ path: OUTSIDE });
    for (const observed of [{}, { [OUTSIDE]: { children: [], entries: {} } }] as Observations[]) {
      const plan = removal(withId(recorded(d)), observed, { project: '/project' });
      expect(plan).toMatchObject({ action: 'remove', conflicts: [] });
      expect(plan.forget).toBeUndefined();
      expect(plan.removals).toHaveLength(3);
    }
  });

  it('a replacement in place over a root with another id is a conflict; one elsewhere forgets the old root', () => {
    const old = desired();
    const d = desired({ version: '3.11.9' });
    const here = planEnvironments('/project/env.yaml', [d], stateWith(['app', withId(recorded(old))]), marked(old, OTHER_ID), { project: '/project' }).environments[0]!;
    expect(here.conflicts).toEqual([
      `${ROOT} is not the environment envbuild recorded: it does not carry the id envbuild recorded for it (envbuild-id ${ID} in pyvenv.cfg; it carries ${OTHER_ID}); move it away, or apply --replace-foreign to move it aside`,
    ]);
    const moved = desired({ path: '/project/envs/new' });
    const there = planEnvironments('/project/env.yaml', [moved], stateWith(['app', withId(recorded(old))]), marked(old, OTHER_ID), { project: '/project' }).environments[0]!;
    expect(there).toMatchObject({ action: 'replace', conflicts: [], removals: [], writes: moved.entries });
    expect(there.forget).toMatch(/^not removed: it does not carry the id/);
  });
});

describe('planner: where an environment is written', () => {
  const at = { file: '/project/env.yaml', line: 3, col: 5 };

  it('refuses a path through a symbolic link in the project, located at the environment', () => {
    const d = { ...desired(), at };
    const observed: Observations = { [ROOT]: { children: null, entries: {}, linked: { path: '/project/envs', target: '/mnt/big' } } };
    expect(planEnvironments('/project/env.yaml', [d], emptyState('t'), observed).environments[0]!.conflicts).toEqual([
      `/project/env.yaml:3:5: the path of environment app (${ROOT}) leads through the symbolic link /project/envs -> /mnt/big; envbuild does not write through links inside the project: remove the link, or write the real location as an absolute path`,
    ]);
  });

  it("refuses another manifest's environment, and drops a planned backup with it", () => {
    const d = desired();
    const owned = { ownedByOthers: { [ROOT]: '/project/other.yaml' } };
    expect(planEnvironments('/project/env.yaml', [d], emptyState('t'), {}, owned).environments[0]!.conflicts).toEqual([
      `${ROOT} is an environment of the manifest /project/other.yaml beside this one; a manifest never acts on another's environments: destroy it there, or choose another path`,
    ]);
    const inTheWay: Observations = { [ROOT]: { children: ['notes.txt'], entries: {} } };
    const plan = planEnvironments('/project/env.yaml', [{ ...d, at }], emptyState('t'), inTheWay, { ...owned, replaceForeign: { stamp: 'S' } }).environments[0]!;
    expect(plan.backup).toBeUndefined();
    expect(plan.conflicts).toEqual([expect.stringMatching(/^\/project\/env\.yaml:3:5: \/project\/envs\/app is an environment of the manifest/)]);
    // Another manifest's environment elsewhere is no concern.
    expect(planEnvironments('/project/env.yaml', [d], emptyState('t'), {}, { ownedByOthers: { '/x': 'y' } }).environments[0]!.conflicts).toEqual([]);
  });
});

describe('planner: a directory in the way', () => {
  const conflictOf = (observed: Observations, options: PlanOptions = {}, d = desired()) =>
    planEnvironments('/project/env.yaml', [d], emptyState('t'), observed, options).environments[0]!;
  const holds = (children: string[], entries: Record<string, Observed> = {}, marker?: string) => ({
    [ROOT]: { children, entries, ...(marker ? { marker } : {}) },
  });

  it('describes what it holds: a file, one entry, several, many', () => {
    const msg = (observed: Observations) => conflictOf(observed).conflicts[0];
    const lead = `${ROOT} already exists and was not created by envbuild`;
    const tail = '; move it away, choose another path, or apply --replace-foreign to move it aside';
    expect(msg(holds(['(a file)']))).toBe(`${lead} (it is a file)${tail}`);
    expect(msg(holds(['notes.txt']))).toBe(`${lead} (it holds notes.txt)${tail}`);
    expect(msg(holds(['a', 'b']))).toBe(`${lead} (it holds 2 entries: a, b)${tail}`);
    expect(msg(holds(['a', 'b', 'c', 'd']))).toBe(`${lead} (it holds 4 entries: a, b, c, d)${tail}`);
    expect(msg(holds(['a', 'b', 'c', 'd', 'e']))).toBe(`${lead} (it holds 5 entries: a, b, c, d, …)${tail}`);
    expect(conflictOf(holds(['notes.txt']))).toMatchObject({ action: 'create', reasons: ['new environment'], adopt: false });
  });

  it('names what is not part of the environment, and what differs from it (not what is missing)', () => {
    const d = desired();
    const edited: Observed = { kind: 'file', sha256: sha256('mine'), mode: 0o644, size: 4 };
    const observed = disk(d, { 'pyvenv.cfg': edited, 'bin/python': { kind: 'missing' } }, ['notes.txt']);
    expect(conflictOf(observed).conflicts[0]).toBe(
      `${ROOT} already exists and was not created by envbuild (it holds 3 entries: bin, pyvenv.cfg, notes.txt; not part of the environment: notes.txt; different from what envbuild writes: pyvenv.cfg); move it away, choose another path, or apply --replace-foreign to move it aside`,
    );
    // Nothing of the environment in it: the holdings are said once.
    expect(conflictOf(holds(['x', 'y'])).conflicts[0]).toMatch(/\(it holds 2 entries: x, y\);/);
  });

  it('never takes over an environment envbuild made for another project', () => {
    const d = desired({ path: OUTSIDE });
    const exact = (marker: string | null) => marked(d, marker);
    expect(conflictOf(exact(ID), { project: '/project' }, d).conflicts[0]).toBe(
      `${OUTSIDE} already exists and was not created by envbuild (it holds 2 entries: bin, pyvenv.cfg; it is an environment envbuild created for another project); move it away, choose another path, or apply --replace-foreign to move it aside`,
    );
    // Without an id, or inside the project, or with no project known, an exact match is adopted.
    expect(conflictOf(exact(null), { project: '/project' }, d)).toMatchObject({ adopt: true, conflicts: [] });
    const inside = desired();
    expect(conflictOf(marked(inside, ID), { project: '/project' }, inside)).toMatchObject({ adopt: true, conflicts: [] });
    expect(conflictOf(exact(ID), {}, d)).toMatchObject({ adopt: true, conflicts: [] });
  });

  it('--replace-foreign moves it aside to a stamped backup beside it, and writes the environment', () => {
    const d = desired();
    const plan = conflictOf(holds(['notes.txt']), { replaceForeign: { stamp: '20260101T000000' } });
    const backup = '/project/envs/.app.envbuild-backup-20260101T000000';
    expect(plan).toMatchObject({
      action: 'create',
      conflicts: [],
      backup,
      writes: d.entries,
      reasons: [`${ROOT} was not created by envbuild (it holds notes.txt): it is moved aside to ${backup}`],
    });
    // Never through a link: that stays a conflict.
    const linked: Observations = { [ROOT]: { children: ['notes.txt'], entries: {}, linked: { path: '/project/envs', target: '/mnt' } } };
    const refused = conflictOf(linked, { replaceForeign: { stamp: 'S' } });
    expect(refused.backup).toBeUndefined();
    expect(refused.conflicts).toHaveLength(2);
    expect(refused.conflicts[0]).toMatch(/already exists and was not created by envbuild/);
  });

  it('a replacement moving to a path held by something else keeps its reasons and conflicts', () => {
    const old = desired();
    const d = desired({ path: '/project/envs/new' });
    const observed: Observations = { ...disk(old), '/project/envs/new': { children: ['notes.txt'], entries: {} } };
    const plan = planEnvironments('/project/env.yaml', [d], stateWith(['app', recorded(old)]), observed, { project: '/project' }).environments[0]!;
    expect(plan).toMatchObject({ action: 'replace', reasons: [`path changed ${ROOT} → /project/envs/new`] });
    expect(plan.conflicts).toEqual([
      '/project/envs/new already exists and was not created by envbuild (it holds notes.txt); move it away, choose another path, or apply --replace-foreign to move it aside',
    ]);
    // An empty directory there is no obstacle.
    const empty: Observations = { ...disk(old), '/project/envs/new': { children: [], entries: {} } };
    expect(planEnvironments('/project/env.yaml', [d], stateWith(['app', recorded(old)]), empty, { project: '/project' }).environments[0]).toMatchObject({ conflicts: [], writes: d.entries });
  });
});

describe('planner: replacing', () => {
  it('rebuilds in place when the project moved, and says why', () => {
    const d = desired();
    const plan = planEnvironments('/project/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d), { movedFrom: '/old/project' }).environments[0]!;
    expect(plan).toMatchObject({
      action: 'replace',
      reasons: ['the project moved from /old/project: rebuilt in place, because a virtual environment records its own path', 'the new environment is already in place: adopting it'],
      adopt: true,
      removals: [],
    });
    // A changed path is reason enough on its own.
    const elsewhere = desired({ path: '/project/envs/new' });
    expect(planEnvironments('/project/env.yaml', [elsewhere], stateWith(['app', recorded(d)]), disk(d), { movedFrom: '/old/project' }).environments[0]!.reasons).toEqual([
      `path changed ${ROOT} → /project/envs/new`,
    ]);
  });

  it('replaces on a layout change, naming both layouts', () => {
    const old = desired();
    const d = desired({ layout: 'classic' });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), {}).environments[0]!;
    expect(plan).toMatchObject({ action: 'replace', reasons: ['layout changed venv → classic'], writes: d.entries, adopt: false, rebuild: false });
  });

  it('adopting a new environment already moved to a new path removes every old entry', () => {
    const old = desired();
    const d = desired({ path: '/project/envs/new' });
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), { ...disk(d), [ROOT]: { children: ['bin'], entries: {} } }).environments[0]!;
    expect(plan).toMatchObject({ action: 'replace', adopt: true, removeFrom: ROOT, writes: [], rebuild: false });
    expect(plan.removals.map((r) => r.path)).toEqual(['bin/python', 'bin', 'pyvenv.cfg']);
  });

  it('does not adopt an empty or differing target: it writes the new environment', () => {
    const old = desired();
    const d = desired({ version: '3.11.9' });
    const empty = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), { [ROOT]: { children: [], entries: {} } }).environments[0]!;
    expect(empty).toMatchObject({ action: 'replace', adopt: false, writes: d.entries });
    const extra = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), disk(d, {}, ['notes.txt'])).environments[0]!;
    expect(extra).toMatchObject({ adopt: false, writes: d.entries, reasons: ['python changed 3.11.2 → 3.11.9'] });
  });
});

describe('planner: selection and summaries', () => {
  it('destroy with --env removes only the selected environments', () => {
    const a = recorded(desired());
    const b = recorded(desired({ path: '/project/envs/b' }));
    const plan = planEnvironments('/p/env.yaml', [desired()], stateWith(['app', a], ['b', b]), {}, { destroy: true, only: ['b'] });
    expect(plan.environments.map((e) => `${e.name}:${e.action}:${e.reasons.join()}`)).toEqual(['b:remove:destroy']);
  });

  it('records the digest of every entry', () => {
    const d = desired();
    expect(recordedEntries(d)).toEqual(recorded(d).entries);
  });

  it('has changes when the state must be rewritten or a lock written', () => {
    const plan = (over: Partial<Plan>, env: Partial<EnvironmentPlan> = {}): Plan => ({
      manifest: 'm',
      environments: [{ action: 'no-op', parts: [], conflicts: [], ...env } as EnvironmentPlan],
      ...over,
    });
    expect(hasChanges(plan({ stateRewrite: true }))).toBe(true);
    expect(hasChanges(plan({ stateRewrite: false }))).toBe(false);
    expect(hasChanges(plan({}, { lock: { file: '/l', write: true, changes: [], problems: [] } }))).toBe(true);
    expect(hasChanges(plan({}, { lock: { file: '/l', write: false, changes: [], problems: ['x'] } }))).toBe(false);
  });
});

describe('planner: creating, adopting and drift, case by case', () => {
  it('plans only the wanted environment when it is recorded', () => {
    const d = desired();
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(d)]), disk(d));
    expect(plan.environments.map((e) => `${e.name}:${e.action}`)).toEqual(['app:no-op']);
  });

  it('creates into an empty directory, rebuilding derived files only when there are some', () => {
    const empty: Observations = { [ROOT]: { children: [], entries: {} } };
    expect(planEnvironments('/p/env.yaml', [desired()], emptyState('t'), empty).environments[0]).toMatchObject({
      action: 'create',
      reasons: ['new environment'],
      conflicts: [],
      adopt: false,
      rebuild: false,
    });
    expect(planEnvironments('/p/env.yaml', [derivedOf(desired())], emptyState('t'), empty).environments[0]).toMatchObject({ rebuild: true });
  });

  it('adopts only what matches exactly: an extra file, or one differing entry, is in the way', () => {
    const d = desired();
    expect(planEnvironments('/p/env.yaml', [d], emptyState('t'), disk(d)).environments[0]).toMatchObject({
      adopt: true,
      reasons: ['found on disk exactly as the manifest describes it: adopting it'],
      writes: [],
    });
    const extra = planEnvironments('/p/env.yaml', [d], emptyState('t'), disk(d, {}, ['notes.txt'])).environments[0]!;
    expect(extra).toMatchObject({ adopt: false, conflicts: [expect.stringMatching(/not part of the environment: notes\.txt\)/)] });
    const edited = disk(d, { 'pyvenv.cfg': { ...PYC } });
    expect(planEnvironments('/p/env.yaml', [d], emptyState('t'), edited).environments[0]).toMatchObject({
      adopt: false,
      conflicts: [expect.stringMatching(/\(it holds 2 entries: bin, pyvenv\.cfg; different from what envbuild writes: pyvenv\.cfg\)/)],
    });
  });

  it('--replace-foreign rebuilds derived files exactly when the environment has some', () => {
    const inTheWay: Observations = { [ROOT]: { children: ['notes.txt'], entries: {} } };
    const opts = { replaceForeign: { stamp: 'S' } };
    expect(planEnvironments('/p/env.yaml', [desired()], emptyState('t'), inTheWay, opts).environments[0]).toMatchObject({ rebuild: false, backup: '/project/envs/.app.envbuild-backup-S' });
    expect(planEnvironments('/p/env.yaml', [derivedOf(desired())], emptyState('t'), inTheWay, opts).environments[0]).toMatchObject({ rebuild: true });
  });

  it('a missing entry that was never recorded is drift to repair, not a conflict', () => {
    const d = desired();
    const rec = { ...recorded(d), entries: recorded(d).entries.filter((e) => e.path !== 'bin/python') };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), disk(d, { 'bin/python': { kind: 'missing' } })).environments[0]!;
    expect(plan).toMatchObject({ action: 'update', reasons: ['bin/python missing'], conflicts: [] });
    // The same for a derived file.
    const withPyc = derivedOf(d);
    expect(planEnvironments('/p/env.yaml', [withPyc], stateWith(['app', recorded(d)]), disk(d)).environments[0]).toMatchObject({ reasons: ['site.pyc missing'], rebuild: true });
  });

  it('rebuilds when any one of several derived files is stale', () => {
    const d = derivedOf(desired(), ['a.pyc', 'b.pyc']);
    const digest = { kind: 'file' as const, sha256: sha256('pyc'), mode: 0o644 };
    const rec = { ...recorded(d), entries: [...recorded(d).entries, { path: 'a.pyc', digest }, { path: 'b.pyc', digest }] };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', rec]), disk(d, { 'a.pyc': PYC, 'b.pyc': { kind: 'missing' } })).environments[0]!;
    expect(plan).toMatchObject({ action: 'update', rebuild: true, reasons: ['b.pyc missing'] });
  });

  it('a replacement rebuilds derived files; adopting in place keeps them and removes the rest children first', () => {
    const old = desired();
    const d = derivedOf(desired({ layout: 'classic' }));
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), {}).environments[0]).toMatchObject({ action: 'replace', rebuild: true, adopt: false });
    const pyc = { path: 'site.pyc', digest: { kind: 'file' as const, sha256: sha256('pyc'), mode: 0o644 } };
    const extra = ['x', 'x/y'].map((p) => ({ path: p, digest: { kind: 'dir' as const } }));
    const oldRec = { ...recorded(old), entries: [...recorded(old).entries, pyc, ...extra] };
    const plan = planEnvironments('/p/env.yaml', [d], stateWith(['app', oldRec]), disk(d, { 'site.pyc': PYC })).environments[0]!;
    expect(plan).toMatchObject({ action: 'replace', adopt: true, rebuild: true });
    expect(plan.removals.map((r) => r.path)).toEqual(['x/y', 'x']);
  });

  it('a replacement does not adopt a target whose entries differ', () => {
    const old = desired();
    const d = desired({ version: '3.11.9' });
    const edited = disk(d, { 'pyvenv.cfg': { ...PYC } });
    expect(planEnvironments('/p/env.yaml', [d], stateWith(['app', recorded(old)]), edited).environments[0]).toMatchObject({ action: 'replace', adopt: false, writes: d.entries });
  });
});
