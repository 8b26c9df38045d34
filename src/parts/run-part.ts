import { ManifestError } from '../errors/user-error.js';
import { interpolate, recordedForm, resolveRecordedEnv, type Lookup } from '../interpolate/interpolate.js';
import type { Manifest } from '../manifest/types.js';
import type { DesiredEnvironment, DesiredPart } from '../plan/types.js';
import type { ApplyContext, CreatedPath, PartRecord, Recipe, RemovalEnvironment, RemoveContext } from '../recipe-api/api.js';
import { removeCreatedPaths } from './created-paths.js';
import { checkClaims } from './claims.js';
import { execForPart } from './exec.js';
import { partFingerprint } from './fingerprint.js';
import { loadRecipe } from './load-recipe.js';
import { recipeFailure } from './recipe-failure.js';
import { checkOutputs } from './recipe-outputs.js';
import { settleRecipeCall } from './settle.js';
import { validateOptions } from './validate-options.js';
import { lockedFor } from './plan-parts.js';
import { digestSecrets, redactText, redactValue, rememberSecrets } from '../secrets/redact.js';

/** What the runner needs to check a part's claims (see claims.ts). */
export interface PartClaims {
  readonly project: string;
  /** Environment roots and recorded paths of everything else. */
  readonly otherRoots: readonly string[];
  readonly otherClaims: readonly string[];
  /** Filesystem time the part (an interrupted earlier attempt included) started. */
  readonly since: number;
}

export interface PartRunHooks {
  readonly signal: AbortSignal;
  readonly progress: (message: string) => void;
}

/**
 * Applies one part: options interpolated with the outputs known now (parts applied earlier in
 * this run included), validated, handed to the recipe; returns the record state keeps.
 */
export async function applyPart(
  manifest: Manifest,
  d: DesiredEnvironment,
  part: DesiredPart,
  previous: PartRecord | null,
  lookup: Lookup,
  hooks: PartRunHooks,
  claims: PartClaims,
): Promise<PartRecord> {
  const label = `${d.name}.${part.name}`;
  const keyBase = ['environments', d.name, 'parts', part.name] as const;
  const { value, issues } = interpolate(part.options, lookup);
  if (issues.length > 0) {
    throw new ManifestError(
      issues.map((i) => ({
        severity: 'error' as const,
        message: i.message,
        location: manifest.source.locate([...keyBase, ...i.path]),
        keyPath: [...keyBase, ...i.path].join('.'),
      })),
    );
  }
  const options = value as Record<string, unknown>;
  rememberSecrets(options);
  const recipe = part.loaded.recipe;
  const problems = await validateOptions(recipe, options, manifest.source, keyBase);
  if (problems.length > 0) throw new ManifestError(problems);

  let outcome;
  try {
    outcome = await settleRecipeCall(`part ${label} (${recipe.name})`, 'apply', hooks.signal, part.timeoutMs, (signal) => {
      const ctx: ApplyContext<Record<string, unknown>> = {
        ...baseContext(label, recipe, d.recipeEnv, part.name, manifest.dir, { ...hooks, signal }),
        options,
        previous,
        ...lockedFor(d, part.name),
      };
      return recipe.apply(ctx);
    });
  } catch (e) {
    if (hooks.signal.aborted) throw e;
    throw recipeFailure(label, recipe.name, 'apply', e, (option) => manifest.source.locate([...keyBase, ...option]));
  }
  // A part that could only be resolved by installing it (pip without --report) is pinned now.
  if (outcome?.pinned && d.locked && !d.locked.byPart.has(part.name)) await d.locked.pin(part.name, outcome.pinned);
  const outputs = checkOutputs(label, recipe.name, outcome?.outputs);
  const claimed: unknown[] = Array.isArray(outcome?.created) ? outcome.created : [];
  const created: CreatedPath[] = await checkClaims(
    claimed,
    {
      label: `${label} (${recipe.name})`,
      envRoot: d.path,
      project: claims.project,
      manifestFile: manifest.file,
      otherRoots: claims.otherRoots,
      otherClaims: claims.otherClaims,
      previous: previous?.created ?? [],
      since: claims.since,
    },
    hooks.progress,
  );
  // What the last apply created and this one no longer does (a file whose path option
  // changed, a dropped wrapper) is removed, if still as made; otherwise it is left and said.
  const stale = (previous?.created ?? []).filter((c) => !created.some((n) => n.path === c.path));
  for (const k of await removeCreatedPaths(stale, [d.path, manifest.dir])) hooks.progress(`kept ${k.path}: ${k.why}`);
  // State never holds a credential: options are recorded with their `${env:...}` references
  // (not the values) and redacted, outputs redacted, and the fingerprint sees a hash of each
  // secret, so a changed token still re-plans the part.
  return {
    recipe: part.recipeRef,
    version: part.loaded.identity,
    fingerprint: partFingerprint({ recipe: part.loaded.identity, options: digestSecrets(options), python: d.inputs.python, layout: d.inputs.layout }),
    options: redactValue(recordedForm(part.options, lookup) as Record<string, unknown>),
    outputs: redactValue(outputs),
    created,
  };
}

