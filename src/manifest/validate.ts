import type { ErrorObject } from 'ajv';
import { code, describeValue, orList, typeWords } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import { didYouMean } from './did-you-mean.js';
import { MANIFEST_FORMAT } from './format-version.js';
import { manifestValidator } from './schema.js';
import { pointerToKeyPath } from './source-map.js';
import { childOf, toPlain, type MapNode, type SourceNode } from './source-tree.js';
import type { KeyPath, SourceMap } from './types.js';

/**
 * Validates the merged manifest against schemas/envbuild.schema.json and reports each
 * problem once, in words, at the offending value. The header (`envbuild`, `extends`) was
 * checked per file while loading, so it is supplied here as valid.
 */
export async function validateShape(root: MapNode, source: SourceMap, diagnostics: Diagnostics): Promise<void> {
  const validate = await manifestValidator();
  const data = { envbuild: MANIFEST_FORMAT, ...(toPlain(root) as Record<string, unknown>) };
  if (validate(data)) return;
  new ErrorTranslator(root, source, diagnostics).report(validate.errors ?? []);
}

/** The alternative chosen for one value that failed a `oneOf`; undefined when none fits. */
interface Decision {
  /** Where the oneOf sits in the schema, as ajv writes it (`#/oneOf`, `#/definitions/x/oneOf`). */
  readonly schemaPath: string;
  readonly pointer: string;
  readonly chosen: number | undefined;
}

type SchemaObject = Readonly<Record<string, unknown>>;

const ENVIRONMENT_FIELDS = ['python', 'path', 'prompt', 'layout', 'isolation', 'parts'];
const ISOLATION_FIELDS = ['mode', 'allow', 'search-paths', 'dependencies'];

const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  environments: 'declare at least one environment, e.g. `environments: {app: {python: "3.12"}}`',
  recipe: 'every part names the recipe that builds it, e.g. `recipe: packages`',
  mode: 'write `mode: cherry-pick` (with `allow:`), `mode: full` or `mode: system`',
};

class ErrorTranslator {
  constructor(
    private readonly root: SourceNode,
    private readonly source: SourceMap,
    private readonly diagnostics: Diagnostics,
  ) {}

