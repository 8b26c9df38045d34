import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { expect, test } from 'vitest';
import { BUILTIN_RECIPES } from '../../src/parts/builtins.js';
import { PRECOMPILED, schemaKey } from '../../src/parts/recipe-validators.generated.js';
import { validateOptions } from '../../src/parts/validate-options.js';
import type { SourceMap } from '../../src/manifest/types.js';

/**
 * The option validators of the built-in recipes are generated ahead of time (ajv standalone,
 * like the manifest's), so that no run pays for loading ajv and compiling a schema (≈ 50 ms
 * on every run with a packages part, no-op included). This test is their generator: it fails
 * when the committed file is stale, and
 * `npx vitest run test/parts/recipe-validators.test.ts --update` rewrites it.
 */
async function generateValidators(): Promise<string> {
  // The same options as the run-time compile in src/parts/validate-options.ts, so that a
  // precompiled validator reports exactly what a compiled one would.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, unicode: false, code: { source: true, esm: true } });
  const names = Object.keys(BUILTIN_RECIPES).sort();
  const exports: Record<string, string> = {};
  const keys: string[] = [];
  for (const [i, name] of names.entries()) {
    const recipe = await BUILTIN_RECIPES[name]!();
    ajv.addSchema(recipe.options as object, `recipe-${name}`);
    exports[`v${i}`] = `recipe-${name}`;
    keys.push(`  [${JSON.stringify(schemaKey(recipe.options))}, v${i}],`);
  }
  const code = standaloneCode.default(ajv, exports);
  return [
    '// @ts-nocheck',
    '// Generated from the option schemas of recipes/*/ by test/parts/recipe-validators.test.ts; do not edit.',
    '// Regenerate with: npx vitest run test/parts/recipe-validators.test.ts --update',
    code,
    '/** A schema as the key of its validator: a recipe whose schema changed is compiled at run time. */',
    'export function schemaKey(schema) { return JSON.stringify(schema); }',
    '/** Precompiled validators of the built-in recipes, by schemaKey of their option schema. */',
    'export const PRECOMPILED = new Map([',
    ...keys,
    ']);',
    '',
  ].join('\n');
}

test('the committed recipe validators are generated from the current recipe schemas', async () => {
  const code = await generateValidators();
  expect(code).not.toMatch(/\brequire\(/);
  await expect(code).toMatchFileSnapshot(
    fileURLToPath(new URL('../../src/parts/recipe-validators.generated.ts', import.meta.url)),
    'stale: regenerate with `npx vitest run test/parts/recipe-validators.test.ts --update`',
  );
});

test('every built-in recipe is validated by its precompiled validator', async () => {
  for (const name of Object.keys(BUILTIN_RECIPES)) {
    const recipe = await BUILTIN_RECIPES[name]!();
    expect(PRECOMPILED.has(schemaKey(recipe.options)), name).toBe(true);
  }
});

test('a precompiled validator words problems as the run-time one does', async () => {
  const recipe = await BUILTIN_RECIPES['packages']!();
  const source = { locate: () => ({ file: 'env.yaml', line: 3, column: 5 }), locateKey: () => ({ file: 'env.yaml', line: 4, column: 7 }) } as unknown as SourceMap;
  const base = ['environments', 'app', 'parts', 'deps'];
  const bad = { requirements: 'attrs', 'no-indx': true };
  const precompiled = await validateOptions(recipe, bad, source, base);
  // The same schema under another identity is compiled at run time with ajv.
  const copy = { ...recipe, options: { ...recipe.options, description: 'a copy' } };
  const compiled = await validateOptions(copy, bad, source, base);
  expect(precompiled.map((d) => d.message).sort()).toEqual([
    'expected array, got the string "attrs" (recipe packages)',
    'unknown option "no-indx" for recipe packages; did you mean "no-index"?',
  ]);
  expect(compiled).toEqual(precompiled);
});
