import type { EntryDigest, Observed, TreeEntry } from '../layout/tree.js';
import type { SourceLocation } from '../errors/diagnostic.js';
import type { EnvironmentInputs } from '../state/types.js';
import type { RecipeEnvironment } from '../recipe-api/api.js';
import type { LoadedRecipe } from '../parts/loaded-recipe.js';
import type { ResolvedAllowlist } from '../isolation/index.js';
import type { EnvironmentLockStatus } from '../lock/model.js';

export type Action = 'create' | 'update' | 'replace' | 'remove' | 'no-op';

/** One environment as the manifest wants it, fully resolved: everything the planner compares. */
export interface DesiredEnvironment {
  readonly name: string;
  /** Absolute root. */
  readonly path: string;
  readonly inputs: EnvironmentInputs;
  /** Rendered content, parents before children. */
  readonly entries: readonly TreeEntry[];
  /** Digest of each entry by path (computed beforehand: a copy's digest needs to read its source). */
  readonly digests: Readonly<Record<string, EntryDigest>>;
  /** Facts to show in the plan (e.g. allowlist resolution, a missing global dependency). */
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
  readonly at?: SourceLocation;
  /** Files produced by a step run after the entries are written; see DerivedFiles. */
  readonly derived?: DerivedFiles;
  /** For cherry-pick: the resolved allowlist, recorded in state for the audit's drift checks. */
  readonly allowlist?: ResolvedAllowlist;
  /** The environment as recipes see it. */
  readonly recipeEnv: RecipeEnvironment;
  /** The id its marker carries (see layout/identity.ts): recorded, found in a matching environment on disk, or new. */
  readonly id?: string;
  /** Parts in the order they are applied: manifest order, moved after the parts they reference. */
  readonly parts: readonly DesiredPart[];
  /** The environment's lock, after the lock stage (absent for destroy). */
  readonly locked?: EnvironmentLockStatus;
}

/** A part as the manifest wants it; its options are interpolated only when planned or applied. */
export interface DesiredPart {
  readonly name: string;
  readonly recipeRef: string;
  readonly loaded: LoadedRecipe;
  /** Options as written, `${...}` unresolved. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly at: SourceLocation;
  /** Parts whose outputs this one references. */
  readonly uses: ReadonlyArray<{ readonly env: string; readonly part: string }>;
  /** How long its apply may run (the part's `timeout:`), in milliseconds. */
  readonly timeoutMs?: number;
}

export interface PartPlan {
  readonly name: string;
  /** The recipe reference as written (`packages`, `./recipes/mine.mjs`). */
  readonly recipe: string;
  readonly action: Action;
  readonly reasons: readonly string[];
}

/**
 * Files whose bytes only a program can produce (a classic environment's site.pyc, compiled by
 * its own interpreter), so no renderer can describe them in advance. They are recorded as
 * found after `build` runs, checked against that record like any entry, and rebuilt when
 * missing, edited, or when one of the entries they are made from is rewritten.
 */
export interface DerivedFiles {
  readonly paths: readonly string[];
  /** Entry paths whose rewrite makes the derived files stale. */
  readonly inputs: readonly string[];
  readonly build: (root: string, signal?: AbortSignal) => Promise<void>;
}

/** What is on disk, for the roots and entry paths the planner asks about. */
export interface RootObservation {
  /** Top-level names in the root; null when the root does not exist. */
  readonly children: readonly string[] | null;
  /** Observed state of each entry path of interest (desired and recorded). */
  readonly entries: Readonly<Record<string, Observed>>;
  /** The `envbuild-id` the root's marker carries (pyvenv.cfg or envbuild.cfg); null when none. */
  readonly marker?: string | null;
  /** For roots inside the project: the first component on the way that is a symbolic link. */
  readonly linked?: { readonly path: string; readonly target: string };
}

export type Observations = Readonly<Record<string /* absolute root */, RootObservation>>;

export interface EntryRemoval {
  readonly path: string;
  readonly digest: EntryDigest;
}

export interface EnvironmentPlan {
  readonly name: string;
  readonly action: Action;
  readonly path: string;
  /** Why the action is needed, most important first; empty for no-op. */
  readonly reasons: readonly string[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
  /** For replace and remove: the root whose recorded entries are removed (may differ from path). */
  readonly removeFrom?: string;
  /** Recorded entries to remove (each is checked to still be ours before deletion), children first. */
  readonly removals: readonly EntryRemoval[];
  /** Entries to write. */
  readonly writes: readonly TreeEntry[];
  /** Existing entries to take into state as they are (an environment found on disk that matches exactly). */
  readonly adopt: boolean;
  /** What happens to each part, in apply order (removals first). */
  readonly parts: readonly PartPlan[];
  /** Run the environment's derived-file step after the writes. */
  readonly rebuild: boolean;
  /** Problems that forbid applying this environment (e.g. a foreign directory in the way). */
  readonly conflicts: readonly string[];
  /**
   * The recorded root cannot be confirmed as this environment (it does not carry the recorded
   * id): nothing in it is removed, the record is dropped, and this says why.
   */
  readonly forget?: string;
  /** `--replace-foreign`: the directory in the way is first renamed to this path (never deleted). */
  readonly backup?: string;
  /** The environment's lock file: what changes in it (written by apply), and where the machine differs. */
  readonly lock?: LockPlan;
}

export interface LockPlan {
  /** Absolute path. */
  readonly file: string;
  readonly write: boolean;
  readonly changes: readonly string[];
  readonly problems: readonly string[];
}

export interface Plan {
  readonly manifest: string;
  readonly environments: readonly EnvironmentPlan[];
  /** Facts about the state itself: not signed, migrated, the project moved. */
  readonly notes?: readonly string[];
  /** The state must be written even when no environment changes (to sign or migrate it). */
  readonly stateRewrite?: boolean;
}

export function hasChanges(plan: Plan): boolean {
  return plan.stateRewrite === true || plan.environments.some((e) => e.action !== 'no-op' || e.parts.some((p) => p.action !== 'no-op') || e.lock?.write === true);
}

export function hasConflicts(plan: Plan): boolean {
  return plan.environments.some((e) => e.conflicts.length > 0);
}
