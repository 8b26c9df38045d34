import fs from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError, UserError } from '../errors/user-error.js';
import { describeAllowlist, type ResolvedAllowlist } from '../isolation/allowlist.js';
import { OVERLAY_DIR, renderOverlay } from '../isolation/overlay.js';
import { chooseLayout, classicPaths, compileClassicSite, renderClassicLayout } from '../layout/classic.js';
import { digestContent, digestEntry } from '../layout/materialize.js';
import type { EntryDigest, TreeEntry } from '../layout/tree.js';
import { renderVenvLayout, venvPaths } from '../layout/venv.js';
import type { EnvironmentSpec, IsolationSpec, Manifest } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import { createInterpreterFinder, type DiscoveryOptions, type InterpreterFinder } from '../python/index.js';
import type { DerivedFiles, DesiredEnvironment, DesiredPart } from '../plan/types.js';
import type { RecipeEnvironment } from '../recipe-api/api.js';
import { resolveParts, checkPartCycles } from './resolve-parts.js';

export interface ResolveOptions {
  /** Only these environments (others are not resolved: their interpreters may be absent). */
  readonly only?: readonly string[];
  readonly discovery?: DiscoveryOptions;
  /** Per environment, the interpreter version its lock pins: preferred when several match. */
  readonly prefer?: ReadonlyMap<string, string>;
}

/**
 * Turns the validated manifest into what the planner compares: each environment with its
 * interpreter found, its allowlist resolved, its content rendered and its recipes loaded.
 * Problems of every environment are collected and reported together, located in the manifest.
 */
