/**
 * The `packages` recipe: installs requirements into the environment with pip and keeps the
 * environment's installed set in sync with them — what this part installed and no longer
 * needs is uninstalled. See README.md beside this file.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defineRecipe, uninstallFrom, UserError, type LockedPackage, type PartDecision, type PartRecord, type RecipeEnvironment, type RemoveContext } from 'envbuild/recipe';
import { canonicalName, describeRequirementChanges, readDeclared, type Declared, type PackagesOptions } from './declared.js';
import { inspect, listSitePackages, readMetadata, removable, sameVersion } from './installed.js';
import { applyLocked } from './install-locked.js';
import { lockInputs, resolvePart } from './lock.js';
import { keepSitePackages, ownedBy, recordOf } from './owned.js';
import { failureHint, indexArgs, seedWheel } from './pip-args.js';
import { locatePip, locateRecordedPip, pipFailure, PipSession } from './pip.js';
import { installedByEnvbuild, seedPip, uninstallDropped } from './wheels.js';
import { wheelOptions } from './bytecode.js';

const stringList = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, description }) as const;

const OPTIONS = {
  type: 'object',
  additionalProperties: false,
  properties: {
    requirements: stringList(
      'What to install: PEP 508 specifiers ("attrs==23.2.0", "name[extra]>=1"), URLs, local wheels, archives or project directories ("./dist/x.whl", "../lib"), "-r file" and "-c file". Paths are relative to the manifest directory.',
    ),
    editable: stringList('Local project directories to install in editable (development) mode, relative to the manifest directory.'),
    'find-links': stringList('Directories (relative to the manifest directory) or URLs of wheels and archives to install from.'),
    'index-url': { type: 'string', minLength: 1, description: 'The package index to use instead of PyPI.' },
    'extra-index-url': stringList('More package indexes, searched besides index-url.'),
    'no-index': { type: 'boolean', default: false, description: 'Ignore package indexes: install only from find-links and local paths.' },
    'bundled-wheels': {
      type: 'boolean',
      default: false,
      description:
        "Also find distributions among the wheels bundled with the interpreter and the OS (ensurepip's, Debian's /usr/share/python-wheels): pip, setuptools, wheel — enough to build local projects without an index.",
    },
    'seed-pip': {
      type: 'boolean',
      default: false,
      description: "Install pip itself into the environment, from the interpreter's bundled pip wheel (fast, no network).",
    },
    'extra-args': stringList('More arguments for "pip install", e.g. ["--pre"] or ["--only-binary", ":all:"].'),
    'install-mode': {
      enum: ['auto', 'clone', 'hardlink', 'copy'],
      default: 'auto',
      description:
        'How wheel files reach the environment from the shared cache: auto (clone where the file system can, else hard link, else copy), clone, hardlink or copy. Overrides ENVBUILD_LINK_MODE. A hard-linked file is shared with the cache and every environment linking it: use copy to patch installed files by hand.',
    },
    'compile-bytecode': {
      type: 'boolean',
      default: false,
      description: 'After installing, compile what was installed to bytecode with one `python -m compileall` run (off by default: Python compiles on first import).',
    },
  },
} as const;

export default defineRecipe<PackagesOptions>({
  name: 'packages',
  version: '1',
  description: 'Installs Python packages with pip and keeps the installed set in sync with the declared requirements.',
  options: OPTIONS,

  lock: { inputs: lockInputs, resolve: resolvePart },

  async plan({ options, previous, changes, env, manifestDir, locked }): Promise<PartDecision> {
    const declared = await readDeclared(options, manifestDir);
    if (previous === null) return { action: 'create', reasons: [`install ${summary(options)}`] };
    // Only when the runner saw a change: recorded options are redacted (URL credentials), so
    // comparing them with the live ones would invent differences.
    const reasons = changes.length > 0 ? [...describeRequirementChanges(previous.options as PackagesOptions, options), ...changes] : [];
    if (locked) reasons.push(...lockChanges(ownedBy(previous), locked));
    reasons.push(...(await drift(previous, env)));
    reasons.push(...sourceChanges(previous, declared, manifestDir));
    const unique = [...new Set(reasons)];
    return unique.length > 0 ? { action: 'update', reasons: unique } : { action: 'no-op', reasons: [] };
  },

  async apply(ctx) {
    if (ctx.locked !== undefined) return applyLocked(ctx, ctx.locked);
    const { options, env, manifestDir } = ctx;
    const declared = await readDeclared(options, manifestDir);
    const seed = options['seed-pip'] ? await seedWheel(env) : undefined;
    const session = await PipSession.open(env.python, await locatePip(env));
    try {
      ctx.log(`using ${session.describe()}`);
      const seeded = seed ? await seedPip(ctx, seed, wheelOptions(options)) : undefined;
      const items = declared.pipArgs;
      let installedNow: string[] = seeded ? [seeded] : [];
      if (items.length > 0) {
        ctx.log(`pip install ${summary(options)}`);
        const started = performance.now();
        const args = [...(await indexArgs(options, manifestDir, env)), ...items, ...(options['extra-args'] ?? [])];
        const result = await session.run(ctx, 'install', args, manifestDir);
        if (result.code !== 0) throw pipFailure('install the requirements', result, failureHint(options, manifestDir));
        const byPip = successfullyInstalled(result.stdout);
        installedNow = [...installedNow, ...byPip];
        const took = ((performance.now() - started) / 1000).toFixed(1);
        ctx.log(byPip.length > 0 ? `installed ${byPip.join(', ')} in ${took}s` : `already satisfied (${took}s)`);
      }
      ctx.signal.throwIfAborted();

      const roots = [...declared.roots, ...(seed ? ['pip'] : [])];
      const seen = await inspect(ctx, session, env.sitePackages, roots, declared.paths);
      const inEnv = new Map(seen.dists.filter((d) => d.inEnv).map((d) => [d.name, d]));
      const previousOwned = ownedBy(ctx.previous);
      let owned = new Set(seen.closure.filter((n) => inEnv.has(n)));
      const unknown = [...declared.unnamed, ...seen.unresolved];

      if (unknown.length > 0) {
        // Without knowing what a requirement provides, its dependencies look unneeded: keep everything.
        ctx.log(`cannot tell which distribution ${unknown.join(', ')} provides: nothing is uninstalled this time`);
        const justInstalled = new Set(installedNow.map((s) => canonicalName(s.replace(/-[^-]+$/, ''))));
        for (const n of [...previousOwned.keys(), ...justInstalled]) if (inEnv.has(n)) owned.add(n);
      } else {
        const candidates = [...previousOwned.keys()].filter((n) => !owned.has(n) && inEnv.has(n));
        const { remove, kept } = removable(candidates, seen.dists);
        for (const [name, by] of kept) ctx.log(`keeping ${name}: ${by} still requires it`);
        if (remove.length > 0) {
          const names = remove.map((n) => inEnv.get(n)?.display ?? n);
          ctx.log(`uninstalling ${names.join(', ')} (no longer required)`);
          await uninstallDropped(ctx, session, names, 'the environment may be half-changed; run apply again');
        }
        owned = new Set([...owned].filter((n) => !remove.includes(n)));
      }
      for (const name of seen.missing) ctx.log(`warning: ${name} is required but not installed anywhere the environment sees`);
      for (const problem of seen.problems) ctx.log(`warning: ${problem}`);

      const installed = Object.fromEntries([...owned].sort().map((n) => [n, inEnv.get(n)?.version ?? '']));
      // Without a lock beforehand (a pip without --report), what was installed is what gets pinned.
      const rootNames = new Set(seen.roots);
      const pinned = [...owned].sort().map(
        (n): LockedPackage => ({ name: inEnv.get(n)?.display ?? n, version: inEnv.get(n)?.version ?? '', dependencies: [], requested: rootNames.has(n), source: { kind: 'pinned' } }),
      );
      return { outputs: { installed, sources: declared.sources, pip: session.pip.location }, created: [], pinned };
    } finally {
      await session.close();
    }
  },

  async remove(ctx) {
    const { env } = ctx;
    const present = await listSitePackages(env.sitePackages);
    const candidates = [...ownedBy(ctx.previous).keys()].filter((n) => present.has(n));
    if (candidates.length > 0) await uninstallOwned(ctx, candidates);
    await ctx.removeCreated();
  },
});

/**
 * Uninstalls what a removed part owned, except what the environment's other distributions need.
 * What envbuild installed goes by its RECORD with no Python run at all (the dependency check
 * reads the other distributions' metadata from Node); pip starts only for what pip installed.
 */
