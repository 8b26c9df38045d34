import path from 'node:path';
import { ManifestError, UserError } from '../errors/user-error.js';
import { isInside } from '../state/validate-state.js';
import { interpolate, type Lookup } from '../interpolate/interpolate.js';
import type { Manifest } from '../manifest/types.js';
import type { DesiredEnvironment, DesiredPart } from '../plan/types.js';
import type { ApplyContext, CreatedPath, PartRecord, Recipe, RemovalEnvironment, RemoveContext } from '../recipe-api/api.js';
import { describeCreated, removeCreatedPaths } from './created-paths.js';
import { execForPart } from './exec.js';
import { partFingerprint } from './fingerprint.js';
import { loadRecipe } from './load-recipe.js';
import { recipeFailure } from './recipe-failure.js';
import { validateOptions } from './validate-options.js';
import { lockedFor } from './plan-parts.js';
import { digestSecrets, redactValue, rememberSecrets } from '../secrets/redact.js';

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

  const ctx: ApplyContext<Record<string, unknown>> = {
    ...baseContext(label, recipe, d.recipeEnv, part.name, manifest.dir, hooks),
    options,
    previous,
    ...lockedFor(d, part.name),
  };
  let outcome;
  try {
    outcome = await recipe.apply(ctx);
  } catch (e) {
    if (hooks.signal.aborted) throw e;
    throw recipeFailure(label, recipe.name, 'apply', e);
  }
  // A part that could only be resolved by installing it (pip without --report) is pinned now.
  if (outcome?.pinned && d.locked && !d.locked.byPart.has(part.name)) await d.locked.pin(part.name, outcome.pinned);
  const created: CreatedPath[] = [];
  for (const p of outcome?.created ?? []) {
    // State accepts only these (see validate-state): refuse here, not on the next run.
    if (typeof p !== 'string' || !path.isAbsolute(p) || path.normalize(p) !== p || !(isInside(d.path, p) || isInside(manifest.dir, p))) {
      throw new UserError('ERECIPE', `part ${label} (${recipe.name}): created path ${String(p)} is not a normalised absolute path inside the environment or the project`, {
        hint: `envbuild records, and later removes, only paths inside ${d.path} or ${manifest.dir}; report this to the recipe's author`,
      });
    }
    const now = await describeCreated(p);
    if (now) created.push(now);
  }
  // What the last apply created and this one no longer does (a file whose path option
  // changed, a dropped wrapper) is removed, if still as made; otherwise it is left and said.
  const stale = (previous?.created ?? []).filter((c) => !created.some((n) => n.path === c.path));
  for (const k of await removeCreatedPaths(stale, [d.path, manifest.dir])) hooks.progress(`kept ${k.path}: ${k.why}`);
  // State never holds a credential: options and outputs are recorded redacted, and the
  // fingerprint sees a hash of each secret, so a changed token still re-plans the part.
  return {
    recipe: part.recipeRef,
    version: part.loaded.identity,
    fingerprint: partFingerprint({ recipe: part.loaded.identity, options: digestSecrets(options), python: d.inputs.python, layout: d.inputs.layout }),
    options: redactValue(options),
    outputs: redactValue(outcome?.outputs ?? {}),
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
): Promise<Array<{ path: string; why: string }>> {
  const label = `${env.name}.${name}`;
  let recipe: Recipe | null = null;
  try {
    recipe = (await loadRecipe(record.recipe, manifestDir)).recipe;
  } catch {
    hooks.progress(`recipe ${record.recipe} is no longer available: removing only the paths it recorded`);
  }
  let kept: Array<{ path: string; why: string }> = [];
  const removeCreated = async () => {
    kept = await removeCreatedPaths(record.created, [env.path, manifestDir]);
  };
  if (!recipe?.remove) {
    await removeCreated();
    return kept;
  }
  const ctx: RemoveContext = {
    ...baseContext(label, recipe, env, name, manifestDir, hooks),
    options: record.options,
    previous: record,
    reason,
    removeCreated,
  };
  try {
    await recipe.remove(ctx);
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
    log: (message: string) => hooks.progress(message),
    exec: (command: string, args: readonly string[], options = {}) =>
      execForPart(`part ${label} (${recipe.name})`, command, args, options, hooks.signal, hooks.progress),
  };
}
