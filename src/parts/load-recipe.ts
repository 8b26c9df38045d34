import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors/user-error.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import { recipeProblems, type Recipe } from '../recipe-api/api.js';
import { BUILTIN_RECIPES } from './builtins.js';
import type { LoadedRecipe } from './loaded-recipe.js';

export type { LoadedRecipe };


const cache = new Map<string, Promise<LoadedRecipe>>();

/**
 * Resolves a part's `recipe:` value: a built-in name, a local module (`./x.mjs`, `../x.js`
 * or an absolute path, relative to the manifest), or an npm package installed where the
 * manifest is. Problems are UserErrors; the caller locates them at the `recipe` value.
 */
export function loadRecipe(ref: string, manifestDir: string): Promise<LoadedRecipe> {
  const key = `${manifestDir}\0${ref}`;
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = load(ref, manifestDir);
    cache.set(key, loaded);
    loaded.catch(() => cache.delete(key));
  }
  return loaded;
}

async function load(ref: string, manifestDir: string): Promise<LoadedRecipe> {
  const builtin = BUILTIN_RECIPES[ref];
  if (builtin) {
    const recipe = await builtin();
    return { recipe, identity: `${recipe.name}@${recipe.version}`, kind: 'builtin' };
  }
  if (ref.startsWith('./') || ref.startsWith('../') || path.isAbsolute(ref)) {
    const file = path.resolve(manifestDir, ref);
    let source: Buffer;
    try {
      source = await fs.readFile(file);
    } catch (e) {
      throw new UserError('ERECIPE', `recipe module ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'local recipe paths are relative to the manifest',
      });
    }
    const recipe = await importRecipe(pathToFileURL(file).href, ref);
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
    return { recipe, identity: `${ref}#${hash}@${recipe.version}`, kind: 'local' };
  }
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(ref)) {
    throw new UserError('ERECIPE', `"${ref}" is neither a built-in recipe, a local module path nor a package name`, {
      hint: `built-in recipes: ${Object.keys(BUILTIN_RECIPES).sort().join(', ')}; a local module starts with ./`,
    });
  }
  const require = createRequire(path.join(manifestDir, 'package.json'));
  let entry: string;
  try {
    entry = require.resolve(ref);
  } catch {
    // A near miss of a built-in name is a typo, not a package to install.
    const near = didYouMean(ref, Object.keys(BUILTIN_RECIPES));
    if (near) {
      throw new UserError('ERECIPE', `unknown recipe "${ref}": did you mean \`${near}\`?`, {
        hint: `built-in recipes: ${Object.keys(BUILTIN_RECIPES).sort().join(', ')}`,
      });
    }
    throw new UserError('ERECIPE', `unknown recipe "${ref}": not built in, and no package "${ref}" is installed for ${manifestDir}`, {
      hint: `built-in recipes: ${Object.keys(BUILTIN_RECIPES).sort().join(', ')}; for a package recipe run npm install ${ref} beside the manifest`,
    });
  }
  const recipe = await importRecipe(pathToFileURL(entry).href, ref);
  let version = '?';
  try {
    version = (JSON.parse(await fs.readFile(require.resolve(`${ref}/package.json`), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    // A package that does not export its package.json: its recipe version still counts.
  }
  return { recipe, identity: `${ref}@${version}/${recipe.version}`, kind: 'package' };
}

async function importRecipe(url: string, ref: string): Promise<Recipe> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new UserError('ERECIPE', `recipe "${ref}" failed to load: ${(e as Error).message}`, {
      hint: 'fix the module; it must be an ES module whose default export is made with defineRecipe()',
    });
  }
  const candidate = mod['default'] ?? mod['recipe'];
  const problems = recipeProblems(candidate);
  if (problems.length > 0) {
    throw new UserError('ERECIPE', `recipe "${ref}" is malformed: ${problems.join('; ')}`, {
      hint: 'export default defineRecipe({ name, version, options, apply }) from the module',
    });
  }
  return candidate as Recipe;
}