/**
 * Undoes a recorded part with its recipe's `remove` (default: delete what it created, if
 * unchanged). The recipe is loaded from the record, since the part may be gone from the manifest.
 * Returns the paths kept because they changed since.
 */
export async function removePart(
  manifestDir: string,
  env: RemovalEnvironment,
  name: string,
  record: PartRecord,
  hooks: PartRunHooks,
  reason: RemoveContext['reason'] = 'part-removed',
  removal: { readonly trusted: boolean } = { trusted: true },
): Promise<Array<{ path: string; why: string }>> {
  const label = `${env.name}.${name}`;
  let recipe: Recipe | null = null;
  if (!removal.trusted) {
    // Nothing an unsigned state names is run: not its recipe module, not a removal command, not pip.
    hooks.progress(`state is not signed: removing only the files part ${name} recorded, without running its recipe`);
  } else {
    try {
      recipe = (await loadRecipe(record.recipe, manifestDir)).recipe;
    } catch {
      hooks.progress(`recipe ${record.recipe} is no longer available: removing only the paths it recorded`);
    }
  }
  let kept: Array<{ path: string; why: string }> = [];
  const removeCreated = async () => {
    kept = await removeCreatedPaths(record.created, [env.path, manifestDir]);
  };
  if (!recipe?.remove) {
    await removeCreated();
    return kept;
  }
  const remove = recipe.remove.bind(recipe);
  const resolvedOptions = resolveRecordedEnv(record.options, process.env);
  try {
    await settleRecipeCall(`part ${label} (${recipe.name})`, 'remove', hooks.signal, undefined, (signal) => {
      const ctx: RemoveContext = {
        ...baseContext(label, recipe, env, name, manifestDir, { ...hooks, signal }),
        // Recorded with `${env:...}` references: made whole from the environment of this run.
        options: resolvedOptions,
        previous: { ...record, options: resolvedOptions },
        reason,
        removeCreated,
      };
      return remove(ctx);
    });
  } catch (e) {
    if (hooks.signal.aborted) throw e;
    throw recipeFailure(label, recipe.name, 'remove', e);
  }
  return kept;
}

function baseContext<E extends RemovalEnvironment>(label: string, recipe: Recipe, env: E, part: string, manifestDir: string, hooks: PartRunHooks) {
  return {
    part,
    env,
    manifestDir,
    signal: hooks.signal,
    // Redacted here, where the message leaves the recipe: every consumer of progress (the CLI,
    // a library user's callback, a test) sees it without secrets, not only the CLI's output.
    log: (message: string) => hooks.progress(redactText(String(message))),
    exec: (command: string, args: readonly string[], options = {}) =>
      execForPart(`part ${label} (${recipe.name})`, command, args, options, hooks.signal, hooks.progress),
  };
}
