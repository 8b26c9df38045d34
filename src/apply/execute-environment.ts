import fs from 'node:fs/promises';
import { faultPoint } from '../fault-injection.js';
import { observe, removeEntry, sweepTemporaries, writeEntry, writeFreshTree, type RemoveOutcome } from '../layout/materialize.js';
import type { EntryDigest } from '../layout/tree.js';
import { recordedEntries } from '../plan/planner.js';
import type { DesiredEnvironment, EnvironmentPlan } from '../plan/types.js';
import type { EnvironmentState } from '../state/types.js';
import { clearStaging, prepareStaging, promoteStaging } from './staging.js';

export interface EnvironmentOutcome {
  readonly name: string;
  readonly action: EnvironmentPlan['action'];
  readonly path: string;
  readonly reasons: readonly string[];
  readonly written: number;
  readonly removed: number;
  /** Paths that were not deleted because they are not (or no longer) what envbuild made. */
  readonly kept: ReadonlyArray<{ readonly path: string; readonly why: string }>;
  /** Parts created, updated, replaced or removed, in the order it happened. */
  readonly parts?: ReadonlyArray<{ readonly name: string; readonly action: string }>;
}

export interface ExecuteHooks {
  readonly signal?: AbortSignal;
  readonly progress?: (message: string) => void;
}

/**
 * Carries out one environment's plan and returns the state to record for it (null once
 * removed). Removal goes first, so a replace never mixes old and new entries.
 */
export async function executeEnvironment(
  plan: EnvironmentPlan,
  desired: DesiredEnvironment | undefined,
  previous: EnvironmentState | undefined,
  hooks: ExecuteHooks = {},
): Promise<{ outcome: EnvironmentOutcome; state: EnvironmentState | null }> {
  const kept: Array<{ path: string; why: string }> = [];
  let removed = 0;
  let written = 0;

  // What a killed run may have left: a staging directory, temporaries of unfinished writes.
  if (plan.removeFrom) {
    await clearStaging(plan.removeFrom);
    await sweepTemporaries(plan.removeFrom, directoriesOf(plan.removals));
  }
  if (desired) {
    await clearStaging(desired.path);
    await sweepTemporaries(desired.path, directoriesOf(desired.entries));
  }

  if (plan.removeFrom && plan.removals.length > 0) {
    hooks.progress?.(`removing ${plan.removals.length} recorded entries`);
    for (const r of plan.removals) {
      hooks.signal?.throwIfAborted();
      const res: RemoveOutcome = await removeEntry(plan.removeFrom, r.path, r.digest);
      if (res.result === 'removed') removed++;
      else if (res.result === 'kept') kept.push({ path: `${plan.removeFrom}/${r.path}`, why: res.why });
    }
    // An adopted replacement already occupies its root: only a root left behind goes.
    if (plan.action === 'remove' || (plan.action === 'replace' && !(plan.adopt && plan.removeFrom === desired?.path))) {
      await removeRootIfEmpty(plan.removeFrom, kept);
    }
  }

  if (desired && plan.writes.length > 0) {
    const fresh = await isAbsentOrEmpty(desired.path);
    if (fresh) {
      hooks.progress?.(`building ${plan.writes.length} entries in a staging directory`);
      const staging = await prepareStaging(desired.path);
      await writeFreshTree(staging, plan.writes, hooks.signal);
      written = plan.writes.length;
      hooks.signal?.throwIfAborted();
      await promoteStaging(staging, desired.path);
    } else {
      hooks.progress?.(`writing ${plan.writes.length} entries`);
      for (const entry of plan.writes) {
        hooks.signal?.throwIfAborted();
        await writeEntry(desired.path, entry);
        written++;
      }
    }
  }

  let derived: Array<{ path: string; digest: EntryDigest }> = [];
  if (desired?.derived) {
    if (plan.rebuild) {
      hooks.progress?.('building derived files');
      hooks.signal?.throwIfAborted();
      await desired.derived.build(desired.path, hooks.signal);
      derived = await recordAsFound(desired.path, desired.derived.paths);
    } else {
      const before = new Map((previous?.entries ?? []).map((e) => [e.path, e.digest]));
      derived = desired.derived.paths.flatMap((p) => {
        const digest = before.get(p);
        return digest ? [{ path: p, digest }] : [];
      });
    }
  }

  const outcome: EnvironmentOutcome = {
    name: plan.name,
    action: plan.action,
    path: plan.path,
    reasons: plan.reasons,
    written,
    removed,
    kept,
  };
  if (!desired) return { outcome, state: null };
  return {
    outcome,
    state: {
      path: desired.path,
      inputs: desired.inputs,
      entries: [...recordedEntries(desired), ...derived],
      // The runner fills in parts as it applies them.
      parts: {},
    },
  };
}

/** The root ('') and every directory that holds or is one of these entries. */
function directoriesOf(entries: ReadonlyArray<{ readonly path: string; readonly kind?: string; readonly digest?: EntryDigest }>): string[] {
  const dirs = new Set<string>(['']);
  for (const e of entries) {
    const parent = e.path.split('/').slice(0, -1).join('/');
    dirs.add(parent);
    if (e.kind === 'dir' || e.digest?.kind === 'dir') dirs.add(e.path);
  }
  return [...dirs];
}

/** Derived files are recorded by what the build step left on disk. */
async function recordAsFound(root: string, paths: readonly string[]): Promise<Array<{ path: string; digest: EntryDigest }>> {
  const out: Array<{ path: string; digest: EntryDigest }> = [];
  for (const p of paths) {
    const seen = await observe(root, p);
    if (seen.kind !== 'file') throw new Error(`the build step did not produce ${root}/${p}`);
    out.push({ path: p, digest: { kind: 'file', sha256: seen.sha256, mode: seen.mode } });
  }
  return out;
}

async function isAbsentOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** The root itself is removed only when nothing is left in it: user files keep it alive. */
async function removeRootIfEmpty(root: string, kept: Array<{ path: string; why: string }>): Promise<void> {
  let left: string[];
  try {
    left = await fs.readdir(root);
  } catch {
    return;
  }
  if (left.length === 0) {
    await fs.rmdir(root);
    faultPoint(`rmdir ${root}`);
    return;
  }
  if (!kept.some((k) => k.path.startsWith(`${root}/`))) {
    kept.push({ path: root, why: `not empty: holds ${left.sort().slice(0, 5).join(', ')}` });
  }
}
