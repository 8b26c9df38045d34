/**
 * The recipe API: what a part's recipe is and what it may use. Built-in recipes (in
 * `recipes/<name>/`) are written against exactly this, imported as `envbuild`, like a
 * third-party recipe would be. A recipe never talks to the terminal, the state file or
 * listr2: the runner does, and hands the recipe a small context instead.
 */
import type { IsolationMode } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import type { LockedPackage } from '../lock/model.js';

/** A JSON Schema (draft-07 / 2019-09 subset that ajv accepts) for a recipe's options. */
export type OptionsSchema = Readonly<Record<string, unknown>>;

/** The environment a part belongs to, as recipes see it. All paths absolute. */
export interface RecipeEnvironment {
  readonly name: string;
  /** Root of the environment. */
  readonly path: string;
  /** The environment's own interpreter, `<path>/bin/python`. */
  readonly python: string;
  /** The base interpreter the environment was made from. */
  readonly base: PythonInfo;
  readonly layout: 'venv' | 'classic';
  readonly isolation: IsolationMode;
  /** The environment's site-packages (purelib). */
  readonly sitePackages: string;
  /** Where the environment's scripts go (`<path>/bin`). */
  readonly bin: string;
}

/** What state keeps of an applied part, and hands back to its recipe next time. */
export interface PartRecord {
  readonly recipe: string;
  readonly version: string;
  /** Hash of everything that defines the part: options, recipe, interpreter, referenced outputs. */
  readonly fingerprint: string;
  /** The options as resolved (interpolated) when applied. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Absolute paths the part created, with what they were, for drift checks and safe removal. */
  readonly created: readonly CreatedPath[];
}

export type CreatedPath =
  | { readonly path: string; readonly kind: 'file'; readonly sha256: string; readonly mode: number }
  | { readonly path: string; readonly kind: 'dir' }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string };

export type PartAction = 'create' | 'update' | 'replace' | 'no-op';

export interface PartDecision {
  readonly action: PartAction;
  /** Why, for the plan: "pin changed attrs==23.1.0 → attrs==23.2.0", "etc/app.ini missing". */
  readonly reasons: readonly string[];
}

/** Input of `plan`: everything needed to decide, nothing to act with. */
export interface PlanInput<Options> {
  readonly part: string;
  readonly options: Options;
  /** The record of the last apply of this part; null for a new part. */
  readonly previous: PartRecord | null;
  /**
   * What the runner found changed since `previous`, as reasons: options, recipe version,
   * interpreter, referenced outputs, and created paths missing or edited on disk. Empty when
   * nothing changed. The default plan turns this into create / update / no-op.
   */
  readonly changes: readonly string[];
  readonly env: RecipeEnvironment;
  readonly manifestDir: string;
  /**
   * For a recipe with a `lock` hook: what the environment's lock pins for this part (absolute
   * paths), which `apply` will install. Undefined when the part is not locked (no hook, or a
   * resolver that can only pin after installing).
   */
  readonly locked?: readonly LockedPackage[];
}

export type { LockedPackage };

/** What `lock.resolve` found: the packages, and how (`pip 23.0.1 --report`). */
export type LockResolution =
  | { readonly packages: readonly LockedPackage[]; readonly resolver: string }
  /** Nothing can be resolved without installing (pip < 22.2): the part is applied, then `pinned`. */
  | { readonly pinAfterInstall: string };

/** The lock hooks of a recipe whose part installs distributions (the packages recipe). */
export interface LockHooks<Options> {
  /**
   * Files whose content decides what `resolve` finds (requirement files, local archives), as
   * absolute path → sha256 (null: missing). Reads only; the lock's input digest includes them.
   */
  inputs(input: { readonly options: Options; readonly manifestDir: string }): Promise<Readonly<Record<string, string | null>>>;
  /** Resolves the part's requirements without installing anything. */
  resolve(ctx: Omit<ApplyContext<Options>, 'previous' | 'locked'>): Promise<LockResolution>;
}

