import { InterruptedError, UserError } from '../errors/user-error.js';
import { executeEnvironment, type EnvironmentOutcome } from '../apply/execute-environment.js';
import { hasChanges, hasConflicts, type Plan } from '../plan/types.js';
import { removeLegacyState, removeStateDirIfEmpty, stateDir, sweepStateTemporaries } from '../state/store.js';
import { StateWriter } from '../state/state-writer.js';
import { readKey } from '../state/key.js';
import fs from 'node:fs/promises';
import { faultPoint } from '../fault-injection.js';
import { redactText } from '../secrets/redact.js';
import type { EnvironmentState, StateFile } from '../state/types.js';
import { prepare, type EngineOptions, type Prepared } from './prepare.js';
import { writeLocks } from './locks.js';
import { ENVBUILD_VERSION } from '../version.js';
import type { PartRecord, RemovalEnvironment } from '../recipe-api/api.js';
import { applyPart, removePart } from '../parts/run-part.js';
import { filesystemNow } from '../parts/claims.js';
import { makeLookup } from '../parts/scope.js';
import { summarizePart } from '../parts/part-summary.js';
import type { DesiredEnvironment } from '../plan/types.js';
import type { IsolationMode } from '../manifest/types.js';
import path from 'node:path';
import { dependencies, jobsFor, runScheduled, widthOf, type ScheduledStep } from './schedule.js';
import { stateIdentity } from './state-identity.js';
import { ownedAbove, recordedParents } from './shared-parents.js';
import { traceStage } from '../trace.js';

/** How progress is shown: listr2's live renderer, plain lines (CI, pipes), or nothing (JSON, library use). */
export type ProgressMode = 'interactive' | 'plain' | 'silent';

export interface ApplyOptions extends EngineOptions {
  readonly progress?: ProgressMode;
  /** Wait for a concurrent apply to finish instead of failing at once. */
  readonly wait?: boolean;
  /** Aborting stops after the current step; state is saved and InterruptedError is thrown. */
  readonly signal?: AbortSignal;
  /** Environments applied at once (`--jobs N`); by default as many as can go side by side, at most the cores. */
  readonly jobs?: number;
}

export interface ApplyResult {
  readonly plan: Plan;
  readonly outcomes: readonly EnvironmentOutcome[];
  /** Whether state.json was (re)written. */
  readonly stateWritten: boolean;
}

export function apply(manifestFile: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  return run(manifestFile, options, false);
}

/** Removes every environment envbuild recorded (or those named with `only`), and their state. */
export function destroy(manifestFile: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  return run(manifestFile, options, true);
}

async function run(manifestFile: string, options: ApplyOptions, destroying: boolean): Promise<ApplyResult> {
  // A first, lock-free look: a no-op run must not write anything, not even a lock.
  const { identity, prepared: first } = await prepareWithIdentity(manifestFile, options, destroying);
  if (!hasChanges(first.plan)) {
    // ... except to clear what a killed run left: its lock, and after destroy an empty .envbuild/.
    await clearLeftovers(first.manifest.dir, destroying);
    return { plan: first.plan, outcomes: [], stateWritten: false };
  }
  // A refused run writes nothing at all, not even the state directory for the lock.
  refuseConflicts(first.plan);

  // proper-lockfile (with graceful-fs and signal-exit) is loaded only when there is work to do.
  const { acquireLock } = await import('../state/lock.js');
  const release = await acquireLock(first.manifest.dir, {
    ...(options.wait ? { wait: true } : {}),
    command: `envbuild ${destroying ? 'destroy' : 'apply'} ${manifestFile}`,
  });
  try {
    await sweepStateTemporaries(first.manifest.dir);
    // Only another apply could have changed things between the look and the lock, and it
    // would have rewritten the state: plan again only then.
    let prepared = first;
    if ((await stateIdentity(first.manifest.file)) !== identity) {
      traceStage('replan: state changed since planning');
      prepared = await prepare(manifestFile, { ...options, destroy: destroying });
    }
    refuseConflicts(prepared.plan);
    const result = await execute(prepared, options, destroying);
    // The first apply of a user creates the key that signs parsed manifests too: the trees
    // parsed while there was none are stored now.
    if (prepared.keepParsed) {
      const key = await readKey();
      if (key) prepared.keepParsed(key);
    }
    return result;
  } finally {
    await release();
    if (destroying) await removeStateDirIfEmpty(first.manifest.dir);
  }
}

