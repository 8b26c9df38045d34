import type { Recipe } from './api.js';

/** Placeholder until the built-in recipes land; replaced by the registry of recipes/<name>/. */
export const BUILTIN_RECIPES: Readonly<Record<string, () => Promise<Recipe>>> = {};
