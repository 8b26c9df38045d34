import type { Diagnostic } from '../errors/diagnostic.js';
import { UserError } from '../errors/user-error.js';
import { collectReferences, parseTemplate, type Reference } from '../interpolate/template.js';
import type { EnvironmentSpec, KeyPath, Manifest } from '../manifest/types.js';
import type { DesiredEnvironment, DesiredPart } from '../plan/types.js';
import { loadRecipe } from '../parts/load-recipe.js';

interface PartUse {
  readonly env: string;
  readonly part: string;
}

/**
 * Loads each part's recipe and finds which other parts its options reference, then orders
 * the parts so that each comes after the ones it uses (manifest order otherwise). Problems
 * go to `diagnostics` rather than stopping here, so reference cycles are still checked.
 */
export async function resolveParts(manifest: Manifest, spec: EnvironmentSpec, diagnostics: Diagnostic[]): Promise<DesiredPart[]> {
  const base = (part: string): KeyPath => ['environments', spec.name, 'parts', part];
  const { envNames, partsOf } = namesOf(manifest);

  const parts = await Promise.all(
    spec.parts.map(async (p): Promise<DesiredPart | null> => {
      let loaded;
      try {
        loaded = await loadRecipe(p.recipe, manifest.dir);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        diagnostics.push({
          severity: 'error',
          message: e.message,
          location: manifest.source.locate([...base(p.name), 'recipe']),
          keyPath: `environments.${spec.name}.parts.${p.name}.recipe`,
          ...(e.hint ? { hint: e.hint } : {}),
        });
        return null;
      }
      const uses: PartUse[] = [];
      for (const problem of templateProblems(p.options)) {
        diagnostics.push(at(manifest, [...base(p.name), ...problem.path], problem.message));
      }
      for (const { path, ref } of collectReferences(p.options)) {
        const use = partReference(ref, spec.name, envNames);
        if (!use) continue;
        const known = partsOf.get(use.env);
        if (!known) {
          diagnostics.push(at(manifest, [...base(p.name), ...path], `${ref.raw} refers to an unknown environment "${use.env}"`, `environments: ${envNames.join(', ')}`));
        } else if (!known.has(use.part)) {
          diagnostics.push(
            at(manifest, [...base(p.name), ...path], `${ref.raw} refers to an unknown part "${use.part}" of environment ${use.env}`, `its parts: ${[...known].join(', ') || '(none)'}`),
          );
        } else {
          uses.push(use);
        }
      }
      return { name: p.name, recipeRef: p.recipe, loaded, options: p.options, at: p.at, uses, ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}) };
    }),
  );
  return orderParts(parts.filter((p): p is DesiredPart => p !== null), spec.name);
}

const names = new WeakMap<Manifest, { envNames: string[]; partsOf: Map<string, Set<string>> }>();

/** Environment and part names, computed once per manifest: every environment asks. */
function namesOf(manifest: Manifest): { envNames: string[]; partsOf: Map<string, Set<string>> } {
  let n = names.get(manifest);
  if (!n) {
    n = {
      envNames: manifest.environments.map((e) => e.name),
      partsOf: new Map(manifest.environments.map((e) => [e.name, new Set(e.parts.map((p) => p.name))])),
    };
    names.set(manifest, n);
  }
  return n;
}

/** Which part a reference reads, if any: `parts.P.…` (same environment) or `environments.E.parts.P.…`. */
export function partReference(ref: Reference, env: string, envNames: readonly string[]): PartUse | null {
  if (ref.kind !== 'path') return null;
  const s = ref.segments;
  if (s[0] === 'parts' && s[1]) return { env, part: s[1] };
  if (s[0] !== 'environments') return null;
  // Environment names may contain dots: take the longest known name the segments spell.
  for (let k = s.length - 1; k >= 2; k--) {
    const name = s.slice(1, k).join('.');
    if (envNames.includes(name)) return s[k] === 'parts' && s[k + 1] ? { env: name, part: s[k + 1]! } : null;
  }
  return null;
}

function templateProblems(value: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; message: string }> {
  if (typeof value === 'string') {
    const parsed = parseTemplate(value);
    return Array.isArray(parsed) ? [] : [{ path, message: parsed.message }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => templateProblems(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => templateProblems(v, [...path, k]));
  return [];
}

/** Stable topological order within one environment; cycles are reported by checkPartCycles. */
function orderParts(parts: DesiredPart[], env: string): DesiredPart[] {
  const byName = new Map(parts.map((p) => [p.name, p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: DesiredPart[] = [];
  const visit = (p: DesiredPart) => {
    if (done.has(p.name) || visiting.has(p.name)) return;
    visiting.add(p.name);
    for (const u of p.uses) if (u.env === env && byName.has(u.part)) visit(byName.get(u.part)!);
    visiting.delete(p.name);
    done.add(p.name);
    out.push(p);
  };
  for (const p of parts) visit(p);
  return out;
}

/**
 * A part that (through others) references itself can never be applied: report every cycle
 * once, as a path, at the reference that closes it.
 */
export function checkPartCycles(manifest: Manifest, envs: readonly DesiredEnvironment[]): Diagnostic[] {
  const key = (env: string, part: string) => `${env}.${part}`;
  const graph = new Map<string, PartUse[]>();
  // Manifest order, so a cycle is told from the part written first.
  const byName = new Map(envs.map((x) => [x.name, x]));
  for (const spec of manifest.environments) {
    const e = byName.get(spec.name);
    for (const ps of spec.parts) {
      const p = e?.parts.find((x) => x.name === ps.name);
      if (e && p) graph.set(key(e.name, p.name), [...p.uses]);
    }
  }
  const diagnostics: Diagnostic[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const u of graph.get(node) ?? []) {
      const next = key(u.env, u.part);
      if (!graph.has(next)) continue;
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const id = [...cycle].slice(0, -1).sort().join('|');
        if (!reported.has(id)) {
          reported.add(id);
          const [env, part] = splitKey(cycle[0]!, envs);
          diagnostics.push(
            at(manifest, ['environments', env, 'parts', part], `reference cycle: ${cycle.join(' → ')}`, 'a part cannot use, directly or through others, its own outputs'),
          );
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return diagnostics;
}

function splitKey(node: string, envs: readonly DesiredEnvironment[]): [string, string] {
  for (const e of envs) if (node.startsWith(`${e.name}.`) && e.parts.some((p) => `${e.name}.${p.name}` === node)) return [e.name, node.slice(e.name.length + 1)];
  return [node, ''];
}

function at(manifest: Manifest, path: KeyPath, message: string, hint?: string): Diagnostic {
  return {
    severity: 'error',
    message,
    location: manifest.source.locate(path),
    keyPath: path.join('.'),
    ...(hint ? { hint } : {}),
  };
}
