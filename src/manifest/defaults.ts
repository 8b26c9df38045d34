import { parseRequest } from '../python/version-request.js';
import { code } from './describe.js';
import { didYouMean } from './did-you-mean.js';
import { checkOverlaps, environmentPath, type PlacedEnvironment } from './environment-paths.js';
import { normaliseIsolation } from './isolation.js';
import type { NormaliseContext, WrittenField } from './normalise-context.js';
import { toPlain, type MapNode } from './source-tree.js';
import type { EnvironmentSpec, LayoutRequest, PartSpec } from './types.js';

/**
 * The fields `defaults` may hold. `path` and `prompt` name one environment each (a shared
 * path would be an overlap by construction); parts are per environment, and sharing them
 * is what `extends` is for. A field set in an environment replaces the default as a whole:
 * an environment's `isolation: {mode: cherry-pick, ...}` does not merge with a default
 * allowlist, so what an environment sees is readable in one place.
 */
export const DEFAULTABLE_FIELDS = ['python', 'layout', 'isolation', 'pip'] as const;

const LAYOUTS: readonly LayoutRequest[] = ['auto', 'venv', 'classic'];

/**
 * Applies `defaults` and normalises every environment of the merged manifest, in manifest
 * order. Values the schema rejected are skipped (they are already reported); the checks the
 * schema cannot make (a `python` from nowhere, paths, specifiers) are reported here.
 */
export function normaliseEnvironments(root: MapNode, ctx: NormaliseContext): EnvironmentSpec[] {
  const defaults = root.entries.get('defaults')?.value;
  const environments = root.entries.get('environments')?.value;
  if (environments?.kind !== 'map') return [];

  const specs: EnvironmentSpec[] = [];
  const placed: PlacedEnvironment[] = [];
  for (const [name, entry] of environments.entries) {
    // `app:` with nothing after it is an environment made of defaults only.
    const own = entry.value.kind === 'map' ? entry.value : undefined;
    if (!own && !(entry.value.kind === 'scalar' && entry.value.value === null)) continue;

    const field = (key: string): WrittenField | undefined => {
      const mine = own?.entries.get(key);
      if (mine) return { node: mine.value, path: ['environments', name, key] };
      const inherited = defaults?.kind === 'map' && (DEFAULTABLE_FIELDS as readonly string[]).includes(key)
        ? defaults.entries.get(key)
        : undefined;
      return inherited ? { node: inherited.value, path: ['defaults', key] } : undefined;
    };
    const text = (key: string): { value: string; at: WrittenField['node']['at'] } | undefined => {
      const f = field(key);
      return f?.node.kind === 'scalar' && typeof f.node.value === 'string' && f.node.value !== ''
        ? { value: f.node.value, at: f.node.at }
        : undefined;
    };

    const python = field('python');
    if (!python && !pythonMisspelt(root, own)) {
      const keyPath = ['environments', name, 'python'];
      ctx.diagnostics.error(`environment ${code(name)} has no \`python\``, ctx.source.locate(keyPath), {
        keyPath,
        hint: 'name its interpreter here or in `defaults`: a version range (`python: "3.12"`), a command (`python3.12`) or an absolute path',
      });
    } else if (python) {
      checkPythonRequest(python, ctx);
    }

    const writtenPath = text('path');
    const envPath = environmentPath(name, writtenPath, ctx);
    // A name the schema rejects (``, `My App`) makes no sense of a default path either:
    // checking where it would lie could only report overlaps of a directory never meant.
    if (NAME.test(name) || writtenPath) placed.push({
      name,
      path: envPath,
      at: writtenPath?.at ?? entry.keyAt,
      keyPath: ['environments', name, ...(writtenPath ? ['path'] : [])],
    });

    const layout = text('layout')?.value;
    specs.push({
      name,
      python: text('python')?.value ?? '',
      path: envPath,
      prompt: text('prompt')?.value ?? name,
      layout: LAYOUTS.find((l) => l === layout) ?? 'auto',
      isolation: normaliseIsolation(field('isolation'), ctx),
      parts: [...pipPart(field('pip'), own, name, ctx), ...partsOf(own)],
      at: entry.keyAt,
    });
  }
  checkOverlaps(placed, ctx);
  return specs;
}

