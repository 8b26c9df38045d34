import type { ValidateFunction } from 'ajv';

/** The published schema; the same file editors load through `# yaml-language-server: $schema=`. */
export const MANIFEST_SCHEMA_URL = new URL('../../schemas/envbuild.schema.json', import.meta.url);

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
