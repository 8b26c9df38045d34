/**
 * A part's `recipe:` value as the user writes it: a built-in name, a local module beside the
 * manifest, or an npm package installed there; its identity (which decides whether a part is
 * re-planned when the recipe changes), and what the user is told when it cannot be loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { isBuiltinRecipe } from '../../src/parts/builtins.js';
import { loadRecipe } from '../../src/parts/load-recipe.js';
import { tempDir } from '../helpers/temp-dir.js';

const RECIPE = (version: string, exportAs = 'export default') => `${exportAs} { name: 'demo', version: '${version}', options: { type: 'object' }, async apply() { return {}; } };\n`;
const BUILTINS = 'command, file, packages, scripts';

async function failure(ref: string, dir: string): Promise<UserError> {
  const e = await loadRecipe(ref, dir).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(UserError);
  expect((e as UserError).code).toBe('ERECIPE');
  return e as UserError;
}

describe('loadRecipe', () => {
  it('tells a built-in recipe name from anything else, inherited names included', () => {
    expect(['command', 'file', 'packages', 'scripts'].map(isBuiltinRecipe)).toEqual([true, true, true, true]);
    expect(['./file', 'constructor', 'toString', ''].map(isBuiltinRecipe)).toEqual([false, false, false, false]);
  });

  it('loads a built-in recipe by name, with its name and version as identity', async () => {
    const loaded = await loadRecipe('file', tempDir());
    expect(loaded.kind).toBe('builtin');
    expect(loaded.recipe.name).toBe('file');
    expect(loaded.identity).toBe(`file@${loaded.recipe.version}`);
  });

  it('loads a local module relative to the manifest; its identity follows its content', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'r.mjs'), RECIPE('1'));
    fs.writeFileSync(path.join(dir, 'named.mjs'), RECIPE('3', 'export const recipe ='));
    const a = await loadRecipe('./r.mjs', dir);
    expect(a.kind).toBe('local');
    expect(a.identity).toMatch(/^\.\/r\.mjs#[0-9a-f]{16}@1$/);
    expect(await loadRecipe('./r.mjs', dir)).toBe(a);
    expect((await loadRecipe('../r.mjs', path.join(dir, 'sub'))).identity).toMatch(/^\.\.\/r\.mjs#[0-9a-f]{16}@1$/);
    expect((await loadRecipe(path.join(dir, 'r.mjs'), '/')).recipe.name).toBe('demo');
    expect((await loadRecipe('./named.mjs', dir)).identity).toMatch(/@3$/);
    // Another content, another identity (another directory: the module cache is per manifest dir).
    const other = tempDir();
    fs.writeFileSync(path.join(other, 'r.mjs'), `${RECIPE('1')}// edited\n`);
    const b = await loadRecipe('./r.mjs', other);
    expect(b.identity).not.toBe(a.identity);
    expect(b.identity.slice(-2)).toBe('@1');
  });

  it('says a local module cannot be read, and tries again once it is there', async () => {
    const dir = tempDir();
    const e = await failure('./missing.mjs', dir);
    expect(e.code).toBe('ERECIPE');
    expect(e.message).toBe(`recipe module ${path.join(dir, 'missing.mjs')} cannot be read: ENOENT`);
    expect(e.hint).toBe('local recipe paths are relative to the manifest');
    fs.writeFileSync(path.join(dir, 'missing.mjs'), RECIPE('2'));
    expect((await loadRecipe('./missing.mjs', dir)).identity).toMatch(/@2$/);
  });

  it('says a module failed to load, or is not a recipe', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'broken.mjs'), 'export default {;\n');
    fs.writeFileSync(path.join(dir, 'empty.mjs'), 'export const x = 1;\n');
    const broken = await failure('./broken.mjs', dir);
    expect(broken.message).toMatch(/^recipe "\.\/broken\.mjs" failed to load: /);
    expect(broken.hint).toBe('fix the module; it must be an ES module whose default export is made with defineRecipe()');
    fs.writeFileSync(path.join(dir, 'half.mjs'), "export default { name: 'half', options: {} };\n");
    expect((await failure('./half.mjs', dir)).message).toBe('recipe "./half.mjs" is malformed: "version" must be a non-empty string; "apply" must be a function');
    const empty = await failure('./empty.mjs', dir);
    expect(empty.message).toMatch(/^recipe "\.\/empty\.mjs" is malformed: ./);
    expect(empty.hint).toBe('export default defineRecipe({ name, version, options, apply }) from the module');
  });

  it('refuses a value that is no recipe name, path or package name', async () => {
    const e = await failure('not a name', tempDir());
    expect(e.message).toBe('"not a name" is neither a built-in recipe, a local module path nor a package name');
    expect(e.hint).toBe(`built-in recipes: ${BUILTINS}; a local module starts with ./`);
  });

  it('suggests the built-in recipe a near miss means, and says how to install a package', async () => {
    const dir = tempDir();
    const typo = await failure('packges', dir);
    expect(typo.message).toBe('unknown recipe "packges": did you mean `packages`?');
    expect(typo.hint).toBe(`built-in recipes: ${BUILTINS}`);
    const unknown = await failure('@acme/envbuild-recipe-zzz', dir);
    expect(unknown.message).toBe(`unknown recipe "@acme/envbuild-recipe-zzz": not built in, and no package "@acme/envbuild-recipe-zzz" is installed for ${dir}`);
    expect(unknown.hint).toBe(`built-in recipes: ${BUILTINS}; for a package recipe run npm install @acme/envbuild-recipe-zzz beside the manifest`);
  });

  it('loads a package installed beside the manifest, with its package version in the identity', async () => {
    const dir = tempDir();
    const pkg = (name: string, json: object) => {
      fs.mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
      fs.writeFileSync(path.join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, main: 'index.mjs', ...json }));
      fs.writeFileSync(path.join(dir, 'node_modules', name, 'index.mjs'), RECIPE('4'));
    };
    pkg('envbuild-recipe-demo', { version: '1.2.3' });
    pkg('envbuild-recipe-closed', { version: '9.9.9', exports: { '.': './index.mjs' } });
    pkg('envbuild-recipe-unversioned', {});
    expect(await loadRecipe('envbuild-recipe-demo', dir)).toMatchObject({ kind: 'package', identity: 'envbuild-recipe-demo@1.2.3/4' });
    // A package that does not export its package.json, or has no version: its recipe version still counts.
    expect((await loadRecipe('envbuild-recipe-closed', dir)).identity).toBe('envbuild-recipe-closed@?/4');
    expect((await loadRecipe('envbuild-recipe-unversioned', dir)).identity).toBe('envbuild-recipe-unversioned@?/4');
  });
});
