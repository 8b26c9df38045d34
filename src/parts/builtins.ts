/**
 * The built-in recipes: one folder each in `recipes/<name>/`, written against the public API
 * only, loaded on first use (a manifest using only `file` never loads the packages recipe).
 * The relative imports resolve from `src/parts/` (tests), and the bundler follows them (each
 * recipe becomes a chunk of dist/, loaded on first use). test/recipes/builtins.test.ts checks
 * that this table and the folders match.
 */
import type { Recipe } from '../recipe-api/api.js';

type Loader = () => Promise<Recipe>;

/**
 * A recipe typed with its own options, seen as any recipe: sound because the runner validates
 * the options against the recipe's schema before calling it. (`Recipe<O>` is not assignable to
 * `Recipe` on its own: `Readonly<>` turns the methods into properties, checked contravariantly.)
 */
const load = async (module: Promise<{ default: object }>): Promise<Recipe> => (await module).default as Recipe;

export const BUILTIN_RECIPES: Readonly<Record<string, Loader>> = Object.freeze({
  command: () => load(import('../../recipes/command/index.js')),
  file: () => load(import('../../recipes/file/index.js')),
  packages: () => load(import('../../recipes/packages/index.js')),
  scripts: () => load(import('../../recipes/scripts/index.js')),
});

export function isBuiltinRecipe(name: string): boolean {
  return Object.hasOwn(BUILTIN_RECIPES, name);
}
