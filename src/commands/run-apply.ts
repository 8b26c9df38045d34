import { InterruptedError, UserError } from '../errors/user-error.js';
import { executeEnvironment, type EnvironmentOutcome } from '../apply/execute-environment.js';
import { hasChanges, hasConflicts, type Plan } from '../plan/types.js';
import { compactJournal, deleteState, journalPending, readState, serializeState, stateDir, sweepStateTemporaries, writeState } from '../state/store.js';
import { StateJournal } from '../state/journal.js';
import { faultPoint } from '../fault-injection.js';
import { redactText } from '../secrets/redact.js';
import type { EnvironmentState } from '../state/types.js';
import { prepare, type EngineOptions, type Prepared } from './prepare.js';
import { ENVBUILD_VERSION } from '../version.js';
import type { PartRecord, RemovalEnvironment } from '../recipe-api/api.js';
import { applyPart, removePart } from '../parts/run-part.js';
import { makeLookup } from '../parts/scope.js';
import type { DesiredEnvironment } from '../plan/types.js';
import type { IsolationMode } from '../manifest/types.js';
import path from 'node:path';
import { dependencies, jobsFor, runScheduled, type ScheduledStep } from './schedule.js';

/** How progress is shown: listr2's live renderer, plain lines (CI, pipes), or nothing (JSON, library use). */
export type ProgressMode = 'interactive' | 'plain' | 'silent';

export interface ApplyOptions extends EngineOptions {
  readonly progress?: ProgressMode;
  /** Wait for a concurrent apply to finish instead of failing at once. */
  readonly wait?: boolean;
  /** Aborting stops after the current step; state is saved and InterruptedError is thrown. */
  readonly signal?: AbortSignal;
  /** Environments applied at once (`--jobs N`); by default one per core, at most the cores. */
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
  const first = await prepare(manifestFile, { ...options, destroy: destroying });
  // Nothing to do, unless a killed run's journal is still to be folded into state.json.
  const pending = !hasChanges(first.plan) && (await journalPending(first.manifest.dir));
  if (!hasChanges(first.plan) && !pending) return { plan: first.plan, outcomes: [], stateWritten: false };
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
    await compactJournal(first.manifest.dir, ENVBUILD_VERSION);
    if (pending) return { plan: first.plan, outcomes: [], stateWritten: true };
    // Another process may have changed things between the look and the lock: plan again —
    // unless the state is byte for byte what the look read (any apply in between would have
    // changed it). Resolving twice would double the work and the memory of a large manifest.
    const now = await readState(first.manifest.dir, ENVBUILD_VERSION);
    const prepared = serializeState(now) === first.stateText ? first : await prepare(manifestFile, { ...options, destroy: destroying });
    refuseConflicts(prepared.plan);
    return await execute(prepared, options, destroying);
  } finally {
    await release();
  }
}

function refuseConflicts(plan: Plan): void {
  if (!hasConflicts(plan)) return;
  const lines = plan.environments.flatMap((e) => e.conflicts.map((c) => `  ${e.name}: ${c}`));
  throw new UserError('ECONFLICT', `nothing was changed, because:\n${lines.join('\n')}`, {
    hint: 'envbuild never overwrites what it did not create',
  });
}