async function uninstallOwned(ctx: RemoveContext, candidates: readonly string[]): Promise<void> {
  const { env } = ctx;
  const byPip: string[] = [];
  for (const name of candidates) if (!(await installedByEnvbuild(env.sitePackages, name))) byPip.push(name);
  if (byPip.length === 0) return uninstallByRecord(ctx, candidates);
  if (!(await runnable(env.python))) {
    ctx.log(`${env.python} cannot run any more: leaving site-packages as it is`);
    return;
  }
  const pip = await locateRecordedPip(ctx.previous.outputs['pip'], env.sitePackages);
  if (!pip) {
    throw new UserError('ENOPIP', `cannot uninstall ${byPip.join(', ')}: the pip used to install them is gone, and the environment has none`, {
      hint: 'reinstall pip for the base interpreter, or remove the environment',
    });
  }
  const session = await PipSession.open(env.python, pip);
  try {
    const seen = await inspect(ctx, session, env.sitePackages, [], []);
    const { remove, kept } = removable(candidates, seen.dists);
    for (const [name, by] of kept) ctx.log(`keeping ${name}: ${by} still requires it`);
    const inEnv = new Map(seen.dists.filter((d) => d.inEnv).map((d) => [d.name, d.display]));
    const names = remove.filter((n) => inEnv.has(n)).map((n) => inEnv.get(n) ?? n);
    if (names.length === 0) return;
    ctx.log(`uninstalling ${names.join(', ')}`);
    for (const name of names) if (!byPip.includes(canonicalName(name))) await uninstallFrom(env, name);
    const viaPip = names.filter((n) => byPip.includes(canonicalName(n)));
    if (viaPip.length === 0) return;
    const result = await session.run(ctx, 'uninstall', viaPip, session.scratch);
    await keepSitePackages(env.sitePackages);
    if (result.code !== 0) throw pipFailure(`uninstall ${viaPip.join(', ')}`, result, 'run the command again once the problem is fixed');
  } finally {
    await session.close();
  }
}

