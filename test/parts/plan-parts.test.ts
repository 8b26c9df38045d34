/**
 * Planning an environment's parts, as `envbuild plan` shows it: which parts are created,
 * updated, replaced, removed or left alone, and the reasons given — from the recorded parts,
 * the manifest's options, the recipe's identity, credentials, drift of created files and the
 * parts a part reads from. Real recipe module and files in a temp dir (test/parts/fixture.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/errors/diagnostic.js';
import { UserError } from '../../src/errors/user-error.js';
import { filesystemNow } from '../../src/parts/claims.js';
import { defaultDecision, planParts } from '../../src/parts/plan-parts.js';
import { makeLookup } from '../../src/parts/scope.js';
import { applyPart } from '../../src/parts/run-part.js';
import type { Action, DesiredEnvironment, DesiredPart, EnvironmentPlan, PartPlan } from '../../src/plan/types.js';
import type { PartRecord } from '../../src/recipe-api/api.js';
import type { EnvironmentState } from '../../src/state/types.js';
import { runnerProject, type RunnerProject } from './fixture.js';

const envPlan = (action: Action): EnvironmentPlan => ({ name: 'app', action, path: '', reasons: [], notes: [], warnings: [], removals: [], writes: [], adopt: false, parts: [], rebuild: false, conflicts: [] });

async function apply(p: RunnerProject, part: DesiredPart, env: NodeJS.ProcessEnv = {}): Promise<PartRecord> {
  const lookup = makeLookup(p.manifest, [p.desired], 'app', () => undefined, env);
  return applyPart(p.manifest, p.desired, part, null, lookup, p.hooks(), { project: p.dir, otherRoots: [], otherClaims: [], since: await filesystemNow() });
}

async function plan(
  p: RunnerProject,
  parts: DesiredPart[],
  recorded: Record<string, PartRecord> | null,
  action: Action = 'no-op',
  opts: { env?: NodeJS.ProcessEnv; changing?: string[]; desired?: Partial<DesiredEnvironment> | null } = {},
): Promise<{ plans: Array<Pick<PartPlan, 'name' | 'action' | 'reasons'>>; changing: string[]; diagnostics: Diagnostic[] }> {
  const changing = new Set(opts.changing ?? []);
  const diagnostics: Diagnostic[] = [];
  const d = opts.desired === null ? undefined : ({ ...p.desired, parts, ...opts.desired } as DesiredEnvironment);
  const environments: Record<string, EnvironmentState> = recorded ? { app: { path: p.envPath, inputs: p.desired.inputs, entries: [], parts: recorded } as EnvironmentState } : {};
  const plans = await planParts(envPlan(action), d, { manifest: p.manifest, desired: d ? [d] : [], environments, processEnv: opts.env ?? {} }, changing, diagnostics);
  return { plans: plans.map(({ name, action: a, reasons }) => ({ name, action: a, reasons })), changing: [...changing].sort(), diagnostics };
}

/**
 * The part, its recipe given a `plan` that does what the returned setter last gave it. One
 * recipe object for all of a test's plans, so its options schema is compiled once.
 */
function withOwnPlan(part: DesiredPart): [DesiredPart, (planFn: (input: never) => Promise<unknown>) => void] {
  let current: (input: never) => Promise<unknown> = async () => ({ action: 'no-op', reasons: [] });
  const recipe = { ...part.loaded.recipe, plan: (input: never) => current(input) };
  return [{ ...part, loaded: { ...part.loaded, recipe } } as DesiredPart, (planFn) => void (current = planFn)];
}

