import { InterruptedError, UserError } from '../errors/user-error.js';
import { executeEnvironment, type EnvironmentOutcome } from '../apply/execute-environment.js';
import { hasChanges, hasConflicts, type Plan } from '../plan/types.js';
import { acquireLock } from '../state/lock.js';
import { deleteState, serializeState, writeState } from '../state/store.js';
import type { EnvironmentState, StateFile } from '../state/types.js';
import { prepare, type EngineOptions, type Prepared } from './prepare.js';
import { ENVBUILD_VERSION } from './version.js';

/** How progress is shown: listr2's live renderer, plain lines (CI, pipes), or nothing (JSON, library use). */
export type ProgressMode = 'interactive' | 'plain' | 'silent';

export interface ApplyOptions extends EngineOptions {
  readonly progress?: ProgressMode;
  /** Wait for a concurrent apply to finish instead of failing at once. */
  readonly wait?: boolean;
  /** Aborting stops after the current step; state is saved and InterruptedError is thrown. */
  readonly signal?: AbortSignal;
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
  if (!hasChanges(first.plan)) return { plan: first.plan, outcomes: [], stateWritten: false };

  const release = await acquireLock(first.manifest.dir, {
    ...(options.wait ? { wait: true } : {}),
    command: `envbuild ${destroying ? 'destroy' : 'apply'} ${manifestFile}`,
  });
  try {
    // Another process may have changed things between the look and the lock: plan again.
    const prepared = await prepare(manifestFile, { ...options, destroy: destroying });
    if (hasConflicts(prepared.plan)) {
      const lines = prepared.plan.environments.flatMap((e) => e.conflicts.map((c) => `  ${e.name}: ${c}`));
      throw new UserError('ECONFLICT', `nothing was changed, because:\n${lines.join('\n')}`, {
        hint: 'envbuild never overwrites what it did not create',
      });
    }
    return await execute(prepared, options, destroying);
  } finally {
    await release();
  }
}

async function execute(prepared: Prepared, options: ApplyOptions, destroying: boolean): Promise<ApplyResult> {
  const { plan, desired } = prepared;
  let state: StateFile = prepared.state;
  let stateText = prepared.stateText;
  let stateWritten = false;
  const outcomes: EnvironmentOutcome[] = [];
  const byName = new Map(desired.map((d) => [d.name, d]));

  const save = async (name: string, envState: EnvironmentState | null) => {
    const environments = { ...state.environments };
    if (envState) environments[name] = envState;
    else delete environments[name];
    state = { ...state, writtenBy: ENVBUILD_VERSION, environments };
    if (destroying && Object.keys(environments).length === 0) {
      await deleteState(prepared.manifest.dir);
      stateWritten = true;
      return;
    }
    if (await writeState(prepared.manifest.dir, state, stateText)) stateWritten = true;
    stateText = serializeState(state);
  };

  const steps = plan.environments
    .filter((e) => e.action !== 'no-op')
    .map((envPlan) => ({
      title: `${envPlan.action} ${envPlan.name}`,
      run: async (progress: (m: string) => void) => {
        const { outcome, state: envState } = await executeEnvironment(
          envPlan,
          byName.get(envPlan.name),
          state.environments[envPlan.name],
          { ...(options.signal ? { signal: options.signal } : {}), progress },
        );
        // Recorded after each environment, so an interruption loses at most the one in flight.
        await save(envPlan.name, envState);
        outcomes.push(outcome);
      },
    }));

  try {
    await runSteps(steps, options.progress ?? 'silent');
  } catch (e) {
    if (options.signal?.aborted) throw new InterruptedError(String(options.signal.reason ?? 'SIGINT'));
    throw e;
  }
  return { plan, outcomes, stateWritten };
}

interface Step {
  readonly title: string;
  readonly run: (progress: (message: string) => void) => Promise<void>;
}

/** listr2 is loaded only when there is work to show: it is the heaviest module of the CLI. */
async function runSteps(steps: readonly Step[], mode: ProgressMode): Promise<void> {
  if (mode === 'silent') {
    for (const step of steps) await step.run(() => undefined);
    return;
  }
  const { Listr } = await import('listr2');
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      task: async (_ctx: unknown, task: { output: string }) => {
        await step.run((m) => (task.output = m));
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      // The CLI owns SIGINT: it aborts the signal so state can be saved before exiting 130.
      registerSignalListeners: false,
      renderer: mode === 'interactive' ? 'default' : 'simple',
      fallbackRenderer: 'simple',
      fallbackRendererCondition: mode !== 'interactive',
    },
  );
  await list.run();
}