/** The schema's `definitions.name`, for the checks made here. */
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Whether a `python` may be there under a name already reported as unknown: a near miss
 * (`pyton`, with did-you-mean) or a YAML merge key (`<<`) in the environment or in
 * `defaults`, or a near miss of `defaults` itself. Then "has no `python`" would only repeat
 * that problem.
 */
function pythonMisspelt(root: MapNode, own: MapNode | undefined): boolean {
  const near = (keys: Iterable<string>, word: string): boolean =>
    [...keys].some((key) => key === '<<' || (key !== word && didYouMean(key, [word]) === word));
  const defaultsLike = [...root.entries].filter(([key]) => key === 'defaults' || didYouMean(key, ['defaults']) === 'defaults');
  return (
    near(own?.entries.keys() ?? [], 'python') ||
    defaultsLike.some(([key, entry]) => key !== 'defaults' || (entry.value.kind === 'map' && near(entry.value.entries.keys(), 'python')))
  );
}

/**
 * A malformed `python:` request (`>=3.10 <<3.13`, a relative path) is reported now, with
 * every other problem and at the value as written (in `defaults` once, however many
 * environments inherit it), rather than when interpreters are looked up. A value holding a
 * `${...}` reference is only known after interpolation, and is checked then.
 */
function checkPythonRequest(python: WrittenField, ctx: NormaliseContext): void {
  const { node } = python;
  // Other types and the empty string are reported by the schema.
  if (node.kind !== 'scalar' || typeof node.value !== 'string' || node.value === '' || node.value.includes('${')) return;
  const parsed = parseRequest(node.value);
  if (parsed.ok) return;
  ctx.diagnostics.error(`invalid python request: ${parsed.message}`, node.at, { keyPath: python.path, hint: parsed.hint });
}

/**
 * `pip: true` is a part of the built-in `packages` recipe that only seeds pip from the
 * interpreter's own wheel, named `pip` and applied first: one mechanism for what is
 * installed, so plan, apply and destroy treat it like any other part.
 */
function pipPart(pip: WrittenField | undefined, environment: MapNode | undefined, name: string, ctx: NormaliseContext): PartSpec[] {
  if (pip?.node.kind !== 'scalar' || pip.node.value !== true) return [];
  const parts = environment?.entries.get('parts')?.value;
  if (parts?.kind === 'map' && parts.entries.has('pip')) {
    const keyPath = ['environments', name, 'parts', 'pip'];
    ctx.diagnostics.error('a part named `pip` and `pip: true` would both be the part `pip`', ctx.source.locateKey(keyPath), {
      keyPath,
      hint: 'rename the part, or drop `pip: true` and give the part `seed-pip: true`',
    });
    return [];
  }
  return [{ name: 'pip', recipe: 'packages', options: { 'seed-pip': true }, at: pip.node.at }];
}


/** Keys of a part read by envbuild itself, for every recipe; the others are the recipe's options. */
const RUNNER_KEYS = new Set(['recipe', 'timeout']);
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `timeout:` in milliseconds (the schema has checked its form), or undefined when absent. */
function timeoutMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  const m = typeof value === 'string' ? /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(value) : null;
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/** Parts in manifest order; every key but `recipe` and `timeout` is an option, left for the recipe to check. */
function partsOf(environment: MapNode | undefined): PartSpec[] {
  const parts = environment?.entries.get('parts')?.value;
  if (parts?.kind !== 'map') return [];
  const specs: PartSpec[] = [];
  for (const [name, entry] of parts.entries) {
    if (entry.value.kind !== 'map') continue;
    const recipe = entry.value.entries.get('recipe')?.value;
    if (recipe?.kind !== 'scalar' || typeof recipe.value !== 'string') continue;
    const options = Object.fromEntries(
      [...entry.value.entries].filter(([key]) => !RUNNER_KEYS.has(key)).map(([key, option]) => [key, toPlain(option.value)]),
    );
    const timeoutNode = entry.value.entries.get('timeout')?.value;
    const timeout = timeoutNode ? timeoutMs(toPlain(timeoutNode)) : undefined;
    specs.push({ name, recipe: recipe.value, options, at: entry.keyAt, ...(timeout !== undefined ? { timeoutMs: timeout } : {}) });
  }
  return specs;
}
