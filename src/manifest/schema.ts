import type { ValidateFunction } from 'ajv';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../version.js';

/**
 * The published schema; the same file editors load through `# yaml-language-server: $schema=`.
 * Found from the package root, not from this module, which lives at a different depth in src/
 * and in the bundle (dist/chunks/).
 */
export const MANIFEST_SCHEMA_URL: URL = new URL('schemas/envbuild.schema.json', pathToFileURL(`${PACKAGE_ROOT}/`));

let loaded: Promise<ValidateFunction> | undefined;

/**
 * The validator for schemas/envbuild.schema.json, loaded once per process on first use.
 * It is ajv's standalone code, generated ahead of time (test/manifest/schema-validator.test.ts
 * checks it matches the schema and regenerates it with `--update`): compiling the schema at
 * run time cost ~65 ms of ajv loading and compiling on every command, 3× Node's own start-up.
 */
export function manifestValidator(): Promise<ValidateFunction> {
  loaded ??= import('./schema-validator.generated.js').then(
    (generated) => (generated as unknown as { validate: ValidateFunction }).validate,
  );
  return loaded;
}
