import fs from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError, UserError } from '../errors/user-error.js';
import { newEnvironmentId, readEnvironmentId, withEnvironmentId } from '../layout/identity.js';
import { digestEntry } from '../layout/materialize.js';
import { planParts } from '../parts/plan-parts.js';
import { loadManifestWithProblems, type LoadManifestOptions } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { observeDisk } from '../plan/observe.js';
import { planEnvironments } from '../plan/planner.js';
import type { DesiredEnvironment, Plan } from '../plan/types.js';
import { defaultCacheDir, type DiscoveryOptions } from '../python/index.js';
import { resolveEnvironments, sortDiagnostics } from '../resolve/resolve-environments.js';
import { resolutionProblems } from '../resolve/resolution-problems.js';
import { otherStates, readState, stateBody, statePath } from '../state/store.js';
import { emptyState, type EnvironmentState, type LoadedState, type StateFile, type StateTrust } from '../state/types.js';
import { parseState } from '../state/validate-state.js';
import { readKey } from '../state/key.js';
import { journalRoots } from '../state/journal.js';
import { ENVBUILD_VERSION } from '../version.js';
import { lockedVersions, lockEnvironments, type LockMode, type LocksRead } from './locks.js';
import { traceStage } from '../trace.js';

export interface EngineOptions {
  /** Limit the command to these environments (repeatable `--env`). */
  readonly only?: readonly string[];
  readonly discovery?: DiscoveryOptions;
  /** How locks are used (default `auto`: a current lock is used, a stale one is resolved again). */
  readonly lockMode?: LockMode;
  readonly signal?: AbortSignal;
  /** apply: move a directory envbuild did not create out of an environment's way (to a named backup). */
  readonly replaceForeign?: boolean;
}

/** Everything a command needs after the read-only stages: load → resolve → observe → plan. */
export interface Prepared {
  readonly manifest: Manifest;
  readonly desired: readonly DesiredEnvironment[];
  readonly state: StateFile;
  /** The state's serialised body as read, to skip rewriting identical bytes. */
  readonly stateText: string;
  /** A signed state file's MAC, which the run's journal chains from (see state/journal.ts). */
  readonly stateMac?: string;
  /** A journal was found beside the state: the run's first write folds it in. */
  readonly journal?: boolean;
  readonly trust: StateTrust;
  /** A version-1 state file taken over by this manifest, removed once the new one is written. */
  readonly migratedFrom?: string;
  readonly plan: Plan;
  /**
   * Present only when the user had no state key while planning: stores the manifest trees
   * parsed for this command, signed with `secret`, for the apply that has created the key.
   */
  readonly keepParsed?: (secret?: Uint8Array) => boolean;
}

/**
 * `validate: true` (envbuild validate): the manifest, its interpreters and its parts' options
 * are checked as for a first apply, without looking at the environments on disk or at the
 * state — what is there does not make a manifest valid or not, and at 1,000 environments
 * observing it was a fifth of the work, and reading the state another.
 */
export async function prepare(manifestFile: string, options: EngineOptions & { destroy?: boolean; validate?: boolean } = {}): Promise<Prepared> {
  traceStage('load manifest');
  // Read once: it signs the parsed-manifest cache and verifies the state.
  const key = await readKey();
  const { manifest, keepParsed } = await loadOrStandIn(manifestFile, options, key);
  // validate judges the manifest alone: what a state records does not make it valid or not,
  // and at 1,000 environments reading and verifying the state was a fifth of the work.
  const loaded: LoadedState = options.validate
    ? { state: emptyState(ENVBUILD_VERSION), trust: 'none', file: statePath(manifest.file), notes: [] }
    : await readState(manifest.file, ENVBUILD_VERSION, (s) => belongsTo(manifest, s), key);
  const { state } = loaded;
  checkSelection(manifest, state, options.only);
  const only = options.only && options.only.length > 0 ? { only: options.only } : {};
  // Destroy needs no interpreter: what to remove is all in the state.
  if (!options.destroy) traceStage('resolve');
  const locksRead: LocksRead = new Map();
  const prefer = options.destroy ? undefined : await lockedVersions(manifest, locksRead);
  const resolved = options.destroy
    ? []
    : await resolveEnvironments(manifest, { ...only, ...(options.discovery ? { discovery: options.discovery } : {}), ...(prefer ? { prefer } : {}) });
  const locks = options.destroy
    ? new Map()
    : await lockEnvironments(manifest, resolved, state, { mode: options.lockMode ?? 'auto', read: locksRead, ...(options.signal ? { signal: options.signal } : {}) });
  const identified = await Promise.all(resolved.map((d) => identify(d, state, !options.validate)));
  const desired = identified.map((d) => (locks.has(d.name) ? { ...d, locked: locks.get(d.name) } : d));
  if (options.validate) return kept(await validated(manifest, desired, loaded), keepParsed);
  traceStage('observe and plan');
  const observed = await observeDisk(desired, state, manifest.dir, { trusted: loaded.trust === 'signed' });
  const envPlan = planEnvironments(manifest.file, desired, state, observed, {
    ...only,
    ...(options.destroy ? { destroy: true } : {}),
    project: manifest.dir,
    trusted: loaded.trust === 'signed',
    ...(state.project !== undefined && state.project !== manifest.dir && loaded.trust !== 'none' ? { movedFrom: state.project } : {}),
    ownedByOthers: await othersEnvironments(manifest.file),
    ...(options.replaceForeign ? { replaceForeign: { stamp: backupStamp() } } : {}),
  });
  const plan = withLocks(await withParts(envPlan, manifest, desired, state), desired);
  // An unsigned (or migrated) state with environments is recorded again, signed, by apply.
  // So is a journal a killed run left (or one it cannot believe): it is folded in, or removed.
  const stateRewrite = (loaded.trust === 'unsigned' && !options.destroy && Object.keys(state.environments).length > 0) || loaded.journal !== undefined;
  return kept(
    {
      manifest,
      desired,
      state: withFoundIds(state, desired, plan),
      stateText: loaded.trust === 'signed' && loaded.journal === undefined ? (loaded.body ?? stateBody(state, manifest.file)) : '',
      ...(loaded.mac !== undefined ? { stateMac: loaded.mac } : {}),
      ...(loaded.journal !== undefined ? { journal: true } : {}),
      trust: loaded.trust,
      ...(loaded.migratedFrom ? { migratedFrom: loaded.migratedFrom } : {}),
      plan: { ...plan, notes: loaded.notes, ...(stateRewrite ? { stateRewrite } : {}) },
    },
    keepParsed,
  );
}

