import type { Diagnostic } from '../errors/diagnostic.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ManifestError, UserError } from '../errors/user-error.js';
import { digestEntry } from '../layout/materialize.js';
import type { EntryDigest, TreeEntry } from '../layout/tree.js';
import { chooseLayout, classicPaths, compileClassicSite, renderClassicLayout } from '../layout/classic.js';
import { renderVenvLayout } from '../layout/venv.js';
import type { EnvironmentSpec, IsolationSpec, Manifest } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import { createInterpreterFinder, type DiscoveryOptions, type InterpreterFinder } from '../python/index.js';
import type { DerivedFiles, DesiredEnvironment } from '../plan/types.js';

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
  // One finder for the whole run: each candidate interpreter is probed at most once.
  const finder = createInterpreterFinder(options.discovery);
  const results = await Promise.all(
    specs.map(async (spec) => {
      try {
        return await resolveOne(manifest, spec, finder);
      } catch (e) {
        if (e instanceof ManifestError) {
          diagnostics.push(...e.diagnostics);
          return null;
        }
        // Other user errors of one environment (a root its activation scripts cannot carry,
        // an interpreter that cannot host the layout) are located at that environment.
        if (e instanceof UserError) {
          diagnostics.push({
            severity: 'error',
            message: e.message,
            location: spec.at,
            keyPath: `environments.${spec.name}`,
            ...(e.hint ? { hint: e.hint } : {}),
          });
          return null;
        }
        throw e;
      }
    }),
  );
  if (diagnostics.length > 0) throw new ManifestError(sortDiagnostics(diagnostics));
  return results.filter((r): r is DesiredEnvironment => r !== null);
}

async function resolveOne(manifest: Manifest, spec: EnvironmentSpec, finder: InterpreterFinder): Promise<DesiredEnvironment> {
  const python = await finder.resolve(spec.python, {
    at: manifest.source.locate(['environments', spec.name, 'python']),
    keyPath: `environments.${spec.name}.python`,
  });
  const choice = chooseLayout(python, spec.layout);
  if ('error' in choice) {
    throw new ManifestError([
      {
        severity: 'error',
        message: choice.error,
        location: manifest.source.locate(['environments', spec.name, 'layout']),
        keyPath: `environments.${spec.name}.layout`,
      },
    ]);
  }
  const rendered: { entries: TreeEntry[]; derived?: DerivedFiles } =
    choice.layout === 'classic' ? await renderClassic(spec, python) : { entries: renderVenv(spec, python) };
  return {
    name: spec.name,
    path: spec.path,
    inputs: {
      python: { executable: python.executable, version: python.version },
      layout: choice.layout,
      isolation: describeIsolation(spec.isolation),
      prompt: spec.prompt,
    },
    entries: rendered.entries,
    digests: await digestAll(rendered.entries),
    notes: [`python ${python.version} ${python.executable}${choice.layout === 'classic' ? ' (classic layout)' : ''}`],
    warnings: [],
    at: spec.at,
    ...(rendered.derived ? { derived: rendered.derived } : {}),
  };
}

function renderVenv(spec: EnvironmentSpec, python: PythonInfo): TreeEntry[] {
  return renderVenvLayout(python, {
    root: spec.path,
    prompt: spec.prompt,
    systemSitePackages: spec.isolation.mode === 'system',
    extraConfig: { 'envbuild-isolation': spec.isolation.mode },
  });
}

/**
 * The classic layout's site.py is generated from the base's own, so its text is an input;
 * and its bytecode can only be produced by the interpreter, so it is a derived file.
 */
async function renderClassic(spec: EnvironmentSpec, python: PythonInfo): Promise<{ entries: TreeEntry[]; derived: DerivedFiles }> {
  const baseSite = path.join(python.stdlib, 'site.py');
  let baseSiteSource: string;
  try {
    baseSiteSource = await fs.readFile(baseSite, 'utf8');
  } catch (e) {
    throw new UserError('ELAYOUT', `cannot read ${baseSite}, which a classic environment's site.py is made from: ${(e as Error).message}`, {
      hint: `is the interpreter ${python.executable} installed completely?`,
    });
  }
  const entries = renderClassicLayout(python, { root: spec.path, prompt: spec.prompt, isolation: spec.isolation.mode, baseSiteSource });
  const modules = classicPaths(python).generatedModules;
  return {
    entries,
    derived: {
      paths: modules.map((m) => `${m}c`),
      inputs: modules,
      build: async (root, signal) => {
        await compileClassicSite(root, python, signal ? { signal } : {});
      },
    },
  };
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
