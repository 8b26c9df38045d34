import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError, UserError } from '../errors/user-error.js';
import type { EnvironmentSpec, Manifest } from '../manifest/types.js';
import { createInterpreterFinder, type InterpreterFinder } from '../python/index.js';
import type { PythonInfo } from '../python/interpreter.js';
import type { ResolveOptions } from './resolve-environments.js';
import { loadRecipe } from '../parts/load-recipe.js';

/**
 * Past this many environments, a manifest that already has problems is not looked up
 * further: the report shows a bounded number of problems anyway, and a generated manifest
 * of thousands of environments must not probe and resolve each.
 */
const MAX_LOOKED_UP = 50;

/**
 * The problems resolution finds in a manifest that already has some (from its schema, say):
 * interpreters, distributions, Debian packages and recipes that cannot be found. So one run
 * reports everything, not one layer of problems per run. Only lookups are made (nothing is
 * rendered, no option is walked), and only for environments with no problem of their own
 * yet: what is already wrong in an environment (a malformed request, a value of the wrong
 * type) would only be reported again in other words.
 */
export async function resolutionProblems(manifest: Manifest, known: readonly Diagnostic[], options: ResolveOptions = {}): Promise<Diagnostic[]> {
  const reported = known.map((d) => d.keyPath).filter((k): k is string => k !== undefined);
  const tainted = (prefix: string) => reported.some((k) => under(k, prefix) || under(prefix, k));
  const inherited = ['defaults.python', 'defaults.isolation', 'defaults.layout'].some(tainted);
  const specs = manifest.environments
    .filter((e) => (!options.only || options.only.includes(e.name)) && !tainted(`environments.${e.name}`))
    .slice(0, MAX_LOOKED_UP);
  // An invalid manifest writes nothing, not even the probe cache.
  const finder = createInterpreterFinder({ ...options.discovery, readOnlyCache: true });
  const found: Diagnostic[] = [];
  await Promise.all(
    specs.map(async (spec) => {
      const recipes = recipeProblems(manifest, spec, found);
      const python = spec.python !== '' && !inherited ? await lookUp(() => interpreterOf(manifest, spec, finder), found, manifest, spec) : null;
      if (python && spec.isolation.mode === 'cherry-pick') {
        const { resolveAllowlist } = await import('../isolation/resolve-allowlist.js');
        await lookUp(async () => resolveAllowlist(spec.isolation, python, { baseDir: manifest.dir }), found, manifest, spec);
      }
      await recipes;
    }),
  );
  const seen = new Set(known.map(identity));
  return found.filter((d) => d.severity === 'error' && !seen.has(identity(d)));
}

/** Each part's recipe looked up, as resolution would, its problem located at the `recipe` value. */
async function recipeProblems(manifest: Manifest, spec: EnvironmentSpec, found: Diagnostic[]): Promise<void> {
  for (const part of spec.parts) {
    const keyPath = ['environments', spec.name, 'parts', part.name, 'recipe'];
    try {
      await loadRecipe(part.recipe, manifest.dir);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      found.push({
        severity: 'error',
        message: e.message,
        location: manifest.source.locate(keyPath),
        keyPath: keyPath.join('.'),
        ...(e.hint ? { hint: e.hint } : {}),
      });
    }
  }
}

function interpreterOf(manifest: Manifest, spec: EnvironmentSpec, finder: InterpreterFinder): Promise<PythonInfo> {
  return finder.resolve(spec.python, {
    at: manifest.source.locate(['environments', spec.name, 'python']),
    keyPath: `environments.${spec.name}.python`,
  });
}

/** The result of a lookup, or null with its problems added to `found`, located in the manifest. */
async function lookUp<T>(work: () => Promise<T>, found: Diagnostic[], manifest: Manifest, spec: EnvironmentSpec): Promise<T | null> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ManifestError) found.push(...e.diagnostics);
    else if (e instanceof UserError) {
      found.push({
        severity: 'error',
        message: e.message,
        location: manifest.source.locate(['environments', spec.name]),
        keyPath: `environments.${spec.name}`,
        ...(e.hint ? { hint: e.hint } : {}),
      });
    } else throw e;
    return null;
  }
}

/** Whether key path `inner` is `outer` or inside it. */
function under(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`);
}

function identity(d: Diagnostic): string {
  return `${d.location?.file}:${d.location?.line}:${d.location?.col}:${d.message}`;
}
