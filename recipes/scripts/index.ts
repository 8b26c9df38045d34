/**
 * The `scripts` recipe: console scripts of installed distributions, an interpreter script and
 * wrapper scripts, written into the environment's bin/. See README.md beside this file.
 */
import path from 'node:path';
import { defineRecipe, UserError, type PartDecision, type RecipeEnvironment, readExisting, writeIfChanged } from 'envbuild/recipe';
import { canonicalName, findDistribution, listDistributions, searchDirs, type Distribution } from './entry-points.js';
import { renderConsoleScript, renderInterpreter, renderWrapper, type WrapperSpec } from './render.js';

export interface WrapperOptions {
  readonly command?: string | readonly string[];
  readonly module?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface ScriptsOptions {
  /** Distribution names, or a mapping whose keys are (a packages part's `installed` output). */
  readonly 'entry-points-of'?: readonly string[] | Readonly<Record<string, unknown>>;
  readonly scripts?: readonly string[];
  readonly interpreter?: string;
  readonly wrappers?: Readonly<Record<string, WrapperOptions>>;
}

const SCRIPT_NAME = '^[A-Za-z0-9_][A-Za-z0-9._+-]*$';
const MODE = 0o755;

const OPTIONS = {
  type: 'object',
  additionalProperties: false,
  properties: {
    'entry-points-of': {
      description:
        'Distributions whose console_scripts and gui_scripts entry points become scripts: a list of names, or a mapping whose keys are names — e.g. ${parts.deps.installed}, which also re-plans this part whenever that packages part changes.',
      oneOf: [
        { type: 'array', items: { type: 'string', minLength: 1 } },
        { type: 'object', additionalProperties: true },
      ],
    },
    scripts: {
      type: 'array',
      items: { type: 'string', pattern: SCRIPT_NAME },
      description: 'Only these scripts (entry point names); without entry-points-of, they are looked up in every distribution installed in the environment.',
    },
    interpreter: {
      type: 'string',
      pattern: SCRIPT_NAME,
      description: "Writes bin/<name>: the environment's Python under that name (buildout's interpreter option).",
    },
    wrappers: {
      type: 'object',
      description: 'Named wrapper scripts: bin/<name> sets variables and runs a command or a module, with its own arguments appended.',
      propertyNames: { pattern: SCRIPT_NAME },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          command: {
            description:
              'What to run: one shell command (words, quotes, $VARS; run with exec, so no ; or &&), or a list of words passed as they are. bin/ of the environment comes first on PATH.',
            oneOf: [
              { type: 'string', minLength: 1 },
              { type: 'array', items: { type: 'string' }, minItems: 1 },
            ],
          },
          module: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.]*$', description: "A module to run with the environment's python -m (instead of a command)." },
          args: { type: 'array', items: { type: 'string' }, description: "Arguments put before the wrapper's own." },
          env: {
            type: 'object',
            propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            additionalProperties: { type: 'string' },
            description: 'Environment variables to set.',
          },
          cwd: { type: 'string', minLength: 1, description: 'Directory to run in, relative to the manifest directory.' },
        },
      },
    },
  },
} as const;

interface DesiredScript {
  readonly name: string;
  readonly path: string;
  readonly content: string;
  /** Installed by pip for its distribution (listed in its RECORD): pip owns it, it is left alone. */
  readonly byPip: boolean;
}

export default defineRecipe<ScriptsOptions>({
  name: 'scripts',
  version: '1',
  description: 'Writes console scripts of installed distributions, an interpreter script and wrapper scripts into bin/.',
  options: OPTIONS,

  async plan({ options, previous, changes, env, manifestDir }): Promise<PartDecision> {
    if (previous === null) return { action: 'create', reasons: ['new part'] };
    const reasons = [...changes];
    const { scripts, problems } = await desiredScripts(options, env, manifestDir);
    reasons.push(...problems);
    const recorded = new Set(previous.created.map((c) => c.path));
    for (const s of scripts) {
      const now = await readExisting(s.path).catch(() => undefined);
      const shown = path.relative(env.path, s.path);
      if (s.byPip && now) continue;
      if (!now) reasons.push(`${shown} missing`);
      else if (!now.content.equals(Buffer.from(s.content))) reasons.push(`${shown} out of date`);
      else if (now.mode !== MODE) reasons.push(`${shown} not executable`);
      else if (!recorded.has(s.path)) reasons.push(`${shown} to be recorded`);
    }
    const unique = [...new Set(reasons)];
    return unique.length > 0 ? { action: 'update', reasons: unique } : { action: 'no-op', reasons: [] };
  },

  async apply(ctx) {
    const { options, env, manifestDir, previous } = ctx;
    const { scripts, problems } = await desiredScripts(options, env, manifestDir);
    if (problems.length > 0) {
      throw new UserError('ESCRIPTS', problems.join('; '), { hint: 'install the distributions first (a packages part listed before this one), or fix the names' });
    }
    const ours = new Set((previous?.created ?? []).map((c) => c.path));
    const created: string[] = [];
    for (const s of scripts) {
      const existing = await readExisting(s.path);
      if (s.byPip && existing) {
        ctx.log(`${s.name}: already written by pip for its distribution`);
        continue;
      }
      if (existing && !ours.has(s.path) && !existing.content.equals(Buffer.from(s.content))) {
        throw new UserError('ESCRIPTS', `${s.path} exists and was not written by this part`, {
          hint: 'envbuild does not overwrite files it did not create: remove it, or choose another name',
        });
      }
      const outcome = await writeIfChanged(s.path, s.content, MODE);
      if (outcome !== 'unchanged') ctx.log(`${outcome === 'written' ? 'wrote' : 'made executable'} ${path.relative(env.path, s.path)}`);
      created.push(s.path);
    }
    const byName = Object.fromEntries(scripts.map((s) => [s.name, s.path]));
    return { outputs: { scripts: byName, paths: scripts.map((s) => s.path).sort() }, created };
  },
});

