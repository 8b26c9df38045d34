/**
 * The registry of built-in recipes and the folders in recipes/ match exactly; each recipe is
 * well formed, documented, and written only against the public API (as a third-party recipe is).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';


import { recipeProblems, type Recipe } from '../../src/index.js';
import { BUILTIN_RECIPES, isBuiltinRecipe } from '../../src/parts/builtins.js';
import { REPO } from '../helpers/project.js';

const RECIPES = path.join(REPO, 'recipes');
const folders = fs
  .readdirSync(RECIPES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

async function load(name: string): Promise<Recipe> {
  const loader = BUILTIN_RECIPES[name];
  if (!loader) throw new Error(`no built-in recipe ${name}`);
  return loader();
}

describe('built-in recipes', () => {
  it('has one registry entry per folder in recipes/, and no other', () => {
    expect(Object.keys(BUILTIN_RECIPES).sort()).toEqual(folders);
    expect(folders).toEqual(['command', 'file', 'packages', 'scripts']);
    expect(isBuiltinRecipe('file')).toBe(true);
    expect(isBuiltinRecipe('toString')).toBe(false);
  });

  it.each(folders)('%s loads as a well-formed recipe named after its folder', async (name) => {
    const recipe = await load(name);
    expect(recipeProblems(recipe)).toEqual([]);
    expect(recipe.name).toBe(name);
    expect(fs.existsSync(path.join(RECIPES, name, 'README.md'))).toBe(true);
  });

  it.each(folders)('%s has a strict draft-07 options schema, every option described', async (name) => {
    const schema = (await load(name)).options as { additionalProperties?: unknown; properties?: Record<string, { description?: unknown }> };
    expect(() => new Ajv({ strict: true, allowUnionTypes: true, allErrors: true }).compile(schema)).not.toThrow();
    expect(schema.additionalProperties).toBe(false);
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      expect(typeof property.description, `${name}: option ${key} has no description`).toBe('string');
    }
  });

  it.each(folders)("%s's README examples are valid options", async (name) => {
    const recipe = await load(name);
    const validate = new Ajv({ strict: false, allErrors: true }).compile(recipe.options);
    const readme = fs.readFileSync(path.join(RECIPES, name, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const parts: Record<string, unknown>[] = [];
    const collect = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (o['recipe'] === name) parts.push(o);
        else Object.values(o).forEach(collect);
      }
    };
    blocks.forEach((b) => collect(parse(b)));
    expect(parts.length, `${name}/README.md has no example part`).toBeGreaterThan(0);
    for (const { recipe: _recipe, ...options } of parts) {
      expect(validate(options) ? [] : validate.errors, JSON.stringify(options)).toEqual([]);
    }
  });

  it.each(folders)('%s imports only envbuild/recipe, node: built-ins and its own files', (name) => {
    const dir = path.join(RECIPES, name);
    const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources).toContain('index.ts');
    for (const file of sources) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
        (m) => m[1] ?? m[2] ?? m[3],
      );
      for (const spec of specifiers) {
        const ok = spec === 'envbuild/recipe' || spec?.startsWith('node:') || /^\.\/[\w.-]+\.js$/.test(spec ?? '');
        expect(ok, `recipes/${name}/${file} imports "${spec}"`).toBe(true);
      }
    }
  });
});
