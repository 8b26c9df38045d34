/**
 * A recipe as the runner holds it, with what identifies its code. A types-only module, so that
 * the plan's types can name it without importing the loader (and, through it, the recipes).
 */
import type { Recipe } from '../recipe-api/api.js';

export interface LoadedRecipe {
  readonly recipe: Recipe;
  /**
   * What identifies this exact recipe code, for part fingerprints: `packages@1` for a built-in,
   * the source hash for a local module (editing it re-plans its parts), the package version
   * for an npm package.
   */
  readonly identity: string;
  readonly kind: 'builtin' | 'local' | 'package';
}