export interface ExecOptions {
  readonly cwd?: string;
  /** Added to (or, with `undefined`, removed from) the inherited environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly input?: string;
  /** Resolve with a non-zero code instead of failing the part. */
  readonly allowFailure?: boolean;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What `apply` and `remove` may use. */
export interface ApplyContext<Options> {
  readonly part: string;
  readonly options: Options;
  readonly previous: PartRecord | null;
  readonly env: RecipeEnvironment;
  readonly manifestDir: string;
  /** Aborted on Ctrl-C: stop at the next safe point. `exec` kills its child. */
  readonly signal: AbortSignal;
  /** One line of progress, shown beside the part while it runs. */
  log(message: string): void;
  /**
   * Runs a program, capturing its output; its last output line is shown as progress. A
   * non-zero exit fails the part with the command and its output, unless `allowFailure`.
   */
  exec(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** What the lock pins for this part: install exactly these (see PlanInput.locked). */
  readonly locked?: readonly LockedPackage[];
}

export interface ApplyOutcome {
  /** Values other parts may reference as `${parts.<env>.<part>.<key>}`; kept in state. */
  readonly outputs?: Readonly<Record<string, unknown>>;
  /**
   * Absolute paths this part created. The runner records what each is now, checks them for
   * drift on later runs, and removes them (if still unchanged) when the part goes away.
   */
  readonly created?: readonly string[];
  /** When the part could not be resolved beforehand (LockResolution.pinAfterInstall): what it installed, to pin. */
  readonly pinned?: readonly LockedPackage[];
}

/**
 * The environment as a part being removed sees it. Its interpreter may be gone (the
 * environment may be removed because it moved to another Python), so there is no `base`.
 */
export type RemovalEnvironment = Omit<RecipeEnvironment, 'base'>;

export interface RemoveContext extends Omit<ApplyContext<Readonly<Record<string, unknown>>>, 'previous' | 'env' | 'locked'> {
  readonly env: RemovalEnvironment;
  readonly previous: PartRecord;
  /**
   * Why the part goes: dropped from the manifest, or its whole environment is removed or
   * rebuilt (then undoing changes inside the environment may be skipped: it is deleted anyway).
   */
  readonly reason: 'part-removed' | 'environment-removed' | 'environment-replaced';
  /** Removes the recorded created paths that are still what the part made; reports the others. */
  removeCreated(): Promise<void>;
}

export interface RecipeDefinition<Options = Readonly<Record<string, unknown>>> {
  /** A name for messages and state, e.g. `packages` or `acme-nginx`. */
  readonly name: string;
  /** Bumping it re-plans every part that uses the recipe. */
  readonly version: string;
  readonly description?: string;
  /** JSON Schema of the part's options (the part's keys other than `recipe`). */
  readonly options: OptionsSchema;
  /**
   * Decides what to do, with reasons; must not change anything. Optional: by default a new
   * part is created, a part with `changes` is updated, and anything else is left as is.
   */
  plan?(input: PlanInput<Options>): PartDecision | Promise<PartDecision>;
  apply(ctx: ApplyContext<Options>): Promise<ApplyOutcome | void>;
  /** Undoes the part. By default: `removeCreated()`. */
  remove?(ctx: RemoveContext): Promise<void>;
  /** For a part that installs distributions: how to lock them (see LockHooks). */
  readonly lock?: LockHooks<Options>;
}

declare const recipeBrand: unique symbol;

// Not Readonly<>: that would turn the methods into function-typed properties, checked
// contravariantly, and a Recipe<MyOptions> would no longer be assignable to Recipe.
export type Recipe<Options = Readonly<Record<string, unknown>>> = RecipeDefinition<Options> & {
  readonly [recipeBrand]: true;
};

const NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Makes a recipe from a plain object, checking its shape so that a malformed third-party
 * recipe fails when loaded, with a message naming what is wrong, not later mid-apply.
 */
export function defineRecipe<Options = Readonly<Record<string, unknown>>>(definition: RecipeDefinition<Options>): Recipe<Options> {
  const problems = recipeProblems(definition);
  if (problems.length > 0) throw new TypeError(`invalid recipe: ${problems.join('; ')}`);
  return Object.freeze({ ...definition }) as Recipe<Options>;
}

/** Why a value is not a usable recipe (empty when it is); also used on third-party modules. */
export function recipeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['a recipe must be an object made with defineRecipe()'];
  const r = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof r['name'] !== 'string' || !NAME.test(r['name'])) problems.push('"name" must be a string like "my-recipe"');
  if (typeof r['version'] !== 'string' || r['version'] === '') problems.push('"version" must be a non-empty string');
  if (typeof r['options'] !== 'object' || r['options'] === null || Array.isArray(r['options'])) {
    problems.push('"options" must be a JSON Schema object');
  }
  if (typeof r['apply'] !== 'function') problems.push('"apply" must be a function');
  for (const k of ['plan', 'remove'] as const) {
    if (r[k] !== undefined && typeof r[k] !== 'function') problems.push(`"${k}" must be a function when given`);
  }
  const lock = r['lock'] as Record<string, unknown> | undefined;
  if (lock !== undefined && (typeof lock !== 'object' || lock === null || typeof lock['inputs'] !== 'function' || typeof lock['resolve'] !== 'function')) {
    problems.push('"lock" must be an object with "inputs" and "resolve" functions when given');
  }
  return problems;
}