/**
 * Plans, with the state file's identity taken first: a change after that point (even while
 * planning) shows as a different identity once the lock is held.
 */
async function prepareWithIdentity(manifestFile: string, options: ApplyOptions, destroying: boolean) {
  const identity = await stateIdentity(path.resolve(manifestFile));
  const prepared = await prepare(manifestFile, { ...options, destroy: destroying });
  return { identity, prepared };
}

async function clearLeftovers(manifestDir: string, destroying: boolean): Promise<void> {
  const dir = stateDir(manifestDir);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  if (names.includes('lock') || names.includes('lock-holder.json')) {
    const { clearAbandonedLock } = await import('../state/lock.js');
    await clearAbandonedLock(manifestDir);
  }
  if (destroying) await removeStateDirIfEmpty(manifestDir);
}

function refuseConflicts(plan: Plan): void {
  if (!hasConflicts(plan)) return;
  const lines = plan.environments.flatMap((e) => e.conflicts.map((c) => `  ${e.name}: ${c}`));
  throw new UserError('ECONFLICT', `nothing was changed, because:\n${lines.join('\n')}`, {
    hint: 'envbuild never overwrites or deletes what it did not create; `envbuild apply --replace-foreign` moves a directory in the way aside (never deletes it)',
  });
}

async function execute(prepared: Prepared, options: ApplyOptions, destroying: boolean): Promise<ApplyResult> {
  const { plan, desired } = prepared;
  let state: StateFile = prepared.state;
  let stateWritten = false;
  const outcomes: EnvironmentOutcome[] = [];
  const byName = new Map(desired.map((d) => [d.name, d]));

  const manifestFile = prepared.manifest.file;
  const trusted = prepared.trust === 'signed';
  let legacy = prepared.migratedFrom;
  // Environments run concurrently: each save updates the state in memory at once, and the
  // writes go one after the other, each writing the state as it is when its turn comes, so the
  // record on disk only ever moves forward. The writer appends only the environments saved
  // since the last write (see state/state-writer.ts).
  const writer = new StateWriter(manifestFile, {
    state: prepared.state,
    body: prepared.stateText,
    ...(prepared.stateMac !== undefined ? { mac: prepared.stateMac } : {}),
    ...(prepared.journal ? { journal: true } : {}),
  });
  const changed = new Set<string>();
  const persist = async () => {
    const snapshot = state;
    const building = Object.keys(snapshot.creating ?? {}).length > 0;
    if (!building && Object.keys(snapshot.environments).length === 0 && (destroying || Object.keys(prepared.state.environments).length > 0)) {
      await writer.remove(legacy);
      changed.clear();
      legacy = undefined;
      stateWritten = true;
      return;
    }
    const names = [...changed];
    changed.clear();
    try {
      if (await writer.write(snapshot, names)) stateWritten = true;
    } catch (e) {
      for (const name of names) changed.add(name);
      throw e;
    }
    if (legacy) {
      await removeLegacyState(legacy);
      legacy = undefined;
    }
  };
  let writes: Promise<void> = Promise.resolve();
  const save = (name: string | null, envState: EnvironmentState | null): Promise<void> => {
    const environments = { ...state.environments };
    if (name !== null && envState) environments[name] = envState;
    else if (name !== null) delete environments[name];
    if (name !== null) changed.add(name);
    state = { ...state, writtenBy: ENVBUILD_VERSION, environments };
    const written = writes.then(persist);
    writes = written.catch(() => undefined);
    return written;
  };

  const working = plan.environments.filter((e) => e.action !== 'no-op');
  const after = dependencies(
    working.map((e) => ({
      key: e.name,
      paths: [...new Set([e.path, ...(e.removeFrom ? [e.removeFrom] : [])])],
      uses: (byName.get(e.name)?.parts ?? []).flatMap((p) => p.uses.map((u) => u.env)),
    })),
  );
  // Which directories above the roots are envbuild's is settled before any build starts, so the
  // record does not depend on the order environments finish in (see shared-parents.ts).
  const owned = await ownedAbove(
    prepared.manifest.dir,
    new Map(working.flatMap((e) => (byName.has(e.name) && e.action !== 'remove' ? [[e.name, byName.get(e.name)!.path] as const] : []))),
    prepared.state,
    trusted ? (prepared.state.creating ?? {}) : {},
  );
  const steps = working.map((envPlan) => ({
      key: envPlan.name,
      after: after.get(envPlan.name) ?? [],
      title: `${envPlan.action} ${envPlan.name}`,
      run: async (progress: (m: string) => void) => {
        const d = byName.get(envPlan.name);
        const previous = state.environments[envPlan.name];
        const hooks = { signal: options.signal ?? new AbortController().signal, progress };
        let parts: Record<string, PartRecord> = { ...(previous?.parts ?? {}) };
        const kept: Array<{ path: string; why: string }> = [];
        const partOutcomes: Array<{ name: string; action: string; summary?: string }> = [];
        const previousRecords = parts;

        // Parts go before the environment they live in, newest first. In an environment being
        // replaced they are removed as the old environment sees them (its interpreter, its
        // site-packages), so nothing they installed stays behind.
        for (const p of envPlan.parts) {
          const record = parts[p.name];
          if ((p.action !== 'remove' && p.action !== 'replace') || !record) continue;
          progress(`removing part ${p.name}`);
          const reason = envPlan.action === 'remove' ? 'environment-removed' : envPlan.action === 'replace' ? 'environment-replaced' : 'part-removed';
          const seenAs = envPlan.action === 'replace' ? removalEnvironment(envPlan.name, undefined, previous!) : removalEnvironment(envPlan.name, d, previous!);
          if (envPlan.forget) {
            // The environment is not confirmed as ours: nothing in it is touched.
          } else {
            const removal = { trusted, ...(d ? { declared: d.parts.find((dp) => dp.name === p.name) } : {}) };
            kept.push(...(await removePart(prepared.manifest.dir, seenAs, p.name, record, hooks, reason, removal)));
          }
          faultPoint(`removed part ${envPlan.name}.${p.name}`);
          const { [p.name]: _gone, ...rest } = parts;
          parts = rest;
          if (p.action === 'remove') partOutcomes.push({ name: p.name, action: 'remove' });
          await save(envPlan.name, { ...previous!, parts });
        }

        // A build's start is recorded before it makes anything, so the directories it makes
        // above the environment are known as its own even after an interruption.
        let since: number | undefined;
        if (d && (envPlan.writes.length > 0 || envPlan.adopt) && (envPlan.action === 'create' || envPlan.action === 'replace')) {
          const earlier = trusted ? prepared.state.creating?.[d.name] : undefined;
          const now = await filesystemNow();
          since = earlier !== undefined ? Math.min(earlier, now) : now;
          state = { ...state, creating: { ...(state.creating ?? {}), [d.name]: since } };
          await save(null, null);
        }
        const { outcome, state: envState } = await executeEnvironment(envPlan, d, state.environments[envPlan.name], {
          signal: hooks.signal,
          progress,
          ...(since !== undefined ? { since } : {}),
        });
        if (state.creating?.[envPlan.name] !== undefined) {
          const { [envPlan.name]: _built, ...creating } = state.creating;
          state = { ...state, creating };
        }
        if (!envState || !d) {
          await save(envPlan.name, null);
          outcomes.push({ ...outcome, kept: [...kept, ...outcome.kept], parts: partOutcomes });
          return;
        }
        // Recorded after each step, so an interruption loses at most the one in flight.
        const parents = recordedParents(prepared.manifest.dir, d.path, envState.parents ?? [], owned);
        const { parents: _all, ...recorded } = envState;
        const actions = new Map(envPlan.parts.map((p) => [p.name, p.action]));
        // The start of a part an interrupted run left unfinished is kept until that part runs
        // again: were it dropped here, a second interruption before the part's own start is
        // recorded would leave the next run taking the files the first attempt made as not its.
        const unfinished = Object.entries(trusted ? (previous?.pending ?? {}) : {}).filter(([name]) => {
          const action = actions.get(name);
          return d.parts.some((p) => p.name === name) && action !== undefined && action !== 'no-op' && action !== 'remove';
        });
        let current: EnvironmentState = {
          ...recorded,
          ...(parents.length > 0 ? { parents } : {}),
          ...(unfinished.length > 0 ? { pending: Object.fromEntries(unfinished) } : {}),
          parts,
          sitePackages: d.recipeEnv.sitePackages,
          ...(d.allowlist ? { allowlist: d.allowlist } : {}),
        };
        await save(envPlan.name, current);

        for (const part of d.parts) {
          const action = actions.get(part.name);
          if (!action || action === 'no-op' || action === 'remove') continue;
          progress(`${action} part ${part.name} (${part.recipeRef})`);
          const outputsOf = (env: string, name: string) => (env === d.name ? parts[name]?.outputs : state.environments[env]?.parts[name]?.outputs);
          const lookup = makeLookup(prepared.manifest, desired, d.name, outputsOf, process.env);
          // The part's start, by the filesystem's clock, is recorded before it runs: a retry after
          // an interruption still owns what the first attempt created (see parts/claims.ts).
          const now = await filesystemNow();
          const earlier = trusted ? previous?.pending?.[part.name] : undefined;
          const since = earlier !== undefined ? Math.min(earlier, now) : now;
          current = { ...current, pending: { ...(current.pending ?? {}), [part.name]: since } };
          await save(envPlan.name, current);
          const record = await applyPart(prepared.manifest, d, part, parts[part.name] ?? null, lookup, hooks, {
            project: prepared.manifest.dir,
            ...claimedElsewhere(state, desired, d.name, part.name),
            since,
          });
          const { [part.name]: _done, ...pending } = current.pending ?? {};
          current = withPending(current, pending);
          faultPoint(`applied part ${d.name}.${part.name}`);
          parts = { ...parts, [part.name]: record };
          current = { ...current, parts };
          await save(envPlan.name, current);
          const summary = summarizePart(record, previousRecords[part.name] ?? null);
          partOutcomes.push({ name: part.name, action, ...(summary ? { summary } : {}) });
        }
        outcomes.push({ ...outcome, kept: [...kept, ...outcome.kept], parts: partOutcomes });
      },
    }));

  // Locks first, as uv and pixi do: the environment is then made from what they pin.
  if (!destroying) await writeLocks(desired, prepared.manifest.dir);
  // Outcomes are reported in plan order, whichever environment finished first.
  const order = new Map(working.map((e, i) => [e.name, i]));
  let failure: { error: unknown } | undefined;
  try {
    await runSteps(steps, options.progress ?? 'silent', jobsFor(options.jobs, widthOf(steps)));
    // An unsigned or migrated state (or one with a journal) that nothing above rewrote is
    // recorded again, signed, as one file.
    if (plan.stateRewrite && !stateWritten) await save(null, null);
  } catch (e) {
    failure = { error: e };
  }
  // Failed, interrupted or done, the run leaves its record as one state file: the journal is
  // folded in once the last save is on disk.
  try {
    await writes;
    if (await writer.finish(state)) stateWritten = true;
  } catch (e) {
    failure ??= { error: e };
  }
  if (failure) {
    if (options.signal?.aborted) throw new InterruptedError(String(options.signal.reason ?? 'SIGINT'));
    throw failure.error;
  }
  outcomes.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { plan, outcomes, stateWritten };
}