  report(errors: readonly ErrorObject[]): void {
    // ajv reports every alternative's failures plus the oneOf itself; only the alternative
    // the user evidently meant (by the value's type, then by its distinguishing key) is kept.
    const decisions = errors
      .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
      .map((e) => this.decide(e));
    // A value of the wrong type for a list of choices (`layout: true`) fails both `type` and
    // `enum`; the list of choices says more.
    const enums = new Set(errors.filter((e) => e.keyword === 'enum').map((e) => e.instancePath));
    for (const error of errors) {
      if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'propertyNames') continue;
      if (error.keyword === 'type' && enums.has(error.instancePath)) continue;
      if (this.belongsToRejectedBranch(error, decisions)) continue;
      this.translate(error);
    }
  }

  /**
   * An alternative's errors have the oneOf's schemaPath plus `/<index>/…` and lie at or
   * below its value. ajv restarts schemaPaths at `#` inside a separately compiled `$ref`, so
   * two oneOfs can share a schemaPath prefix; the innermost one (deepest value) owns the
   * error, which holds as long as the schema is not recursive.
   */
  private belongsToRejectedBranch(error: ErrorObject, decisions: readonly Decision[]): boolean {
    let owner: Decision | undefined;
    for (const d of decisions) {
      if (!isWithin(error.instancePath, d.pointer) || !error.schemaPath.startsWith(`${d.schemaPath}/`)) continue;
      if (!owner || d.pointer.length > owner.pointer.length) owner = d;
    }
    if (!owner) return false;
    const index = Number(error.schemaPath.slice(owner.schemaPath.length + 1).split('/')[0]);
    return index !== owner.chosen;
  }

  private decide(error: ErrorObject): Decision {
    const alternatives = Array.isArray(error.schema) ? (error.schema as unknown[]) : [];
    const pointer = error.instancePath;
    const decision = (chosen: number | undefined): Decision => ({ schemaPath: error.schemaPath, pointer, chosen });
    const value: unknown = error.data;
    const path = this.keyPath(pointer);
    const branches = alternatives.map((a) => (isObject(a) ? a : {}));

    const passing = (error.params as { passingSchemas?: unknown }).passingSchemas;
    if (Array.isArray(passing)) {
      this.diagnostics.error('the value matches more than one of the accepted forms', this.source.locate(path), { keyPath: path });
      return decision(undefined);
    }

    const byType = indices(branches).filter((i) => acceptsType(branches[i]?.['type'], value));
    if (byType.length === 1) return decision(byType[0]);
    if (byType.length === 0) {
      const forms = branches.flatMap((b) =>
        Array.isArray(b['enum']) ? b['enum'].map((v) => code(String(v))) : [typeWords(b['type'])],
      );
      this.diagnostics.error(`expected ${orList(forms)}, got ${describeValue(value)}`, this.source.locate(path), {
        keyPath: path,
      });
      return decision(undefined);
    }
    if (!isObject(value)) return decision(byType[0]);

    // Several mapping forms (allowlist entries): each is told apart by its required key.
    const keys = Object.keys(value);
    const requiredOf = (i: number): string[] => {
      const required = branches[i]?.['required'];
      return Array.isArray(required) ? required.map(String) : [];
    };
    const distinguishing = [...new Set(byType.flatMap(requiredOf))];
    const matching = byType.filter((i) => requiredOf(i).every((k) => keys.includes(k)));
    if (matching.length === 1) return decision(matching[0]);
    const location = this.source.locate(path);
    if (matching.length > 1) {
      const present = distinguishing.filter((k) => keys.includes(k));
      this.diagnostics.error(
        `expected one of ${orList(distinguishing.map(code))}, not several: this entry has ${present.map(code).join(' and ')}`,
        location,
        { keyPath: path, hint: 'split it into one entry per key' },
      );
      return decision(undefined);
    }
    const known = new Set(byType.flatMap((i) => Object.keys(asObject(branches[i]?.['properties']))));
    let guessed = false;
    for (const key of keys.filter((k) => !known.has(k))) {
      const guess = didYouMean(key, distinguishing);
      if (!guess) continue;
      guessed = true;
      this.diagnostics.error(`unknown key ${code(key)}; did you mean ${code(guess)}?`, this.source.locateKey([...path, key]), {
        keyPath: [...path, key],
      });
    }
    if (!guessed) {
      this.diagnostics.error(`expected a mapping with one of ${orList(distinguishing.map(code))}`, location, { keyPath: path });
    }
    return decision(undefined);
  }

  private translate(error: ErrorObject): void {
    const path = this.keyPath(error.instancePath);
    const parent = asObject(error.parentSchema);
    const params = error.params as Record<string, unknown>;
    const value: unknown = error.data;
    const here = this.source.locate(path);
    switch (error.keyword) {
      case 'type': {
        const expected = typeWords(params['type']);
        this.diagnostics.error(`expected ${expected}, got ${describeValue(value)}`, here, {
          keyPath: path,
          ...this.quotingHint(path, value, expected === 'a string'),
        });
        return;
      }
      case 'enum': {
        const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'].map(String) : [];
        const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
        const hint =
          value === 'cherry-pick' && !allowed.includes('cherry-pick')
            ? 'cherry-pick takes an allowlist, so it is written as a mapping: `isolation: {mode: cherry-pick, allow: [...]}`'
            : undefined;
        this.diagnostics.error(
          `expected ${orList(allowed.map(code))}, got ${describeValue(value)}${guess ? `; did you mean ${code(guess)}?` : ''}`,
          here,
          { keyPath: path, hint },
        );
        return;
      }
      case 'const':
        this.diagnostics.error(`expected ${code(JSON.stringify(params['allowedValue']))}, got ${describeValue(value)}`, here, {
          keyPath: path,
        });
        return;
      case 'required': {
        const missing = String(params['missingProperty']);
        const keyPath = [...path, missing];
        this.diagnostics.error(`missing required key ${code(missing)}`, this.source.locate(keyPath), {
          keyPath,
          hint: REQUIRED_HINTS[missing],
        });
        return;
      }
      case 'additionalProperties': {
        const key = String(params['additionalProperty']);
        const keyPath = [...path, key];
        const at = this.source.locateKey(keyPath);
        if (this.diagnostics.countIfUnreported(at)) return;
        const allowed = Object.keys(asObject(parent['properties']));
        const guess = didYouMean(key, allowed);
        this.diagnostics.error(`unknown key ${code(key)}${guess ? `; did you mean ${code(guess)}?` : ''}`, at, {
          keyPath,
          hint: misplacedKeyHint(path, key) ?? (guess ? lookalikeHint(key) : `expected ${orList(allowed.map(code))}`),
        });
        return;
      }
      case 'minProperties':
        if (path.length === 1 && path[0] === 'environments') {
          this.diagnostics.error('`environments` is empty: declare at least one environment', here, {
            keyPath: path,
            hint: REQUIRED_HINTS['environments'],
          });
        } else {
          this.diagnostics.error('expected a non-empty mapping', here, { keyPath: path });
        }
        return;
      case 'pattern': {
        const explanation = typeof parent['patternErrorMessage'] === 'string' ? parent['patternErrorMessage'] : undefined;
        const hint = explanation ?? `expected a value matching ${String(params['pattern'])}`;
        const propertyName = (error as { propertyName?: unknown }).propertyName;
        if (typeof propertyName === 'string') {
          const keyPath = [...path, propertyName];
          const kind = path[path.length - 1] === 'environments' ? 'environment name' : path[path.length - 1] === 'parts' ? 'part name' : 'name';
          this.diagnostics.error(`invalid ${kind} ${code(propertyName)}`, this.source.locateKey(keyPath), { keyPath, hint });
        } else if (value === '') {
          this.diagnostics.error('expected a non-empty string', here, { keyPath: path, hint });
        } else {
          this.diagnostics.error(`invalid value ${code(String(value))}`, here, { keyPath: path, hint });
        }
        return;
      }
      case 'minLength':
        this.diagnostics.error('expected a non-empty string', here, { keyPath: path });
        return;
      default:
        this.diagnostics.error(`invalid value: ${error.message ?? error.keyword}`, here, { keyPath: path });
    }
  }

  /** YAML reads `3.10` as the number 3.1; the most common way to get a number where text is due. */
  private quotingHint(path: KeyPath, value: unknown, textExpected: boolean): { hint?: string } {
    if (!textExpected || (typeof value !== 'number' && typeof value !== 'boolean')) return {};
    const node = this.nodeAt(path);
    const written = node?.kind === 'scalar' && node.source !== undefined ? node.source : String(value);
    const misread = written !== String(value) ? `YAML reads ${written} as ${describeValue(value)}; ` : '';
    return { hint: `${misread}write it in quotes: "${written}"` };
  }

  private nodeAt(path: KeyPath): SourceNode | undefined {
    let node: SourceNode | undefined = this.root;
    for (const segment of path) node = node ? childOf(node, segment)?.value : undefined;
    return node;
  }

  private keyPath(pointer: string): KeyPath {
    return pointerToKeyPath(this.root, pointer);
  }
}