async function execute(prepared: Prepared, options: ApplyOptions, destroying: boolean): Promise<ApplyResult> {
  const { plan, desired } = prepared;
  let stateWritten = false;
  const outcomes: EnvironmentOutcome[] = [];
  const byName = new Map(desired.map((d) => [d.name, d]));
  // Each step's record is appended to the journal (environments run concurrently; the
  // appends go one after the other) and state.json is written once, at the end.
  const journal = new StateJournal(stateDir(prepared.manifest.dir), { ...prepared.state, writtenBy: ENVBUILD_VERSION });
  const recorded = (name: string) => journal.get(name);
  const save = (name: string, envState: EnvironmentState | null): Promise<void> => journal.record(name, envState);

  const working = plan.environments.filter((e) => e.action !== 'no-op');
  const after = dependencies(
    working.map((e) => ({
      key: e.name,
      paths: [...new Set([e.path, ...(e.removeFrom ? [e.removeFrom] : [])])],
      uses: (byName.get(e.name)?.parts ?? []).flatMap((p) => p.uses.map((u) => u.env)),
    })),
  );
  const steps = working.map((envPlan) => ({
      key: envPlan.name,
      after: after.get(envPlan.name) ?? [],
      title: `${envPlan.action} ${envPlan.name}`,
      run: async (progress: (m: string) => void) => {
        const d = byName.get(envPlan.name);
        const previous = recorded(envPlan.name);
        const hooks = { signal: options.signal ?? new AbortController().signal, progress };
        let parts: Record<string, PartRecord> = { ...(previous?.parts ?? {}) };
        const kept: Array<{ path: string; why: string }> = [];
        const partOutcomes: Array<{ name: string; action: string }> = [];

        // Parts go before the environment they live in, newest first.
        for (const p of envPlan.parts) {
          const record = parts[p.name];
          if ((p.action !== 'remove' && p.action !== 'replace') || !record) continue;
          progress(`removing part ${p.name}`);
          const reason = envPlan.action === 'remove' ? 'environment-removed' : envPlan.action === 'replace' ? 'environment-replaced' : 'part-removed';
          kept.push(...(await removePart(prepared.manifest.dir, removalEnvironment(envPlan.name, d, previous!), p.name, record, hooks, reason)));
          faultPoint(`removed part ${envPlan.name}.${p.name}`);
          const { [p.name]: _gone, ...rest } = parts;
          parts = rest;
          if (p.action === 'remove') partOutcomes.push({ name: p.name, action: 'remove' });
          await save(envPlan.name, { ...previous!, parts });
        }

        const { outcome, state: envState } = await executeEnvironment(envPlan, d, recorded(envPlan.name), {
          signal: hooks.signal,
          progress,
        });
        if (!envState || !d) {
          await save(envPlan.name, null);
          outcomes.push({ ...outcome, kept: [...kept, ...outcome.kept], parts: partOutcomes });
          return;
        }
        // Recorded after each step, so an interruption loses at most the one in flight.
        let current: EnvironmentState = {
          ...envState,
          parts,
          sitePackages: d.recipeEnv.sitePackages,
          ...(d.allowlist ? { allowlist: d.allowlist } : {}),
        };
        await save(envPlan.name, current);

        const actions = new Map(envPlan.parts.map((p) => [p.name, p.action]));
        for (const part of d.parts) {
          const action = actions.get(part.name);
          if (!action || action === 'no-op' || action === 'remove') continue;
          progress(`${action} part ${part.name} (${part.recipeRef})`);
          const outputsOf = (env: string, name: string) => (env === d.name ? parts[name]?.outputs : recorded(env)?.parts[name]?.outputs);
          const lookup = makeLookup(prepared.manifest, desired, d.name, outputsOf, process.env);
          const record = await applyPart(prepared.manifest, d, part, parts[part.name] ?? null, lookup, hooks);
          faultPoint(`applied part ${d.name}.${part.name}`);
          parts = { ...parts, [part.name]: record };
          current = { ...current, parts };
          await save(envPlan.name, current);
          partOutcomes.push({ name: part.name, action });
        }
        outcomes.push({ ...outcome, kept: [...kept, ...outcome.kept], parts: partOutcomes });
      },
    }));
  // Outcomes are reported in plan order, whichever environment finished first.
  const order = new Map(working.map((e, i) => [e.name, i]));

  try {
    await runSteps(steps, options.progress ?? 'silent', jobsFor(options.jobs));
  } catch (e) {
    if (options.signal?.aborted) throw new InterruptedError(String(options.signal.reason ?? 'SIGINT'));
    throw e;
  } finally {
    // Also after a failure or an interruption: what was done is recorded in state.json.
    await journal.compact(async (state) => {
      if (destroying && journal.size === 0) {
        await deleteState(prepared.manifest.dir);
        stateWritten = true;
      } else if (await writeState(prepared.manifest.dir, state, prepared.stateText)) {
        stateWritten = true;
      }
    });
  }
  outcomes.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { plan, outcomes, stateWritten };
}

interface Step extends Omit<ScheduledStep, 'run'> {
  readonly title: string;
  readonly run: (progress: (message: string) => void) => Promise<void>;
}

/**
 * Runs the steps, `jobs` at a time. Plain output (CI, pipes) is whole lines, written as they
 * come, each naming its environment; listr2 (the heaviest module of the CLI) is loaded only
 * for a terminal, where it shows the running environments live.
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
  // A terminal: listr2 shows every environment live; the schedule decides when each starts.
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
        await view.settle;
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