/**
 * What a part may never claim as its own: the roots of the other environments (state's and
 * the manifest's) and everything other parts recorded.
 */
function claimedElsewhere(state: StateFile, desired: readonly DesiredEnvironment[], env: string, part: string): { otherRoots: string[]; otherClaims: string[] } {
  const otherRoots = desired.filter((d) => d.name !== env).map((d) => d.path);
  const otherClaims: string[] = [];
  for (const [name, e] of Object.entries(state.environments)) {
    if (name !== env) otherRoots.push(e.path);
    for (const [p, r] of Object.entries(e.parts)) if (name !== env || p !== part) otherClaims.push(...r.created.map((c) => c.path));
  }
  return { otherRoots, otherClaims };
}

function withPending(env: EnvironmentState, pending: Record<string, number>): EnvironmentState {
  const { pending: _old, ...rest } = env;
  return Object.keys(pending).length > 0 ? { ...rest, pending } : rest;
}

interface Step extends Omit<ScheduledStep, 'run'> {
  readonly title: string;
  readonly run: (progress: (message: string) => void) => Promise<void>;
}

/**
 * Runs the steps, `jobs` at a time. Plain output (CI, pipes) is whole lines, written as they
 * come, each naming its environment; listr2 (the heaviest module of the CLI) is loaded only
 * for a terminal, where it shows the running environments live. A failed step is only marked:
 * the CLI prints its error in full (with its hint) afterwards, so it is shown once.
 */