/** Keys users put one level off: worth a sentence more than "unknown key". */
function misplacedKeyHint(path: KeyPath, key: string): string | undefined {
  if (key === '<<') return 'YAML merge keys (`<<`) are not supported; share settings with `defaults` or `extends`';
  if (path.length === 0 && ENVIRONMENT_FIELDS.includes(key)) {
    return `${code(key)} is an environment field: put it under \`environments.<name>\`${['python', 'layout', 'isolation'].includes(key) ? ' or `defaults`' : ''}`;
  }
  if (path.length === 1 && path[0] === 'defaults') {
    if (key === 'path' || key === 'prompt') return `${code(key)} is set per environment, not in \`defaults\``;
    if (key === 'parts') return 'parts are set per environment; to share them between manifests, put them in a base manifest listed in `extends`';
  }
  if (path.length === 2 && path[0] === 'environments' && ISOLATION_FIELDS.includes(key)) {
    const example = key === 'mode' ? 'mode: cherry-pick, allow: [...]' : `mode: cherry-pick, ${key}: ...`;
    return `${code(key)} belongs under \`isolation:\`, e.g. \`isolation: {${example}}\``;
  }
  if (key === 'version' && path.length >= 2 && path[path.length - 2] === 'allow') {
    return 'a version goes with a distribution only: `{dist: NAME, version: ">=1"}`';
  }
  return undefined;
}

/** `pythοn` (with a Greek omicron) reads as `python`: say why it is not. */
function lookalikeHint(key: string): string | undefined {
  const odd = [...key].find((c) => c > '\u007f');
  if (odd === undefined) return undefined;
  const codePoint = `U+${(odd.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `${code(key)} contains ${code(odd)} (${codePoint}), which is not an ASCII letter; retype the key`;
}

function acceptsType(type: unknown, value: unknown): boolean {
  if (type === undefined) return true;
  const types = Array.isArray(type) ? type.map(String) : [String(type)];
  return types.some((t) => {
    switch (t) {
      case 'null':
        return value === null;
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isObject(value);
      case 'integer':
        return Number.isInteger(value);
      default:
        return typeof value === t;
    }
  });
}

/** `/a/b` is within `/a`, `/a/bc` is not. */
function isWithin(pointer: string, ancestor: string): boolean {
  return pointer === ancestor || pointer.startsWith(`${ancestor}/`);
}

function indices(items: readonly unknown[]): number[] {
  return items.map((_, i) => i);
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): SchemaObject {
  return isObject(value) ? value : {};
}
