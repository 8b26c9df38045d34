import type { Diagnostic } from '../errors/diagnostic.js';
import { interpolate, recordedForm } from '../interpolate/interpolate.js';
import type { Manifest } from '../manifest/types.js';
import type { Action, DesiredEnvironment, DesiredPart, EnvironmentPlan, PartPlan } from '../plan/types.js';
import type { EnvironmentState } from '../state/types.js';
import type { PartDecision, PartRecord, PlanInput } from '../recipe-api/api.js';
import { createdDrift } from './created-paths.js';
import { changedKeys, partFingerprint } from './fingerprint.js';
import { makeLookup } from './scope.js';
import { recipeFailure } from './recipe-failure.js';
import { validateOptions } from './validate-options.js';
import { digestSecrets, keysWithSecrets, redactValue, rememberSecrets } from '../secrets/redact.js';

export interface PartsContext {
  readonly manifest: Manifest;
  readonly desired: readonly DesiredEnvironment[];
  readonly environments: Readonly<Record<string, EnvironmentState>>;
  readonly processEnv: NodeJS.ProcessEnv;
}

/**
 * Plans the parts of one environment, given what happens to the environment itself. Recipes
 * decide with their own `plan` (side-effect free) from what the runner found changed: options
 * after interpolation, recipe version, interpreter, referenced outputs, created paths.
 * Problems with options are collected into `diagnostics`, located in the manifest.
 */
export async function planParts(
  envPlan: EnvironmentPlan,
  d: DesiredEnvironment | undefined,
  ctx: PartsContext,
  changing: Set<string>,
  diagnostics: Diagnostic[],
): Promise<PartPlan[]> {
  const previous = ctx.environments[envPlan.name];
  const recorded: Record<string, PartRecord> = previous ? { ...previous.parts } : {};
  const plans: PartPlan[] = [];
  const wanted = new Set(d?.parts.map((p) => p.name) ?? []);
  const envGoes = envPlan.action === 'remove';
  const envRebuilt = envPlan.action === 'create' || envPlan.action === 'replace';

  // Removals first, in reverse order of application.
  for (const name of Object.keys(recorded).reverse()) {
    if (envGoes || !wanted.has(name)) {
      plans.push({ name, recipe: recorded[name]!.recipe, action: 'remove', reasons: [envGoes ? 'environment removed' : 'no longer in the manifest'] });
      changing.add(`${envPlan.name}.${name}`);
    }
  }
  if (!d || envGoes) return plans;

  const lookup = makeLookup(ctx.manifest, ctx.desired, d.name, (env, part) => ctx.environments[env]?.parts[part]?.outputs, ctx.processEnv);
  for (const part of d.parts) {
    const prev = recorded[part.name] ?? null;
    const plan = await planPart(part, prev, d, envPlan, envRebuilt, lookup, ctx, changing, diagnostics);
    if (plan.action !== 'no-op') changing.add(`${d.name}.${part.name}`);
    plans.push(plan);
  }
  return plans;
}

async function planPart(
  part: DesiredPart,
  prev: PartRecord | null,
  d: DesiredEnvironment,
  envPlan: EnvironmentPlan,
  envRebuilt: boolean,
  lookup: ReturnType<typeof makeLookup>,
  ctx: PartsContext,
  changing: Set<string>,
  diagnostics: Diagnostic[],
): Promise<PartPlan> {
  const base = { name: part.name, recipe: part.recipeRef };
  const changedUses = part.uses.filter((u) => changing.has(`${u.env}.${u.part}`)).map((u) => `${u.env}.${u.part}`);
  if (changedUses.length > 0) {
    // Outputs it reads are about to change; they are interpolated and checked at apply.
    const action = envRebuilt && prev ? 'replace' : prev ? 'update' : 'create';
    return { ...base, action, reasons: changedUses.map((u) => `uses ${u}, which changes`) };
  }
  const keyBase = ['environments', d.name, 'parts', part.name] as const;
  const { value, issues } = interpolate(part.options, lookup);
  for (const issue of issues) {
    diagnostics.push({
      severity: 'error',
      message: issue.message,
      location: ctx.manifest.source.locate([...keyBase, ...issue.path]),
      keyPath: [...keyBase, ...issue.path].join('.'),
    });
  }
  if (issues.length > 0) return { ...base, action: 'no-op', reasons: [] };
  const options = value as Record<string, unknown>;
  rememberSecrets(options);
  const problems = await validateOptions(part.loaded.recipe, options, ctx.manifest.source, keyBase);
  diagnostics.push(...problems);
  if (problems.length > 0) return { ...base, action: 'no-op', reasons: [] };
  if (envRebuilt) {
    // A rebuilt environment starts empty: every part is made again, from its new inputs.
    return { ...base, action: prev ? 'replace' : 'create', reasons: [envPlan.action === 'create' ? 'new environment' : 'environment replaced'] };
  }

  const changes: string[] = [];
  if (!prev) {
    changes.push('new part');
  } else {
    if (prev.version !== part.loaded.identity) changes.push(`recipe changed ${prev.version} → ${part.loaded.identity}`);
    // Recorded options keep `${env:...}` references and are redacted (see run-part): compare like with like.
    const recorded = redactValue(recordedForm(part.options, lookup) as Record<string, unknown>);
    const keys = changedKeys(prev.options, recorded);
    if (keys.length > 0) changes.push(`options changed: ${keys.join(', ')}`);
    const fp = partFingerprint({ recipe: part.loaded.identity, options: digestSecrets(options), python: d.inputs.python, layout: d.inputs.layout });
    if (changes.length === 0 && fp !== prev.fingerprint) {
      // The interpreter and layout are unchanged here (a change would rebuild the
      // environment), so with equal visible options a credential must have changed.
      const fromEnv = Object.keys(options).filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(redactValue(options[k])));
      const secret = [...new Set([...keysWithSecrets(options), ...fromEnv])].sort();
      changes.push(secret.length > 0 ? `credentials changed in options: ${secret.join(', ')}` : 'interpreter or layout changed');
    }
    changes.push(...(await createdDrift(prev.created, d.path)));
  }
  const recipe = part.loaded.recipe;
  let decision: PartDecision;
  try {
    decision = recipe.plan
      ? await recipe.plan({ part: part.name, options, previous: prev, changes, env: d.recipeEnv, manifestDir: ctx.manifest.dir, ...lockedFor(d, part.name) })
      : defaultDecision(prev, changes);
  } catch (e) {
    throw recipeFailure(`${d.name}.${part.name}`, recipe.name, 'plan', e, (option) => ctx.manifest.source.locate([...keyBase, ...option]));
  }
  return { ...base, action: decision.action satisfies Action, reasons: decision.action === 'no-op' ? [] : decision.reasons };
}

/** The packages the environment's lock pins for a part, as the optional `locked` of plan and apply. */
export function lockedFor(d: DesiredEnvironment, part: string): { locked?: NonNullable<PlanInput<unknown>['locked']> } {
  const locked = d.locked?.byPart.get(part);
  return locked ? { locked } : {};
}

export function defaultDecision(prev: PartRecord | null, changes: readonly string[]): PartDecision {
  if (!prev) return { action: 'create', reasons: ['new part'] };
  if (changes.length > 0) return { action: 'update', reasons: changes };
  return { action: 'no-op', reasons: [] };
}