describe('planParts', () => {
  it('leaves an unchanged part alone, and creates a new one', async () => {
    const p = await runnerProject();
    const a = await p.part({ files: { 'a.txt': 'a' } }, 'a');
    const recordA = await apply(p, a);
    const b = await p.part({ files: { 'b.txt': 'b' } }, 'b');
    expect(await plan(p, [a, b], { a: recordA })).toEqual({
      plans: [
        { name: 'a', action: 'no-op', reasons: [] },
        { name: 'b', action: 'create', reasons: ['new part'] },
      ],
      changing: ['app.b'],
      diagnostics: [],
    });
  });

  it('removes parts no longer in the manifest, and all of them with their environment, last applied first', async () => {
    const p = await runnerProject();
    const a = await p.part({}, 'a');
    const b = await p.part({}, 'b');
    const recorded = { a: await apply(p, a), b: await apply(p, b) };
    expect((await plan(p, [a], recorded)).plans).toEqual([
      { name: 'b', action: 'remove', reasons: ['no longer in the manifest'] },
      { name: 'a', action: 'no-op', reasons: [] },
    ]);
    const gone = await plan(p, [a, b], recorded, 'remove');
    expect(gone.plans).toEqual([
      { name: 'b', action: 'remove', reasons: ['environment removed'] },
      { name: 'a', action: 'remove', reasons: ['environment removed'] },
    ]);
    expect(gone.changing).toEqual(['app.a', 'app.b']);
    // An environment gone from the manifest: its recorded parts go.
    expect((await plan(p, [], recorded, 'remove', { desired: null })).plans.map((x) => x.action)).toEqual(['remove', 'remove']);
  });

  it('makes every part again in a new or replaced environment', async () => {
    const p = await runnerProject();
    const a = await p.part({}, 'a');
    const b = await p.part({}, 'b');
    const recorded = { a: await apply(p, a) };
    expect((await plan(p, [a, b], null, 'create')).plans).toEqual([
      { name: 'a', action: 'create', reasons: ['new environment'] },
      { name: 'b', action: 'create', reasons: ['new environment'] },
    ]);
    expect((await plan(p, [a, b], recorded, 'replace')).plans).toEqual([
      { name: 'a', action: 'replace', reasons: ['environment replaced'] },
      { name: 'b', action: 'create', reasons: ['environment replaced'] },
    ]);
  });

  it('updates a part whose options, recipe or created files changed, saying which', async () => {
    const p = await runnerProject();
    const part = await p.part({ files: { 'a.txt': 'a' }, dirs: ['d'] });
    const record = await apply(p, part);
    const changed = await p.part({ files: { 'a.txt': 'A' }, dirs: ['d'], link: 'x' });
    expect((await plan(p, [changed], { p: record })).plans).toEqual([{ name: 'p', action: 'update', reasons: ['options changed: files, link'] }]);
    const older = { ...record, version: './recipes/paths.mjs#0000000000000000@0' };
    expect((await plan(p, [part], { p: older })).plans[0]!.reasons).toEqual([`recipe changed ${older.version} → ${part.loaded.identity}`]);
    fs.writeFileSync(path.join(p.envPath, 'a.txt'), 'edited');
    fs.rmdirSync(path.join(p.envPath, 'd'));
    expect((await plan(p, [part], { p: record })).plans[0]).toEqual({ name: 'p', action: 'update', reasons: ['d missing', 'a.txt edited'] });
  });

  it('says a credential changed when only the fingerprint differs', async () => {
    const p = await runnerProject();
    const url = (t: string) => `https://u:${t}@h.example/simple`;
    const record = await apply(p, await p.part({ token: url('Plan-Token-1') }));
    const changed = await p.part({ token: url('Plan-Token-2') });
    expect((await plan(p, [changed], { p: record })).plans[0]).toEqual({ name: 'p', action: 'update', reasons: ['credentials changed in options: token'] });
    // A value from the environment, recorded as its reference.
    const fromEnv = await p.part({ token: '${env:PLAN_SECRET}', files: {} });
    const envRecord = await apply(p, fromEnv, { PLAN_SECRET: 'env-value-one' });
    expect((await plan(p, [fromEnv], { p: envRecord }, 'no-op', { env: { PLAN_SECRET: 'env-value-one' } })).plans[0]!.action).toBe('no-op');
    expect((await plan(p, [fromEnv], { p: envRecord }, 'no-op', { env: { PLAN_SECRET: 'env-value-two' } })).plans[0]).toEqual({
      name: 'p',
      action: 'update',
      reasons: ['credentials changed in options: token'],
    });
    // Nothing visible nor secret differs: the interpreter or layout did.
    const plain = await apply(p, await p.part({ files: {} }));
    expect((await plan(p, [await p.part({ files: {} })], { p: { ...plain, fingerprint: 'other' } })).plans[0]!.reasons).toEqual(['interpreter or layout changed']);
  });

  it('re-plans a part whose inputs from another part change', async () => {
    const p = await runnerProject();
    const reader = { ...(await p.part({}, 'reader')), uses: [{ env: 'app', part: 'writer' }] };
    const record = await apply(p, await p.part({}, 'reader'));
    const changing = ['app.writer'];
    expect((await plan(p, [reader], { reader: record }, 'no-op', { changing })).plans[0]).toEqual({ name: 'reader', action: 'update', reasons: ['uses app.writer, which changes'] });
    expect((await plan(p, [reader], null, 'no-op', { changing })).plans[0]!.action).toBe('create');
    expect((await plan(p, [reader], { reader: record }, 'replace', { changing })).plans[0]!.action).toBe('replace');
    expect((await plan(p, [reader], { reader: record })).plans[0]!.action).toBe('no-op');
  });

  it('reports bad references and invalid options as located diagnostics, planning nothing for the part', async () => {
    const p = await runnerProject();
    const bad = await plan(p, [await p.part({ files: { 'a.txt': '${env:PLAN_UNSET}' } })], null);
    expect(bad.plans).toEqual([{ name: 'p', action: 'no-op', reasons: [] }]);
    expect(bad.changing).toEqual([]);
    expect(bad.diagnostics.map((d) => [d.severity, d.keyPath, d.message])).toEqual([
      ['error', 'environments.app.parts.p.files.a.txt', '${env:PLAN_UNSET}: the environment variable PLAN_UNSET is not set (write ${env:PLAN_UNSET:-default} to allow that)'],
    ]);
    expect(bad.diagnostics[0]!.location).toBeDefined();
    expect(bad.diagnostics[0]!.location!.line).toBe(6);
    const invalid = await plan(p, [await p.part({ filez: 1 })], null);
    expect(invalid.plans).toEqual([{ name: 'p', action: 'no-op', reasons: [] }]);
    expect(invalid.diagnostics.map((d) => d.message)).toEqual(['unknown option "filez" for recipe paths; did you mean "files"?']);
  });

  it("uses the recipe's own plan, and labels its failure with the part", async () => {
    const p = await runnerProject();
    const part = await p.part({});
    const [own, setPlan] = withOwnPlan(part);
    const record = await apply(p, part);
    let seen: unknown;
    setPlan(async (input: { changes: string[]; previous: unknown; part: string; manifestDir: string }) => {
      seen = input;
      return { action: 'update', reasons: ['the recipe says so'] };
    });
    expect((await plan(p, [own], { p: record })).plans[0]).toEqual({ name: 'p', action: 'update', reasons: ['the recipe says so'] });
    expect(seen).toMatchObject({ part: 'p', changes: [], previous: record, manifestDir: p.dir });
    setPlan(async () => ({ action: 'no-op', reasons: ['ignored'] }));
    expect((await plan(p, [own], { p: record })).plans[0]!.reasons).toEqual([]);
    setPlan(async () => {
      throw new UserError('EPLAN', 'cannot decide');
    });
    await expect(plan(p, [own], { p: record })).rejects.toThrow('part app.p (paths): cannot decide');
  });

  it('passes what the lock pins for the part to its plan', async () => {
    const p = await runnerProject();
    const part = await p.part({});
    let seen: unknown;
    const own = { ...part, loaded: { ...part.loaded, recipe: { ...part.loaded.recipe, plan: async (input: unknown) => ((seen = input), { action: 'no-op', reasons: [] }) } } } as DesiredPart;
    const pinned = { requirements: ['a==1'] };
    await plan(p, [own], null, 'no-op', { desired: { locked: { byPart: new Map([['p', pinned]]) } as never } });
    expect(seen).toMatchObject({ locked: pinned });
    await plan(p, [own], null, 'no-op', { desired: { locked: { byPart: new Map([['other', pinned]]) } as never } });
    expect(seen).not.toHaveProperty('locked');
  });
});

