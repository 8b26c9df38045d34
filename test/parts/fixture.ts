/**
 * A project for runner tests that needs no interpreter: a real manifest in a temp dir, an
 * environment described by hand (the runner reads only its name, path and inputs), and a
 * local recipe module, `./recipes/paths.mjs` (paths-recipe.mjs), that writes the files and
 * directories its options name and reports them as created. Fast enough for mutation testing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadManifest } from '../../src/manifest/index.js';
import type { Manifest } from '../../src/manifest/types.js';
import { loadRecipe } from '../../src/parts/load-recipe.js';
import type { DesiredEnvironment, DesiredPart } from '../../src/plan/types.js';
import type { PartRecord } from '../../src/recipe-api/api.js';
import { tempDir } from '../helpers/temp-dir.js';

// The recipe module itself lives beside this file (paths-recipe.mjs); a project's
// ./recipes/paths.mjs is a local module that re-exports it. Node keeps one instance of it, so
// the runner compiles its options schema once per run instead of once per project (~50 ms each).
const PATHS_RECIPE = `export { default } from ${JSON.stringify(pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'paths-recipe.mjs')).href)};\n`;

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
