/**
 * A project for runner tests that needs no interpreter: a real manifest in a temp dir, an
 * environment described by hand (the runner reads only its name, path and inputs), and a
 * local recipe module, `./recipes/paths.mjs`, that writes the files and directories its
 * options name and reports them as created. Fast enough for mutation testing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadManifest } from '../../src/manifest/index.js';
import type { Manifest } from '../../src/manifest/types.js';
import { loadRecipe } from '../../src/parts/load-recipe.js';
import type { DesiredEnvironment, DesiredPart } from '../../src/plan/types.js';
import type { PartRecord } from '../../src/recipe-api/api.js';
import { tempDir } from '../helpers/temp-dir.js';

export const PATHS_RECIPE = `
import fs from 'node:fs/promises';
import path from 'node:path';
// What a call of the recipe was given, as the recipe sees it.
const seenBy = (ctx, phase) => ({
  phase,
  part: ctx.part,
  env: ctx.env.name,
  envPath: ctx.env.path,
  manifestDir: ctx.manifestDir,
  options: ctx.options,
  previousOptions: ctx.previous?.options ?? null,
  locked: ctx.locked ?? null,
  reason: ctx.reason ?? null,
  signal: ctx.signal instanceof AbortSignal && !ctx.signal.aborted,
});
export default {
  name: 'paths',
  version: '1',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      dirs: { type: 'array', items: { type: 'string' } },
      files: { type: 'object', additionalProperties: { type: 'string' } },
      link: { type: 'string' },
      created: { type: 'array', items: { type: 'string' } },
      token: { type: 'string' },
      throw: { type: 'string' },
      removeCalls: { type: 'string' },
      say: {},
      pinned: { type: 'array' },
      noCreated: { type: 'boolean' },
      seen: { type: 'string' },
      removeThrow: { type: 'string' },
      hang: { type: 'boolean' },
    },
  },
  async apply(ctx) {
    const o = ctx.options;
    if (o.seen) await fs.writeFile(path.join(ctx.manifestDir, o.seen), JSON.stringify(seenBy(ctx, 'apply')));
    // Waits until stopped, as a recipe running a long command does.
    if (o.hang) await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    if (o.throw === 'bug') throw new TypeError('boom ' + (o.token ?? ''));
    if (o.throw === 'exec') await ctx.exec('/bin/sh', ['-c', 'echo "failing for $1" >&2; exit 4', 'sh', o.token ?? '']);
    const created = [];
    for (const d of o.dirs ?? []) {
      await fs.mkdir(path.join(ctx.env.path, d), { recursive: true });
      created.push(path.join(ctx.env.path, d));
    }
    for (const [f, text] of Object.entries(o.files ?? {})) {
      await fs.writeFile(path.join(ctx.env.path, f), text);
      created.push(path.join(ctx.env.path, f));
    }
    if (o.link) {
      await fs.rm(path.join(ctx.env.path, 'link'), { force: true });
      await fs.symlink(o.link, path.join(ctx.env.path, 'link'));
      created.push(path.join(ctx.env.path, 'link'));
    }
    ctx.log('applied with ' + (o.token ?? 'no token'));
    if (o.say !== undefined) ctx.log(o.say);
    const outputs = { count: created.length, token: o.token ?? null };
    if (o.noCreated) return { outputs };
    return { outputs, created: o.created ?? created, ...(o.pinned ? { pinned: o.pinned } : {}) };
  },
  async remove(ctx) {
    if (ctx.options.seen) await fs.writeFile(path.join(ctx.manifestDir, ctx.options.seen), JSON.stringify(seenBy(ctx, 'remove')));
    if (ctx.options.removeThrow === 'bug') throw new TypeError('remove broke ' + (ctx.options.token ?? ''));
    if (ctx.options.removeThrow === 'exec') await ctx.exec('/bin/sh', ['-c', 'exit 5']);
    // A promise nothing will ever settle: a recipe bug the runner must name.
    if (ctx.options.removeThrow === 'stall') await new Promise(() => undefined);
    ctx.log('removing (' + ctx.reason + ')');
    // Leaves its files to the next run, as a recipe undoing only what it changed elsewhere does.
    if (ctx.options.removeThrow === 'keep-files') return;
    if (ctx.options.removeCalls) await fs.appendFile(path.join(ctx.manifestDir, ctx.options.removeCalls), ctx.reason + '\\n');
    await ctx.removeCreated();
  },
};
`;

export interface RunnerProject {
  readonly dir: string;
  readonly envPath: string;
  readonly manifest: Manifest;
  readonly desired: DesiredEnvironment;
  part(options: Record<string, unknown>, name?: string): Promise<DesiredPart>;
  hooks(): { signal: AbortSignal; progress: (m: string) => void };
  readonly progress: string[];
}

/** A project with environment `app` at `<dir>/envs/app` (created, empty) and the paths recipe. */
export async function runnerProject(inputs: Partial<DesiredEnvironment['inputs']> = {}): Promise<RunnerProject> {
  const dir = tempDir('envbuild-runner-');
  const envPath = path.join(dir, 'envs', 'app');
  fs.mkdirSync(envPath, { recursive: true });
  fs.mkdirSync(path.join(dir, 'recipes'));
  fs.writeFileSync(path.join(dir, 'recipes', 'paths.mjs'), PATHS_RECIPE);
  fs.writeFileSync(path.join(dir, 'env.yaml'), 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n    parts:\n      p:\n        recipe: ./recipes/paths.mjs\n');
  const manifest = await loadManifest(path.join(dir, 'env.yaml'));
  const recipeEnv = {
    name: 'app',
    path: envPath,
    python: path.join(envPath, 'bin', 'python'),
    base: {} as never,
    layout: 'venv' as const,
    isolation: 'full' as never,
    sitePackages: path.join(envPath, 'lib', 'python3.11', 'site-packages'),
    bin: path.join(envPath, 'bin'),
  };
  const desired = {
    name: 'app',
    path: envPath,
    inputs: { python: { executable: '/usr/bin/python3.11', version: '3.11.2' }, layout: 'venv', isolation: 'full', prompt: 'app', ...inputs },
    entries: [],
    digests: {},
    notes: [],
    warnings: [],
    recipeEnv,
    parts: [],
  } as DesiredEnvironment;
  const progress: string[] = [];
  return {
    dir,
    envPath,
    manifest,
    desired,
    progress,
    async part(options, name = 'p') {
      const loaded = await loadRecipe('./recipes/paths.mjs', dir);
      return { name, recipeRef: './recipes/paths.mjs', loaded, options, at: manifest.source.locate(['environments', 'app']), uses: [] };
    },
    hooks: () => ({ signal: new AbortController().signal, progress: (m: string) => void progress.push(m) }),
  };
}

export type { PartRecord };
