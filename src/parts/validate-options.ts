import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../errors/diagnostic.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import type { KeyPath, SourceMap } from '../manifest/types.js';
import type { Recipe } from '../recipe-api/api.js';

const compiled = new WeakMap<Recipe, ValidateFunction>();

/**
 * Checks a part's options against its recipe's JSON Schema, reporting each problem at the
 * offending value in the manifest, in words. ajv is loaded (and each schema compiled) only
 * when some part is validated: a manifest without parts never pays for it.
 */
export async function validateOptions(
  recipe: Recipe,
  options: Readonly<Record<string, unknown>>,
  source: SourceMap,
  base: KeyPath,
): Promise<Diagnostic[]> {
  const validate = await validatorFor(recipe);
  if (validate(options)) return [];
  const diagnostics: Diagnostic[] = [];
  for (const error of validate.errors ?? []) {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'if') continue;
    const at = [...base, ...pointerSegments(error.instancePath)];
    const keyPath = at.join('.');
    if (error.keyword === 'additionalProperties') {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      const guess = didYouMean(key, known);
      diagnostics.push({
        severity: 'error',
        message: `unknown option "${key}" for recipe ${recipe.name}${guess ? `; did you mean "${guess}"?` : ''}`,
        location: source.locateKey([...at, key]),
        keyPath: `${keyPath}.${key}`,
        hint: known.length > 0 ? `options of ${recipe.name}: ${known.sort().join(', ')}` : `recipe ${recipe.name} takes no options`,
      });
      continue;
    }
    diagnostics.push({
      severity: 'error',
      message: `${describe(error)} (recipe ${recipe.name})`,
      location: source.locate(at),
      keyPath,
    });
  }
  if (diagnostics.length === 0) {
    // Only combinator errors (oneOf/anyOf/if): still invalid, so say so at the value.
    for (const error of validate.errors ?? []) {
      const at = [...base, ...pointerSegments(error.instancePath)];
      diagnostics.push({
        severity: 'error',
        message: `${error.keyword === 'oneOf' ? 'the value matches none (or more than one) of the forms' : 'invalid value'} recipe ${recipe.name} accepts here`,
        location: source.locate(at),
        keyPath: at.join('.'),
        hint: `see the README of recipe ${recipe.name} for its options`,
      });
    }
  }
  return diagnostics;
}

async function validatorFor(recipe: Recipe): Promise<ValidateFunction> {
  let v = compiled.get(recipe);
  if (v) return v;
  // The built-in recipes' validators are generated ahead of time (ajv standalone): loading
  // ajv and compiling a schema would cost ~50 ms on every run, no-op included. A schema that
  // differs from the generated one (a third-party recipe, an edited built-in) is compiled here.
  const { PRECOMPILED, schemaKey } = (await import('./recipe-validators.generated.js')) as unknown as {
    PRECOMPILED: ReadonlyMap<string, ValidateFunction>;
    schemaKey: (schema: unknown) => string;
  };
  v = PRECOMPILED.get(schemaKey(recipe.options));
  if (!v) {
    const { default: Ajv } = await import('ajv');
    // allErrors: every problem at once; strict off: third-party schemas may carry keywords
    // of their own (e.g. `markdownDescription` for editors).
    const ajv = new Ajv.default({ allErrors: true, strict: false, verbose: true });
    v = ajv.compile(recipe.options);
  }
  compiled.set(recipe, v);
  return v;
}

function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `missing required option "${String(p['missingProperty'])}"`;
    case 'type':
      return `expected ${String(p['type']).replace(/,/g, ' or ')}, got ${typeOf(error.data)}`;
    case 'enum':
      return `expected one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(error.data)}`;
    case 'const':
      return `expected ${JSON.stringify(p['allowedValue'])}, got ${JSON.stringify(error.data)}`;
    case 'pattern':
      return `${JSON.stringify(error.data)} does not match the pattern ${String(p['pattern'])}`;
    default:
      return `invalid value: ${error.message ?? error.keyword}`;
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v === 'string' ? 'the string' : `the ${typeof v}`} ${JSON.stringify(v)}`;
}
