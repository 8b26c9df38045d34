/**
 * Runs one recipe the way the runner does, without the runner: a real environment made by the
 * engine (a manifest with no parts), then the recipe's own `plan`, `apply` and `remove` called
 * with a context built here, its record kept between calls like state would keep it.
 *
 * ```ts
 * const t = await makeTestEnvironment(python);            // envbuild apply of an empty env
 * const part = new PartHarness(packages, t);
 * await part.apply({ requirements: ['alpha==1.0'], 'no-index': true, 'find-links': [wheels] });
 * expect((await part.plan(sameOptions)).action).toBe('no-op');
 * ```
 *
 * What it mimics of the runner: `changes` (options changed, created paths missing or edited),
 * the default plan, recording `created` with digests, `removeCreated` removing only unchanged
 * paths, and an `exec` that captures output and fails on a non-zero exit unless allowFailure.
 * One thing more than the runner does today: after an apply, paths recorded before but not
 * created any more are removed when unchanged (asked of the runner; see the recipes' READMEs).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  ApplyContext,
  ApplyOutcome,
  CreatedPath,
  ExecOptions,
  ExecResult,
  PartDecision,
  PartRecord,
  Recipe,
  RecipeEnvironment,
  RemoveContext,
} from '../../src/index.js';
import { apply, plan } from '../../src/index.js';
import { execForPart } from '../../src/parts/exec.js';
import { defaultDecision } from '../../src/parts/plan-parts.js';

export interface TestEnvironment {
  /** The temporary project directory holding env.yaml (the manifest directory). */
  readonly dir: string;
  readonly env: RecipeEnvironment;
  cleanup(): void;
}

/**
 * A real environment of `python` built by the engine from a manifest without parts, in a fresh
 * temporary directory; `extra` is YAML added under the environment (`layout: classic`, isolation).
 */
export async function makeTestEnvironment(python: string, extra = ''): Promise<TestEnvironment> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'envbuild-recipe-')));
  const manifest = path.join(dir, 'env.yaml');
  const indented = extra
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `    ${l}\n`)
    .join('');
  fs.writeFileSync(manifest, `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n${indented}`);
  const discovery = { cacheDir: path.join(dir, '.cache') };
  await apply(manifest, { progress: 'silent', discovery });
  const prepared = await plan(manifest, { discovery });
  const desired = prepared.desired[0];
  if (!desired) throw new Error('the engine resolved no environment');
  return { dir, env: desired.recipeEnv, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface ExecCall {
  readonly command: string;
  readonly args: readonly string[];
  readonly ms: number;
}

export class PartHarness<Options> {
  /** The record state would hold after the last apply; null before the first. */
  previous: PartRecord | null = null;
  readonly logs: string[] = [];
  readonly execs: ExecCall[] = [];
  readonly kept: Array<{ path: string; why: string }> = [];

  constructor(
    readonly recipe: Recipe<Options>,
    readonly t: TestEnvironment,
    readonly part = 'part',
  ) {}

  /** What the runner passes as `changes`: options and created paths compared with the record. */
  changes(options: Options): string[] {
    if (!this.previous) return ['new part'];
    const reasons: string[] = [];
    if (JSON.stringify(this.previous.options) !== JSON.stringify(options)) reasons.push('options changed');
    for (const c of this.previous.created) {
      const now = describe(c.path);
      if (!now) reasons.push(`${path.relative(this.t.env.path, c.path)} missing`);
      else if (!same(c, now)) reasons.push(`${path.relative(this.t.env.path, c.path)} edited`);
    }
    return reasons;
  }

  async plan(options: Options): Promise<PartDecision> {
    const before = this.execs.length;
    const changes = this.changes(options);
    const input = { part: this.part, options, previous: this.previous, changes, env: this.t.env, manifestDir: this.t.dir };
    const decision = this.recipe.plan ? await this.recipe.plan(input) : defaultDecision(this.previous, changes);
    if (this.execs.length !== before) throw new Error('plan ran a program');
    return decision;
  }

  /** Plans, and applies unless the plan is a no-op (as the runner does). Returns the decision. */
  async converge(options: Options): Promise<PartDecision> {
    const decision = await this.plan(options);
    if (decision.action !== 'no-op') await this.apply(options);
    return decision;
  }

  async apply(options: Options, signal: AbortSignal = new AbortController().signal): Promise<ApplyOutcome> {
    const ctx: ApplyContext<Options> = { ...this.context(signal), options, previous: this.previous };
    const outcome = (await this.recipe.apply(ctx)) ?? {};
    const created: CreatedPath[] = [];
    for (const p of outcome.created ?? []) {
      if (!path.isAbsolute(p)) throw new Error(`created path is not absolute: ${p}`);
      const now = describe(p);
      if (now) created.push(now);
    }
    // Paths the part made before and no longer makes (a file whose path changed, a script
    // dropped from the options) are removed if unchanged: what the runner is asked to do.
    const still = new Set(created.map((c) => c.path));
    this.kept.push(...removeCreatedPaths((this.previous?.created ?? []).filter((c) => !still.has(c.path))));
    this.previous = {
      recipe: this.recipe.name,
      version: this.recipe.version,
      fingerprint: JSON.stringify(options),
      options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>,
      outputs: JSON.parse(JSON.stringify(outcome.outputs ?? {})) as Record<string, unknown>,
      created,
    };
    return outcome;
  }

  async remove(): Promise<void> {
    const record = this.previous;
    if (!record) throw new Error('nothing applied');
    const removeCreated = async () => {
      this.kept.push(...removeCreatedPaths(record.created));
    };
    if (this.recipe.remove) {
      const ctx: RemoveContext = { ...this.context(new AbortController().signal), options: record.options, previous: record, reason: 'part-removed', removeCreated };
      await this.recipe.remove(ctx);
    } else {
      await removeCreated();
    }
    this.previous = null;
  }

  private context(signal: AbortSignal) {
    return {
      part: this.part,
      env: this.t.env,
      manifestDir: this.t.dir,
      signal,
      log: (m: string) => void this.logs.push(m),
      exec: (command: string, args: readonly string[], options: ExecOptions = {}) => this.exec(command, args, options, signal),
    };
  }

  /** The runner's own exec (same failure messages), timed so tests can count pip runs. */
  private async exec(command: string, args: readonly string[], options: ExecOptions, signal: AbortSignal): Promise<ExecResult> {
    const started = performance.now();
    try {
      return await execForPart('part (test)', command, args, options, signal, () => undefined);
    } finally {
      this.execs.push({ command, args, ms: performance.now() - started });
    }
  }
}

function describe(file: string): CreatedPath | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return { path: file, kind: 'symlink', target: fs.readlinkSync(file) };
  if (st.isDirectory()) return { path: file, kind: 'dir' };
  return { path: file, kind: 'file', sha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex'), mode: st.mode & 0o7777 };
}

function same(a: CreatedPath, b: CreatedPath): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function removeCreatedPaths(created: readonly CreatedPath[]): Array<{ path: string; why: string }> {
  const kept: Array<{ path: string; why: string }> = [];
  for (const c of [...created].sort((a, b) => b.path.length - a.path.length)) {
    const now = describe(c.path);
    if (!now) continue;
    if (!same(c, now)) {
      kept.push({ path: c.path, why: 'changed' });
      continue;
    }
    try {
      if (c.kind === 'dir') fs.rmdirSync(c.path);
      else fs.unlinkSync(c.path);
    } catch {
      kept.push({ path: c.path, why: 'not empty' });
    }
  }
  return kept;
}