export async function resolveEnvironments(manifest: Manifest, options: ResolveOptions = {}): Promise<DesiredEnvironment[]> {
  const specs = manifest.environments.filter((e) => !options.only || options.only.includes(e.name));
  const diagnostics: Diagnostic[] = [];
  // One finder for the whole run: each candidate interpreter is probed at most once.
  const finder = createInterpreterFinder(options.discovery);
  const results = await Promise.all(
    specs.map(async (spec) => {
      try {
        return await resolveOne(manifest, spec, finder, diagnostics, options.prefer?.get(spec.name));
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
  const resolved = results.filter((r): r is DesiredEnvironment => r !== null);
  diagnostics.push(...checkPartCycles(manifest, resolved));
  const ordered = orderEnvironments(resolved, diagnostics, manifest);
  if (diagnostics.some((d) => d.severity === 'error')) throw new ManifestError(sortDiagnostics(diagnostics));
  return ordered;
}

/**
 * Environments are applied in manifest order, except that one whose parts read another's
 * part outputs comes after it. Environments that read each other's parts cannot be ordered.
 */
function orderEnvironments(envs: DesiredEnvironment[], diagnostics: Diagnostic[], manifest: Manifest): DesiredEnvironment[] {
  const byName = new Map(envs.map((e) => [e.name, e]));
  const out: DesiredEnvironment[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (e: DesiredEnvironment, trail: string[]) => {
    if (state.get(e.name) === 'done') return;
    if (state.get(e.name) === 'visiting') {
      diagnostics.push({
        severity: 'error',
        message: `environments read each other's part outputs: ${[...trail.slice(trail.indexOf(e.name)), e.name].join(' → ')}`,
        location: manifest.source.locate(['environments', e.name]),
        keyPath: `environments.${e.name}`,
        hint: 'an environment is applied as a whole, so references between environments must go one way',
      });
      return;
    }
    state.set(e.name, 'visiting');
    for (const p of e.parts) for (const u of p.uses) if (u.env !== e.name && byName.has(u.env)) visit(byName.get(u.env)!, [...trail, e.name]);
    state.set(e.name, 'done');
    out.push(e);
  };
  for (const e of envs) visit(e, []);
  return out;
}

async function resolveOne(manifest: Manifest, spec: EnvironmentSpec, finder: InterpreterFinder, diagnostics: Diagnostic[], prefer: string | undefined): Promise<DesiredEnvironment> {
  // Recipes are looked up whatever becomes of the interpreter, so that a missing interpreter
  // and a mistyped recipe are reported together.
  const partsResolved = resolveParts(manifest, spec, diagnostics);
  try {
    return await resolveWithParts(manifest, spec, finder, partsResolved, prefer);
  } catch (e) {
    await partsResolved;
    throw e;
  }
}

async function resolveWithParts(
  manifest: Manifest,
  spec: EnvironmentSpec,
  finder: InterpreterFinder,
  partsResolved: Promise<DesiredPart[]>,
  prefer: string | undefined,
): Promise<DesiredEnvironment> {
  const python = await finder.resolve(spec.python, {
    at: manifest.source.locate(['environments', spec.name, 'python']),
    keyPath: `environments.${spec.name}.python`,
    ...(prefer ? { prefer } : {}),
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
  // Resolving an allowlist takes the heavy half of the isolation engine (and pep440): loaded
  // for cherry-pick environments only, so other runs do not pay for it at start-up.
  const allowlist =
    spec.isolation.mode === 'cherry-pick'
      ? (await import('../isolation/resolve-allowlist.js')).resolveAllowlist(spec.isolation, python, { baseDir: manifest.dir })
      : null;
  const [rendered, parts] = await Promise.all([
    choice.layout === 'classic'
      ? renderClassic(spec, python, allowlist)
      : Promise.resolve<{ entries: TreeEntry[]; derived?: DerivedFiles }>({ entries: renderVenv(spec, python) }),
    partsResolved,
  ]);
  const overlay = allowlist
    ? renderOverlay(allowlist, {
        manifestFile: manifest.file,
        environment: spec.name,
        root: spec.path,
        python,
        // The classic site.py adds the overlay itself (so -nspkg.pth files there work).
        ...(choice.layout === 'classic' ? { pth: false } : {}),
      })
    : [];
  const entries = [...rendered.entries, ...overlay];
  return {
    name: spec.name,
    path: spec.path,
    inputs: {
      python: { executable: python.executable, version: python.version },
      layout: choice.layout,
      isolation: describeIsolation(spec.isolation),
      prompt: spec.prompt,
      ...(allowlist ? { globals: globalVersions(allowlist) } : {}),
    },
    entries,
    digests: await digestAll(entries),
    notes: [
      `python ${python.version} ${python.executable}${choice.layout === 'classic' ? ' (classic layout)' : ''}`,
      ...(allowlist ? describeAllowlist(allowlist) : []),
    ],
    warnings: allowlist ? allowlist.warnings.map((w) => w.message) : [],
    at: spec.at,
    ...(rendered.derived ? { derived: rendered.derived } : {}),
    ...(allowlist ? { allowlist } : {}),
    recipeEnv: recipeEnvironment(spec, python, choice.layout),
    parts,
  };
}

/** `name==version` of each allowlisted distribution: a change of a global package shows here. */
function globalVersions(allowlist: ResolvedAllowlist): string[] {
  return allowlist.distributions.map((d) => `${d.name}==${d.version}`).sort();
}

function recipeEnvironment(spec: EnvironmentSpec, python: PythonInfo, layout: 'venv' | 'classic'): RecipeEnvironment {
  const purelib = layout === 'classic' ? classicPaths(python).sitePackages[0]! : venvPaths(python).purelib;
  return {
    name: spec.name,
    path: spec.path,
    python: path.join(spec.path, 'bin', 'python'),
    base: python,
    layout,
    isolation: spec.isolation.mode,
    sitePackages: path.join(spec.path, purelib),
    bin: path.join(spec.path, 'bin'),
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
async function renderClassic(
  spec: EnvironmentSpec,
  python: PythonInfo,
  allowlist: ResolvedAllowlist | null,
): Promise<{ entries: TreeEntry[]; derived: DerivedFiles }> {
  const baseSite = path.join(python.stdlib, 'site.py');
  let baseSiteSource: string;
  try {
    baseSiteSource = await fs.readFile(baseSite, 'utf8');
  } catch (e) {
    throw new UserError('ELAYOUT', `cannot read ${baseSite}, which a classic environment's site.py is made from: ${(e as Error).message}`, {
      hint: `is the interpreter ${python.executable} installed completely?`,
    });
  }
  const entries = renderClassicLayout(python, {
    root: spec.path,
    prompt: spec.prompt,
    isolation: spec.isolation.mode,
    baseSiteSource,
    ...(allowlist ? { overlayDir: OVERLAY_DIR, extraPaths: allowlist.paths.map((p) => p.path) } : {}),
  });
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
  const extra = iso.searchPaths.length > 0 ? `; search ${[...iso.searchPaths].sort().join(', ')}` : '';
  const deps = iso.dependencies === 'follow' ? '' : `; dependencies ${iso.dependencies}`;
  return `cherry-pick [${allow.join(', ')}${extra}${deps}]`;
}

async function digestAll(entries: readonly TreeEntry[]): Promise<Record<string, EntryDigest>> {
  const out: Record<string, EntryDigest> = {};
  // Only a copied file needs the disk; the rest are digested at once, without a promise each
  // (a plan digests every entry of every environment).
  const copies = entries.filter((e) => e.kind === 'copy');
  const copied = await Promise.all(copies.map((e) => digestEntry(e)));
  let next = 0;
  for (const e of entries) out[e.path] = e.kind === 'copy' ? copied[next++]! : digestContent(e);
  return out;
}

export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? -1 : lb ? 1 : 0;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.col - lb.col;
  });
}
