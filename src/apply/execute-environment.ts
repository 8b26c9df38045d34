import fs from 'node:fs/promises';
import path from 'node:path';
import { markerOf } from '../layout/identity.js';
import { faultPoint } from '../fault-injection.js';
import { fingerprintSync, observe, removeEntry, sweepTemporaries, writeEntry, writeFreshTree, type RemoveOutcome } from '../layout/materialize.js';
import type { EntryDigest } from '../layout/tree.js';
import { recordedEntries } from '../plan/planner.js';
import type { DesiredEnvironment, EnvironmentPlan } from '../plan/types.js';
import type { EnvironmentState, RecordedEntry } from '../state/types.js';
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
  readonly parts?: ReadonlyArray<{ readonly name: string; readonly action: string; /** What it changed, in a few words. */ readonly summary?: string }>;
  /** `--replace-foreign`: where the directory that was in the way now is. */
  readonly backup?: string;
}

export interface ExecuteHooks {
  /** Filesystem time this environment's build started (an interrupted attempt's included). */
  readonly since?: number;
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

  if (plan.forget && plan.removeFrom) kept.push({ path: plan.removeFrom, why: plan.forget });
  // What a killed run may have left: a staging directory, temporaries of unfinished writes.
  if (plan.removeFrom && !plan.forget) {
    await clearStaging(plan.removeFrom);
    await sweepTemporaries(plan.removeFrom, directoriesOf(plan.removals));
  }
  if (desired) {
    await clearStaging(desired.path);
    await sweepTemporaries(desired.path, directoriesOf(desired.entries));
  }

  if (plan.removeFrom && !plan.forget && plan.removals.length > 0) {
    hooks.progress?.(`removing ${plan.removals.length} recorded entries`);
    for (const r of plan.removals) {
      hooks.signal?.throwIfAborted();
      const res: RemoveOutcome = await removeEntry(plan.removeFrom, r.path, r.digest);
      if (res.result === 'removed') removed++;
      else if (res.result === 'kept') kept.push({ path: `${plan.removeFrom}/${r.path}`, why: res.why });
    }
    // An adopted replacement already occupies its root: only a root left behind goes.
    if (plan.action === 'remove' || (plan.action === 'replace' && !(plan.adopt && plan.removeFrom === desired?.path))) {
      const gone = await removeRootIfEmpty(plan.removeFrom, kept);
      // Removed, or moved elsewhere: the directories envbuild made above the old root go when empty.
      const above = (previous?.parents ?? []).filter((dir) => desired === undefined || !desired.path.startsWith(`${dir}/`));
      if (gone) await removeParentsIfEmpty(above);
    }
  }

  let backup: string | undefined;
  if (desired && plan.backup) {
    // Never deleted: renamed beside it, under a name that says what it is and when.
    await fs.rename(desired.path, plan.backup);
    faultPoint(`backup ${desired.path}`);
    backup = plan.backup;
    hooks.progress?.(`moved ${desired.path} aside to ${backup}`);
  }

  // Directories above the root are kept with the environment only while they are above it.
  let parents: string[] = (previous?.parents ?? []).filter((dir) => desired !== undefined && desired.path.startsWith(`${dir}/`));
  // An environment an interrupted run built and did not record: the directories above it that
  // run made are this build's.
  if (desired && plan.adopt && hooks.since !== undefined) parents = [...new Set([...parents, ...(await madeParents(desired.path, hooks.since))])];
  if (desired && plan.writes.length > 0) {
    const fresh = await isAbsentOrEmpty(desired.path);
    if (fresh) {
      hooks.progress?.(`building ${plan.writes.length} entries in a staging directory`);
      // Directories above the root that envbuild creates are recorded, so destroy removes them.
      parents = [...new Set([...parents, ...(await madeParents(desired.path, hooks.since))])];
      const staging = await prepareStaging(desired.path);
      // The marker first: a staging directory is cleared by a later run only when it carries one.
      const marker = markerOf(plan.writes);
      const first = plan.writes.filter((e) => e.path === marker);
      for (const entry of first) await writeEntry(staging, entry);
      hooks.signal?.throwIfAborted();
      // The rest, directories first, files several at a time.
      await writeFreshTree(staging, plan.writes.filter((e) => e.path !== marker), hooks.signal);
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
    ...(backup ? { backup } : {}),
  };
  if (!desired) return { outcome, state: null };
  return {
    outcome,
    state: {
      path: desired.path,
      ...(desired.id ? { id: desired.id } : {}),
      ...(parents.length > 0 ? { parents } : {}),
      inputs: desired.inputs,
      entries: withFingerprints(desired.path, [...recordedEntries(desired), ...derived]),
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

/**
 * Each file entry with the fingerprint of the file now on disk, which this run wrote or the
 * plan found matching: the next plan confirms it with one lstat instead of a read and a hash.
 */
function withFingerprints(root: string, entries: ReadonlyArray<{ path: string; digest: EntryDigest }>): RecordedEntry[] {
  return entries.map((e) => {
    if (e.digest.kind !== 'file' && e.digest.kind !== 'copy') return e;
    const stat = fingerprintSync(root, e.path);
    return stat === undefined ? e : { ...e, stat };
  });
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

/** The root itself is removed only when nothing is left in it: user files keep it alive. Returns whether it is gone. */
async function removeRootIfEmpty(root: string, kept: Array<{ path: string; why: string }>): Promise<boolean> {
  let left: string[];
  try {
    left = await fs.readdir(root);
  } catch {
    return true;
  }
  if (left.length === 0) {
    await fs.rmdir(root);
    faultPoint(`rmdir ${root}`);
    return true;
  }
  if (!kept.some((k) => k.path.startsWith(`${root}/`))) {
    kept.push({ path: root, why: `not empty: holds ${left.sort().slice(0, 5).join(', ')}` });
  }
  return false;
}

/**
 * The directories above `root` that this build makes: those that do not exist yet, and those
 * an interrupted attempt of it made (born since it started), outermost first.
 */
async function madeParents(root: string, since: number | undefined): Promise<string[]> {
  const out: string[] = [];
  for (let at = path.dirname(root); at !== path.dirname(at); at = path.dirname(at)) {
    const st = await fs.lstat(at).catch(() => null);
    if (st && !(since !== undefined && st.isDirectory() && (st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs) >= since)) break;
    out.unshift(at);
  }
  return out;
}

/** Directories envbuild created above a removed root go too, innermost first, while empty. */
async function removeParentsIfEmpty(parents: readonly string[]): Promise<void> {
  for (const dir of [...parents].sort((a, b) => b.length - a.length)) {
    try {
      await fs.rmdir(dir);
      faultPoint(`rmdir ${dir}`);
    } catch {
      // Not empty (another environment, a user file) or already gone: it stays.
    }
  }
}