async function runSteps(steps: readonly Step[], mode: ProgressMode, jobs: number): Promise<void> {
  if (mode === 'silent') {
    await runScheduled(steps.map((s) => ({ ...s, run: () => s.run(() => undefined) })), jobs);
    return;
  }
  if (mode === 'plain') {
    // Written past the CLI's redacting output: redact here.
    const line = (text: string) => process.stdout.write(`${redactText(text)}\n`);
    const plain = steps.map((s) => ({
      ...s,
      run: async () => {
        line(`❯ ${s.title}`);
        try {
          await s.run((m) => line(`› ${s.key}: ${m}`));
        } catch (e) {
          line(`✖ ${s.title}`);
          throw e;
        }
        line(`✔ ${s.title}`);
      },
    }));
    await runScheduled(plain, jobs);
    return;
  }
  await runListed(steps, jobs);
}

/** A terminal: listr2 shows every environment live; the schedule decides when each starts. */
async function runListed(steps: readonly Step[], jobs: number): Promise<void> {
  const { Listr } = await import('listr2');
  const views = steps.map((step) => {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const settle = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    settle.catch(() => undefined);
    const view = { output: (_: string) => undefined as void, settle };
    return { step, resolve, reject, view };
  });
  const list = new Listr(
    views.map(({ step, view }) => ({
      title: step.title,
      task: async (_ctx: unknown, task: { output: string }) => {
        view.output = (m) => (task.output = redactText(m));
        await view.settle.catch(() => {
          throw new Error('see below');
        });
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      // The CLI owns SIGINT: it aborts the signal so state can be saved before exiting 130.
      registerSignalListeners: false,
      renderer: 'default',
    },
  );
  const scheduled = runScheduled(
    views.map(({ step, resolve, reject, view }) => ({
      ...step,
      run: () => step.run((m) => view.output(m)).then(resolve, (e: unknown) => (reject(e), Promise.reject(e))),
    })),
    jobs,
  );
  const listed = list.run().catch(() => undefined);
  const failed = await scheduled.then(
    () => null,
    (error: unknown) => ({ error }),
  );
  // Steps never started (after a failure) end on the display too.
  for (const v of views) v.reject(new Error('not started'));
  await listed;
  if (failed) throw failed.error;
}

/** The environment as a removed part's recipe sees it: from the manifest, or from state once gone. */
function removalEnvironment(name: string, d: DesiredEnvironment | undefined, previous: EnvironmentState): RemovalEnvironment {
  if (d) return d.recipeEnv;
  const mode = previous.inputs.isolation.split(' ')[0] as IsolationMode;
  return {
    name,
    path: previous.path,
    python: path.join(previous.path, 'bin', 'python'),
    layout: previous.inputs.layout,
    isolation: mode,
    sitePackages: previous.sitePackages ?? path.join(previous.path, 'lib'),
    bin: path.join(previous.path, 'bin'),
  };
}
