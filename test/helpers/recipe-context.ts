/**
 * Fixtures for recipe tests: a real environment made by the engine, and a part driven through
 * the real runner — `planParts` to plan, `applyPart` / `removePart` to apply and remove — with
 * its record kept between calls as state keeps it. Nothing here decides what changed, what to
 * record or what to remove: that is the runner's job, and what the recipe tests exercise.
 *
 * ```ts
 * const t = await makeTestEnvironment(python);            // envbuild apply of an empty env
 * const part = new PartHarness(packages, t);
 * await part.converge({ requirements: ['alpha==1.0'], 'no-index': true, 'find-links': [wheels] });
 * expect((await part.plan(sameOptions)).action).toBe('no-op');
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../../src/errors/diagnostic.js';
import { ManifestError } from '../../src/errors/user-error.js';
import type { DesiredEnvironment, DesiredPart, EnvironmentState, Manifest, PartDecision, PartRecord, Recipe, RecipeEnvironment } from '../../src/index.js';
import { apply, plan } from '../../src/index.js';
import { planParts } from '../../src/parts/plan-parts.js';
import { filesystemNow } from '../../src/parts/claims.js';
import { applyPart, removePart } from '../../src/parts/run-part.js';
import { makeLookup } from '../../src/parts/scope.js';
import { tempDir } from './temp-dir.js';

export interface TestEnvironment {
  /** The temporary project directory holding env.yaml (the manifest directory). */
  readonly dir: string;
  readonly env: RecipeEnvironment;
  readonly manifest: Manifest;
  readonly desired: DesiredEnvironment;
}

/**
 * A real environment of `python` built by the engine from a manifest without parts, in a fresh
 * temporary directory (removed after the test); `extra` is YAML added under the environment (`layout: classic`, isolation).
 */
export async function makeTestEnvironment(python: string, extra = ''): Promise<TestEnvironment> {
  const dir = tempDir('envbuild-recipe-');
  const manifestFile = path.join(dir, 'env.yaml');
  const indented = extra
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `    ${l}\n`)
    .join('');
  fs.writeFileSync(manifestFile, `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n${indented}`);
  const discovery = { cacheDir: path.join(dir, '.cache') };
  await apply(manifestFile, { progress: 'silent', discovery });
  const prepared = await plan(manifestFile, { discovery });
  const desired = prepared.desired[0];
  if (!desired) throw new Error('the engine resolved no environment');
  return { dir, env: desired.recipeEnv, manifest: prepared.manifest, desired };
}

/** One part of the test environment, planned, applied and removed by the runner. */
export class PartHarness<Options> {
  /** The record state would hold after the last apply; null before the first. */
  previous: PartRecord | null = null;
  /** What the runner reported while this part ran: recipe logs, program output, kept paths. */
  readonly logs: string[] = [];
  /** Paths the runner kept on the last removal, and why. */
  kept: Array<{ path: string; why: string }> = [];

  constructor(
    readonly recipe: Recipe<Options>,
    readonly t: TestEnvironment,
    readonly part = 'part',
  ) {}

  private desiredPart(options: Options): DesiredPart {
    const recipe = this.recipe as unknown as Recipe;
    return {
      name: this.part,
      recipeRef: recipe.name,
      loaded: { recipe, identity: `${recipe.name}@${recipe.version}`, kind: 'builtin' },
      options: options as Record<string, unknown>,
      at: this.t.manifest.source.locate(['environments', 'app']),
      uses: [],
    };
  }

  private hooks(signal: AbortSignal = new AbortController().signal) {
    return { signal, progress: (m: string) => void this.logs.push(m) };
  }

  /** The runner's plan for this part, given the record of the last apply. */
  async plan(options: Options): Promise<PartDecision> {
    const d: DesiredEnvironment = { ...this.t.desired, parts: [this.desiredPart(options)] };
    const recorded = { ...this.t.desired, parts: this.previous ? { [this.part]: this.previous } : {} } as unknown as EnvironmentState;
    const envPlan = { name: d.name, action: 'no-op' as const, path: d.path, reasons: [], notes: [], warnings: [], removals: [], writes: [], adopt: false, parts: [], rebuild: false, conflicts: [] };
    const diagnostics: Diagnostic[] = [];
    const ctx = { manifest: this.t.manifest, desired: [d], environments: { [d.name]: recorded }, processEnv: process.env };
    const [decision] = await planParts(envPlan, d, ctx, new Set(), diagnostics);
    if (diagnostics.length > 0) throw new ManifestError(diagnostics);
    if (!decision) throw new Error('the runner planned nothing for the part');
    return { action: decision.action as PartDecision['action'], reasons: [...decision.reasons] };
  }

  /** Plans, and applies unless the plan is a no-op (as the engine does). Returns the decision. */
  async converge(options: Options): Promise<PartDecision> {
    const decision = await this.plan(options);
    if (decision.action !== 'no-op') await this.apply(options);
    return decision;
  }

  /** Applies through the runner; on success the returned record becomes `previous`. */
  async apply(options: Options, signal?: AbortSignal): Promise<PartRecord> {
    const d = this.t.desired;
    const lookup = makeLookup(this.t.manifest, [d], d.name, () => undefined, process.env);
    // As the engine does: the part's start by the filesystem's clock, so what it makes is its own.
    const claims = { project: this.t.dir, otherRoots: [], otherClaims: [], since: await filesystemNow() };
    this.previous = await applyPart(this.t.manifest, d, this.desiredPart(options), this.previous, lookup, this.hooks(signal), claims);
    return this.previous;
  }

  async remove(): Promise<void> {
    if (!this.previous) throw new Error('nothing applied');
    const { base: _base, ...env } = this.t.env;
    this.kept = await removePart(this.t.dir, env, this.part, this.previous, this.hooks());
    this.previous = null;
  }
}