/** Every candidate was installed by envbuild: uninstalled by RECORD, the dependency check from metadata. */
async function uninstallByRecord(ctx: RemoveContext, candidates: readonly string[]): Promise<void> {
  const dists = await readMetadata(ctx.env.sitePackages);
  const { remove, kept } = removable(candidates, dists);
  for (const [name, by] of kept) ctx.log(`keeping ${name}: ${by} still requires it`);
  const display = new Map(dists.map((d) => [d.name, d.display]));
  const names = remove.filter((n) => display.has(n)).map((n) => display.get(n) ?? n);
  if (names.length === 0) return;
  ctx.log(`uninstalling ${names.join(', ')} (by RECORD)`);
  for (const name of names) await uninstallFrom(ctx.env, name);
  await keepSitePackages(ctx.env.sitePackages);
}

async function runnable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Distributions this part installed that are gone or changed in site-packages (pip uninstall by hand). */
async function drift(previous: PartRecord, env: RecipeEnvironment): Promise<string[]> {
  const owned = ownedBy(previous);
  if (owned.size === 0) return [];
  const present = await listSitePackages(env.sitePackages);
  const reasons: string[] = [];
  for (const [name, version] of owned) {
    const now = present.get(name);
    if (now === undefined) reasons.push(`${name} ${version} is no longer installed`);
    else if (!sameVersion(now, version)) reasons.push(`${name} is ${now} in the environment, ${version} was installed`);
  }
  return reasons;
}

/** Requirement files, local archives and project configurations whose content changed. */
function sourceChanges(previous: PartRecord, declared: Declared, manifestDir: string): string[] {
  const old = recordOf(previous.outputs['sources']);
  const reasons: string[] = [];
  for (const [file, digest] of Object.entries(declared.sources)) {
    if (!(file in old)) continue; // newly named: the options changed, which says it already
    if (old[file] !== digest) reasons.push(`${display(manifestDir, file)} ${digest === null ? 'is missing' : 'changed'}`);
  }
  return reasons;
}

/** `+ attrs 23.2.0`, `~ idna 3.6 → 3.7`, `- six 1.16.0`: the locked set against what the part owns now. */
function lockChanges(owned: ReadonlyMap<string, string>, locked: readonly LockedPackage[]): string[] {
  const out: string[] = [];
  const names = new Set<string>();
  for (const p of [...locked].sort((a, b) => canonicalName(a.name).localeCompare(canonicalName(b.name)))) {
    const n = canonicalName(p.name);
    names.add(n);
    const was = owned.get(n);
    const now = p.version ?? '';
    if (was === undefined) out.push(`+ ${p.name} ${now}`.trimEnd());
    else if (now !== '' && was !== '' && !sameVersion(was, now)) out.push(`~ ${p.name} ${was} → ${now}`);
  }
  for (const [n, v] of owned) if (!names.has(n)) out.push(`- ${n} ${v}`.trimEnd());
  return out;
}

function display(dir: string, file: string): string {
  const rel = path.relative(dir, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function summary(options: PackagesOptions): string {
  const entries = [...(options.requirements ?? []), ...(options.editable ?? []).map((e) => `-e ${e}`), ...(options['seed-pip'] ? ['pip (seed)'] : [])];
  if (entries.length === 0) return 'nothing';
  return entries.length <= 5 ? entries.join(', ') : `${entries.slice(0, 4).join(', ')} and ${entries.length - 4} more`;
}

/** `Successfully installed alpha-2.0 beta-1.0` → `['alpha-2.0', 'beta-1.0']`. */
function successfullyInstalled(stdout: string): string[] {
  const line = stdout.split(/\r?\n/).find((l) => l.startsWith('Successfully installed '));
  return line ? line.slice('Successfully installed '.length).trim().split(/\s+/) : [];
}
