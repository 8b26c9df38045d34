import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError, UserError } from '../errors/user-error.js';
import { planParts } from '../parts/plan-parts.js';
import { loadManifest } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { observeDisk } from '../plan/observe.js';
import { planEnvironments } from '../plan/planner.js';
import type { DesiredEnvironment, Plan } from '../plan/types.js';
import type { DiscoveryOptions } from '../python/index.js';
import { resolveEnvironments } from '../resolve/resolve-environments.js';
import { readState, serializeState } from '../state/store.js';
import { emptyState, type StateFile } from '../state/types.js';
import { ENVBUILD_VERSION } from '../version.js';

export interface EngineOptions {
  /** Limit the command to these environments (repeatable `--env`). */
  readonly only?: readonly string[];
  readonly discovery?: DiscoveryOptions;
}

/** Everything a command needs after the read-only stages: load → resolve → observe → plan. */
export interface Prepared {
  readonly manifest: Manifest;
  readonly desired: readonly DesiredEnvironment[];
  readonly state: StateFile;
  /** The state file's serialised form as read, to skip rewriting identical bytes. */
  readonly stateText: string;
  readonly plan: Plan;
}

/**
 * `validate: true` (envbuild validate): the manifest, its interpreters and its parts' options
 * are checked as for a first apply, without looking at the disk — what is there does not make a
 * manifest valid or not, and at 1,000 environments observing it was a fifth of the work.
 */
export async function prepare(manifestFile: string, options: EngineOptions & { destroy?: boolean; validate?: boolean } = {}): Promise<Prepared> {
  const manifest = await loadManifest(manifestFile);
  const state = await readState(manifest.dir, ENVBUILD_VERSION);
  checkSelection(manifest, state, options.only);
  const only = options.only && options.only.length > 0 ? { only: options.only } : {};
  // Destroy needs no interpreter: what to remove is all in the state.
  const desired = options.destroy
    ? []
    : await resolveEnvironments(manifest, { ...only, ...(options.discovery ? { discovery: options.discovery } : {}) });
  const planned = options.validate ? emptyState(state.writtenBy) : state;
  const observed = options.validate ? {} : await observeDisk(desired, state);
  const envPlan = planEnvironments(manifest.file, desired, planned, observed, {
    ...only,
    ...(options.destroy ? { destroy: true } : {}),
  });
  const plan = await withParts(envPlan, manifest, desired, planned);
  return { manifest, desired, state, stateText: serializeState(state), plan };
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