async function desiredScripts(
  options: ScriptsOptions,
  env: RecipeEnvironment,
  manifestDir: string,
): Promise<{ scripts: DesiredScript[]; problems: string[] }> {
  const problems: string[] = [];
  const scripts: DesiredScript[] = [];
  const add = (name: string, content: string, byPip = false) => {
    const file = path.join(env.bin, name);
    if (path.dirname(file) !== env.bin) {
      problems.push(`script name ${JSON.stringify(name)} does not name a file in ${env.bin}`);
      return;
    }
    if (scripts.some((s) => s.name === name)) problems.push(`two scripts are named ${name}`);
    else scripts.push({ name, path: file, content, byPip });
  };

  const wanted = options.scripts === undefined ? undefined : new Set(options.scripts);
  const named = distNames(options['entry-points-of']);
  if (named.length > 0 || wanted) {
    const dirs = await searchDirs(env);
    const dists: Distribution[] = [];
    const candidates = named.length > 0 ? named : await listDistributions(env.sitePackages);
    for (const name of candidates) {
      const dist = await findDistribution(dirs, name);
      if (dist) dists.push(dist);
      else problems.push(`${name} is not installed in environment ${env.name}`);
    }
    const found = new Set<string>();
    for (const dist of dists) {
      for (const ep of dist.entryPoints) {
        if (wanted && !wanted.has(ep.name)) continue;
        if (found.has(ep.name)) continue; // the first distribution providing a name wins, as with pip
        found.add(ep.name);
        if (!isScriptName(ep.name)) {
          // entry_points.txt is the distribution's, not the user's: `../../x` or `a/b` would
          // write outside bin/. Refused before anything is written, as pip refuses the wheel.
          problems.push(`${dist.name} declares the entry point ${JSON.stringify(ep.name)}, which is not a script name (one file name in bin/: letters, digits, "_", ".", "+", "-")`);
          continue;
        }
        if (ep.attr === '') {
          problems.push(`the entry point ${ep.name} of ${dist.name} names no function ("${ep.module}")`);
          continue;
        }
        const file = path.join(env.bin, ep.name);
        add(ep.name, renderConsoleScript(env.python, ep, dist.name), dist.recorded.has(file));
      }
    }
    for (const name of wanted ?? []) {
      if (!found.has(name)) {
        const from = named.length > 0 ? named.join(', ') : `the distributions installed in ${env.name}`;
        const available = dists.flatMap((d) => d.entryPoints.map((e) => e.name));
        problems.push(`no console script named ${name} in ${from}${available.length > 0 ? ` (there are: ${[...new Set(available)].sort().join(', ')})` : ''}`);
      }
    }
  }
  if (options.interpreter !== undefined) add(options.interpreter, renderInterpreter(env.python, env.name));
  for (const [name, w] of Object.entries(options.wrappers ?? {})) {
    if ((w.command === undefined) === (w.module === undefined)) {
      problems.push(`wrapper ${name}: give ${w.command === undefined ? 'a command or a module' : 'a command or a module, not both'}`);
      continue;
    }
    const spec: WrapperSpec = {
      ...(w.command !== undefined ? { command: w.command } : {}),
      ...(w.module !== undefined ? { module: w.module } : {}),
      ...(w.args !== undefined ? { args: w.args } : {}),
      ...(w.env !== undefined ? { env: w.env } : {}),
      ...(w.cwd !== undefined ? { cwd: path.resolve(manifestDir, w.cwd) } : {}),
    };
    add(name, renderWrapper(name, spec, env.python, env.bin));
  }
  return { scripts, problems };
}

const SCRIPT_NAME_RE = new RegExp(SCRIPT_NAME);

/** One plain file name: no separator, not `.` or `..`, nothing a shell or a path could misread. */
function isScriptName(name: string): boolean {
  return SCRIPT_NAME_RE.test(name) && name !== '.' && name !== '..' && Buffer.byteLength(name) <= 255;
}

function distNames(value: ScriptsOptions['entry-points-of']): string[] {
  if (value === undefined) return [];
  const names = Array.isArray(value) ? (value as readonly string[]) : Object.keys(value);
  return [...new Set(names.map(canonicalName))];
}
