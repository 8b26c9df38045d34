import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError } from '../errors/user-error.js';
import type { Manifest } from '../manifest/types.js';
import { resolveEnvironments, type ResolveOptions } from './resolve-environments.js';
import { resolveParts } from './resolve-parts.js';

/**
 * The problems resolution finds in a manifest that already has some (from its schema, say):
 * interpreters, distributions, Debian packages and recipes that cannot be found. So that one
 * run reports everything, not one layer of problems per run. A value already reported is not
 * looked up again, and an environment whose interpreter request is itself wrong only has its
 * recipes looked up.
 */
export async function resolutionProblems(manifest: Manifest, known: readonly Diagnostic[], options: ResolveOptions = {}): Promise<Diagnostic[]> {
  const reported = known.map((d) => d.keyPath).filter((k): k is string => k !== undefined);
  const taintedPython = (name: string) =>
    reported.some((k) => under(k, `environments.${name}.python`) || under(k, 'defaults.python') || k === `environments.${name}`);
  const specs = manifest.environments.filter((e) => !options.only || options.only.includes(e.name));
  const found: Diagnostic[] = [];
  const resolvable = specs.filter((e) => e.python !== '' && !taintedPython(e.name)).map((e) => e.name);
  for (const spec of specs.filter((e) => !resolvable.includes(e.name))) await resolveParts(manifest, spec, found);
  if (resolvable.length > 0) {
    try {
      await resolveEnvironments(manifest, { ...options, only: resolvable });
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      found.push(...e.diagnostics);
    }
  }
  const seen = new Set(known.map(identity));
  return found.filter((d) => !seen.has(identity(d)) && !(d.keyPath && reported.some((k) => under(d.keyPath!, k) || under(k, d.keyPath!))));
}

/** Whether key path `inner` is `outer` or inside it. */
function under(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`);
}

function identity(d: Diagnostic): string {
  return `${d.location?.file}:${d.location?.line}:${d.location?.col}:${d.message}`;
}