describe('planParts, further', () => {
  it("reads another part's recorded outputs, and says when a part or its environment has none yet", async () => {
    const p = await runnerProject();
    const writer = await apply(p, await p.part({ files: { 'w.txt': 'w' } }));
    const reader = await p.part({ say: 'count=${parts.p.count}' }, 'reader');
    const readerRecord = await apply(p, { ...reader, options: { say: 'count=1' } });
    // Recorded as written with the value: the same options, nothing to do.
    const known = await plan(p, [reader], { p: writer, reader: { ...readerRecord, options: { say: 'count=1' } } });
    expect(known.diagnostics).toEqual([]);
    // (p itself is planned for removal: it is not among the parts planned here.)
    expect(known.plans.map((x) => [x.name, x.action])).toEqual([['p', 'remove'], ['reader', 'no-op']]);
    const noPart = await plan(p, [reader], { reader: readerRecord });
    expect(noPart.diagnostics.map((d) => d.message)).toEqual(['${parts.p.count}: part app.p has not been applied yet, so its outputs are unknown']);
    const noEnv = await plan(p, [reader], null);
    expect(noEnv.diagnostics.map((d) => d.message)).toEqual(['${parts.p.count}: part app.p has not been applied yet, so its outputs are unknown']);
  });

  it("tells a recipe's plan that a part is new", async () => {
    const p = await runnerProject();
    const part = await p.part({});
    let seen: { changes?: readonly string[] } = {};
    const own = { ...part, loaded: { ...part.loaded, recipe: { ...part.loaded.recipe, plan: async (input: { changes: readonly string[] }) => ((seen = input), { action: 'create', reasons: ['mine'] }) } } } as DesiredPart;
    await plan(p, [own], null);
    expect(seen.changes).toEqual(['new part']);
  });

  it('names the options whose credentials changed in alphabetical order', async () => {
    const p = await runnerProject();
    const url = (t: string) => `https://u:${t}@h.example/simple`;
    const part = (t: string) => p.part({ token: url(t), say: '${env:PLAN_SAY}' });
    const record = await apply(p, await part('Order-Token-1'), { PLAN_SAY: 'one' });
    const changed = await plan(p, [await part('Order-Token-2')], { p: record }, 'no-op', { env: { PLAN_SAY: 'two' } });
    expect(changed.plans[0]!.reasons).toEqual(['credentials changed in options: say, token']);
  });

  it("labels a failing recipe plan with its part and phase, located at the option it is about", async () => {
    const p = await runnerProject();
    const part = await p.part({ files: { 'a.txt': 'a' } });
    const [own, setPlan] = withOwnPlan(part);
    setPlan(async () => { throw new TypeError('plan broke'); });
    const bug = (await plan(p, [own], null).catch((e: unknown) => e)) as UserError;
    expect(bug.message).toMatch(/^part app\.p: recipe paths failed unexpectedly during plan: plan broke\n/);
    setPlan(async () => { throw new UserError('EOPT', 'bad name', { option: ['files', 'a.txt'] }); });
    const located = (await plan(p, [own], null).catch((e: unknown) => e)) as UserError;
    expect(located.message).toBe(`${path.join(p.dir, 'env.yaml')}:6:7: part app.p (paths): bad name`);
  });
});

describe('defaultDecision', () => {
  it('creates a new part, updates a changed one, leaves the rest', () => {
    const prev = {} as PartRecord;
    expect(defaultDecision(null, ['x'])).toEqual({ action: 'create', reasons: ['new part'] });
    expect(defaultDecision(prev, ['a', 'b'])).toEqual({ action: 'update', reasons: ['a', 'b'] });
    expect(defaultDecision(prev, [])).toEqual({ action: 'no-op', reasons: [] });
  });
});
