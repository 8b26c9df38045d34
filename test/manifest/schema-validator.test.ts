import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { expect, test } from 'vitest';
import { MANIFEST_SCHEMA_URL } from '../../src/manifest/schema.js';

/**
 * The validator is generated from the schema ahead of time so that no run pays for
 * compiling it. This test is its generator: it fails when the committed file is stale, and
 * `npx vitest run test/manifest/schema-validator.test.ts --update` rewrites it.
 */
function generateValidator(): string {
  const schema = JSON.parse(readFileSync(MANIFEST_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({
    allErrors: true,
    // Errors carry the failing value and schema, which the error translation words with.
    verbose: true,
    strict: true,
    // Only non-emptiness is checked (minLength: 1), where `.length` is exact; the default
    // would import ajv's runtime helper through a `require` that ESM cannot run.
    unicode: false,
    code: { source: true, esm: true },
  });
  // An editor annotation (VS Code, yaml-language-server), meaningless to validation.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  const code = standaloneCode.default(ajv, ajv.compile(schema));
  return [
    '// @ts-nocheck',
    '// Generated from schemas/envbuild.schema.json by test/manifest/schema-validator.test.ts; do not edit.',
    '// Regenerate with: npx vitest run test/manifest/schema-validator.test.ts --update',
    code,
    '',
  ].join('\n');
}

test('the committed validator is generated from the current schema', async () => {
  const code = generateValidator();
  expect(code).not.toMatch(/\brequire\(/);
  await expect(code).toMatchFileSnapshot(
    fileURLToPath(new URL('../../src/manifest/schema-validator.generated.ts', import.meta.url)),
    'stale: regenerate with `npx vitest run test/manifest/schema-validator.test.ts --update`',
  );
});

test('every property of the schema has a description, for editors', () => {
  const schema = JSON.parse(readFileSync(MANIFEST_SCHEMA_URL, 'utf8')) as unknown;
  const undocumented: string[] = [];
  const visit = (node: unknown, where: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const properties = (node as { properties?: Record<string, unknown> }).properties ?? {};
    for (const [key, sub] of Object.entries(properties)) {
      const s = sub as { description?: unknown; $ref?: string };
      const target = s.$ref ? resolveRef(schema, s.$ref) : s;
      if (typeof target.description !== 'string') undocumented.push(`${where}/${key}`);
    }
    for (const [key, child] of Object.entries(node)) visit(child, `${where}/${key}`);
  };
  visit(schema, '#');
  expect(undocumented).toEqual([]);
  expect(schema).toMatchObject({ $id: expect.any(String), title: expect.any(String), description: expect.any(String) });
});

function resolveRef(schema: unknown, ref: string): { description?: unknown } {
  let node: unknown = schema;
  for (const segment of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[segment];
  return node as { description?: unknown };
}

test('the fields `defaults` accepts are the ones defaults are applied for', async () => {
  const { DEFAULTABLE_FIELDS } = await import('../../src/manifest/defaults.js');
  const schema = JSON.parse(readFileSync(MANIFEST_SCHEMA_URL, 'utf8')) as {
    properties: { defaults: { properties: Record<string, unknown> } };
  };
  expect(Object.keys(schema.properties.defaults.properties)).toEqual([...DEFAULTABLE_FIELDS]);
});
