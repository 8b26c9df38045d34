import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError } from '../errors/user-error.js';
import { digestEntry } from '../layout/materialize.js';
import type { EntryDigest, TreeEntry } from '../layout/tree.js';
import { renderVenvLayout } from '../layout/venv.js';
import type { EnvironmentSpec, IsolationSpec, Manifest } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import { resolveInterpreter, type DiscoveryOptions } from '../python/index.js';
import type { DesiredEnvironment } from '../plan/types.js';

export interface ResolveOptions {
  /** Only these environments (others are not resolved: their interpreters may be absent). */
  readonly only?: readonly string[];
  readonly discovery?: DiscoveryOptions;
}

/**
 * Turns the validated manifest into what the planner compares: each environment with its
 * interpreter found and its content rendered. Problems of every environment are collected and
 * reported together, located in the manifest.
 */
export async function resolveEnvironments(manifest: Manifest, options: ResolveOptions = {}): Promise<DesiredEnvironment[]> {
  const specs = manifest.environments.filter((e) => !options.only || options.only.includes(e.name));
  const diagnostics: Diagnostic[] = [];
  const results = await Promise.all(
    specs.map(async (spec) => {
      try {
        return await resolveOne(manifest, spec, options);
      } catch (e) {
        if (e instanceof ManifestError) {
          diagnostics.push(...e.diagnostics);
          return null;
        }
        throw e;
      }
    }),
  );
  if (diagnostics.length > 0) throw new ManifestError(sortDiagnostics(diagnostics));
  return results.filter((r): r is DesiredEnvironment => r !== null);
}

async function resolveOne(manifest: Manifest, spec: EnvironmentSpec, options: ResolveOptions): Promise<DesiredEnvironment> {
  const python = await resolveInterpreter(spec.python, {
    ...options.discovery,
    at: manifest.source.locate(['environments', spec.name, 'python']),
  });
  const entries = renderEntries(spec, python);
  return {
    name: spec.name,
    path: spec.path,
    inputs: {
      python: { executable: python.executable, version: python.version },
      layout: 'venv',
      isolation: describeIsolation(spec.isolation),
      prompt: spec.prompt,
    },
    entries,
    digests: await digestAll(entries),
    notes: [`python ${python.version} ${python.executable}`],
    warnings: [],
    at: spec.at,
  };
}

function renderEntries(spec: EnvironmentSpec, python: PythonInfo): TreeEntry[] {
  return renderVenvLayout(python, {
    root: spec.path,
    prompt: spec.prompt,
    systemSitePackages: spec.isolation.mode === 'system',
    extraConfig: { 'envbuild-isolation': spec.isolation.mode },
  });
}

/** A one-line canonical form: equal strings mean equal isolation, so the planner compares strings. */
export function describeIsolation(iso: IsolationSpec): string {
  if (iso.mode !== 'cherry-pick') return iso.mode;
  const allow = iso.allow
    .map((a) => (a.kind === 'dist' ? `${a.name}${a.version ?? ''}` : a.kind === 'path' ? `path ${a.path}` : `${a.kind} ${a.name}`))
    .sort();
  return `cherry-pick [${allow.join(', ')}]`;
}

async function digestAll(entries: readonly TreeEntry[]): Promise<Record<string, EntryDigest>> {
  const digests = await Promise.all(entries.map((e) => digestEntry(e)));
  const out: Record<string, EntryDigest> = {};
  entries.forEach((e, i) => (out[e.path] = digests[i]!));
  return out;
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? -1 : lb ? 1 : 0;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.col - lb.col;
  });
}
