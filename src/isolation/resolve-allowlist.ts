import { ManifestError } from '../errors/user-error.js';
import type { IsolationSpec } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import type { ResolvedAllowlist } from './allowlist.js';
import { discoverGlobals, type DiscoverOptions, type GlobalPackages } from './discover-globals.js';
import { markerEnvironment, type MarkerEnvironment } from './markers.js';
import { assembleAllowlist } from './resolve-allowlist/assemble.js';
import { checkExposed } from './resolve-allowlist/check-items.js';
import { closeOverDependencies } from './resolve-allowlist/close-dependencies.js';
import { Inclusions, makeContext, sortDiagnostics, type AllowedPathMap } from './resolve-allowlist/context.js';
import { exposeItems } from './resolve-allowlist/expose-items.js';
import { matchEntries } from './resolve-allowlist/match-entries.js';

export interface ResolveOptions extends Omit<DiscoverOptions, 'searchPaths'> {
  /** A discovery to reuse (it must have been made with the spec's search paths). */
  readonly globals?: GlobalPackages;
  /** Marker variables to override (the rest come from the interpreter's probe). */
  readonly markerEnvironment?: Partial<MarkerEnvironment>;
  /** Directory that relative `{path}` entries are resolved against (the manifest's); absent: they are errors. */
  readonly baseDir?: string;
}

/**
 * Resolves the allowlist of a cherry-pick environment against the global packages of `python`
 * (its `globalSitePackages`, then `spec.searchPaths`). Every problem is collected; if any is an
 * error a `ManifestError` is thrown carrying all of them, each at its entry's `at`.
 * For other isolation modes the allowlist is empty.
 *
 * The steps, each in `resolve-allowlist/`: match the entries to what they name; close over
 * dependencies; compute what to expose of each item; check ABI, Requires-Python and conflicts;
 * assemble the sorted result.
 */
export function resolveAllowlist(spec: IsolationSpec, python: PythonInfo, opts: ResolveOptions = {}): ResolvedAllowlist {
  if (spec.mode !== 'cherry-pick') {
    const target = { executable: python.executable, version: python.version, soabi: python.soabi };
    return { format: 1, target, dependencies: spec.dependencies, sites: [], distributions: [], modules: [], paths: [], warnings: [] };
  }
  const globals =
    opts.globals ??
    discoverGlobals(python, { searchPaths: spec.searchPaths, ...(opts.dpkg === undefined ? {} : { dpkg: opts.dpkg }) });
  const ctx = makeContext(spec, python, globals, markerEnvironment(python, opts.markerEnvironment), opts.baseDir);
  for (const p of globals.missingSearchPaths) ctx.diagnostics.warn(undefined, `search path ${p} does not exist or is not a directory`);

  const included = new Inclusions();
  const paths: AllowedPathMap = new Map();
  matchEntries(ctx, included, paths);
  closeOverDependencies(ctx, included);
  const exposed = exposeItems(ctx, included);
  checkExposed(ctx, exposed);

  const { errors, warnings } = ctx.diagnostics;
  if (errors.length > 0) throw new ManifestError([...sortDiagnostics(errors), ...sortDiagnostics(warnings)]);
  return assembleAllowlist(ctx, exposed, paths);
}