/** A prepared command: only now, with nothing found wrong, are the manifest files parsed for it kept. */
function kept(prepared: Prepared, keepParsed: ((secret?: Uint8Array) => boolean) | undefined): Prepared {
  return keepParsed?.() ? { ...prepared, keepParsed } : prepared;
}

/** validate: every environment planned as a first apply would (so every part's options are checked), from nothing. */
async function validated(manifest: Manifest, desired: readonly DesiredEnvironment[], loaded: LoadedState): Promise<Prepared> {
  const nothing = emptyState(loaded.state.writtenBy);
  const envPlan = planEnvironments(manifest.file, desired, nothing, {}, { project: manifest.dir, trusted: false, ownedByOthers: {} });
  const plan = await withParts(envPlan, manifest, desired, nothing);
  return { manifest, desired, state: loaded.state, stateText: '', trust: loaded.trust, plan };
}

/**
 * The marker id of an environment: the one state recorded; else the one an environment found
 * where this one goes carries (the planner adopts it only if everything else matches exactly);
 * else a new one (validate does not look on disk).
 */
async function identify(d: DesiredEnvironment, state: StateFile, lookOnDisk: boolean): Promise<DesiredEnvironment> {
  const id = state.environments[d.name]?.id ?? (lookOnDisk ? await readEnvironmentId(d.path) : null) ?? newEnvironmentId();
  const entries = withEnvironmentId(d.entries, id);
  const digests = { ...d.digests };
  for (const e of entries) if (!(e.path in digests) || e.path === 'pyvenv.cfg') digests[e.path] = await digestEntry(e);
  return { ...d, id, entries, digests };
}

/**
 * A version-1 record has no id. When its environment is kept as it is (no-op), the id its
 * marker carries on disk is the one the plan checked: it is recorded from now on.
 */
function withFoundIds(state: StateFile, desired: readonly DesiredEnvironment[], plan: Plan): StateFile {
  let environments: Record<string, EnvironmentState> | undefined;
  const actions = new Map(plan.environments.map((e) => [e.name, e.action]));
  for (const d of desired) {
    const rec = state.environments[d.name];
    if (rec && rec.id === undefined && d.id && actions.get(d.name) === 'no-op') (environments ??= { ...state.environments })[d.name] = { ...rec, id: d.id };
  }
  return environments === undefined ? state : { ...state, environments };
}

/** A version-1 state belongs to this manifest when every environment it records is one this manifest declares there. */
export function belongsTo(manifest: Manifest, legacy: StateFile): boolean {
  const declared = new Map(manifest.environments.map((e) => [e.name, e.path]));
  return Object.entries(legacy.environments).every(([name, env]) => declared.get(name) === env.path);
}

/** Environment roots recorded by other manifests' states beside this one (read only for their paths). */
async function othersEnvironments(manifestFile: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const dir = path.dirname(manifestFile);
  for (const other of await otherStates(manifestFile)) {
    const file = statePath(path.join(dir, other));
    try {
      const state = parseState(await fs.readFile(file, 'utf8'), file, dir);
      const roots = new Map<string, string | null>(Object.entries(state.environments).map(([name, env]) => [name, env.path]));
      // And what a run of it that was killed recorded since (see state/journal.ts).
      for (const [name, root] of await journalRoots(file, dir)) roots.set(name, root);
      for (const root of roots.values()) if (root !== null) out[root] = other;
    } catch {
      // Another manifest's unreadable state is that manifest's problem.
    }
  }
  return out;
}

/** `20261130T021500Z`: sortable, and no characters a shell or a file name minds. */
function backupStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * The manifest; for destroy, when it is gone but its state is not, a stand-in declaring
 * nothing, so the recorded environments can still be removed.
 */
async function loadOrStandIn(manifestFile: string, options: EngineOptions & { destroy?: boolean }, key: Buffer | null): Promise<{ manifest: Manifest; keepParsed?: (secret?: Uint8Array) => boolean }> {
  const destroying = options.destroy === true;
  try {
    return await loadCollectingEverything(manifestFile, options, key);
  } catch (e) {
    if (!destroying || (await fs.lstat(manifestFile).then(() => true, () => false))) throw e;
    const file = path.resolve(manifestFile);
    const hasState = await fs.lstat(statePath(file)).then(() => true, () => false);
    if (!hasState) throw e;
    const at = { file, line: 1, col: 1 };
    const manifest: Manifest = {
      file,
      dir: path.dirname(file),
      format: 1,
      environments: [],
      source: { locate: () => at, locateKey: () => at } as unknown as Manifest['source'],
      locks: { dir: path.dirname(file), write: false },
    };
    return { manifest };
  }
}

/**
 * Adds each environment's part plans. Environments are taken in apply order, so a part that
 * reads another environment's part outputs knows whether those change. An environment whose
 * own content is unchanged but whose parts change is an update.
 */
async function withParts(plan: Plan, manifest: Manifest, desired: readonly DesiredEnvironment[], state: StateFile): Promise<Plan> {
  const byName = new Map(desired.map((d) => [d.name, d]));
  const changing = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const ctx = { manifest, desired, environments: state.environments, processEnv: process.env };
  const environments = [];
  for (const e of plan.environments) {
    const parts = await planParts(e, byName.get(e.name), ctx, changing, diagnostics);
    const partsChange = parts.some((p) => p.action !== 'no-op');
    environments.push({ ...e, parts, action: e.action === 'no-op' && partsChange ? ('update' as const) : e.action });
  }
  if (diagnostics.length > 0) throw new ManifestError(diagnostics);
  return { ...plan, environments };
}

/** Each environment's lock file: what changes in it, and where this machine differs from it. */
function withLocks(plan: Plan, desired: readonly DesiredEnvironment[]): Plan {
  const byName = new Map(desired.map((d) => [d.name, d.locked]));
  return {
    ...plan,
    environments: plan.environments.map((e) => {
      const l = byName.get(e.name);
      return l ? { ...e, lock: { file: l.file, write: l.write, changes: l.changes, problems: l.problems } } : e;
    }),
  };
}

function checkSelection(manifest: Manifest, state: StateFile, only: readonly string[] | undefined): void {
  if (!only) return;
  const known = new Set([...manifest.environments.map((e) => e.name), ...Object.keys(state.environments)]);
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UserError('EUNKNOWN_ENV', `no environment named ${unknown.map((n) => `"${n}"`).join(', ')} in ${manifest.file}`, {
      hint: `known environments: ${[...known].sort().join(', ') || '(none)'}`,
    });
  }
}

/**
 * The manifest, or every problem with it: when it has some, the ones resolution would find
 * next (interpreters, packages, recipes that cannot be found) are added, so a user fixes
 * everything in one pass.
 */
async function loadCollectingEverything(manifestFile: string, options: EngineOptions & { destroy?: boolean }, key: Buffer | null): Promise<{ manifest: Manifest; keepParsed?: (secret?: Uint8Array) => boolean }> {
  const { manifest, diagnostics, keepParsed } = await loadManifestWithProblems(manifestFile, treeCacheOf(options.discovery, key));
  if (!diagnostics.some((d) => d.severity === 'error') && manifest) return { manifest, ...(keepParsed ? { keepParsed } : {}) };
  const more =
    manifest && !options.destroy
      ? await resolutionProblems(manifest, diagnostics, {
          ...(options.only && options.only.length > 0 ? { only: options.only } : {}),
          ...(options.discovery ? { discovery: options.discovery } : {}),
        })
      : [];
  throw new ManifestError(more.length > 0 ? sortDiagnostics([...diagnostics, ...more]) : diagnostics);
}

export type { LoadedState };

/**
 * Parsed manifests are kept beside the interpreter probes (nowhere when those are not kept),
 * signed with the state key: before the first state is written there is no key, so nothing is
 * read, and what was parsed is kept once the apply has made one (`Prepared.keepParsed`).
 */
function treeCacheOf(discovery: DiscoveryOptions | undefined, secret: Buffer | null): LoadManifestOptions {
  if (discovery?.cacheDir === null) return {};
  return { treeCache: { dir: path.join(discovery?.cacheDir ?? defaultCacheDir(discovery?.env ?? process.env), 'manifest-trees'), secret } };
}
