import { UserError } from '../errors/user-error.js';

/** Deeper than any output a recipe means to give; deep enough to be walked without risk. */
const MAX_DEPTH = 64;

/**
 * A recipe's outputs, checked to be JSON data before anything records or redacts them: state
 * is JSON, and a cycle, a BigInt, a function or a class instance would otherwise fail deep in
 * the runner (a stack overflow, a TypeError from JSON.stringify) as an "internal error".
 */
export function checkOutputs(part: string, recipe: string, outputs: unknown): Record<string, unknown> {
  if (outputs === undefined) return {};
  const problem = jsonProblem(outputs, 'outputs', [], true);
  if (problem !== undefined) {
    throw new UserError('ERECIPE', `part ${part} (${recipe}): ${problem}`, {
      hint: `outputs must be JSON data (strings, numbers, booleans, null, lists and mappings, no cycles); this is a bug in the recipe "${recipe}": report it to its author`,
    });
  }
  return outputs as Record<string, unknown>;
}

function jsonProblem(value: unknown, at: string, ancestors: object[], top = false): string | undefined {
  // State records outputs as a mapping (and refuses a state whose outputs are not one).
  if (top && typeof value !== 'object') return `outputs must be a mapping, not a ${typeof value}`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `output ${at} is ${value}, which JSON cannot hold`;
    case 'bigint':
      return `output ${at} is a BigInt (${value}n); give it as a string or a number`;
    case 'object':
      break;
    default:
      return `output ${at} is a ${typeof value}, not data`;
  }
  if (value === null) return top ? 'outputs must be a mapping, not null' : undefined;
  if (ancestors.includes(value)) return `output ${at} refers back to itself (a cycle)`;
  if (ancestors.length >= MAX_DEPTH) return `output ${at} is nested more than ${MAX_DEPTH} levels deep`;
  const isArray = Array.isArray(value);
  if (top && isArray) return 'outputs must be a mapping, not a list';
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!isArray && proto !== Object.prototype && proto !== null) return `output ${at} is a ${(value as object).constructor?.name ?? 'class instance'}, not a plain mapping`;
  const inner = [...ancestors, value];
  const entries: Array<[string, unknown]> = isArray ? (value as unknown[]).map((v, i) => [`[${i}]`, v]) : Object.entries(value).map(([k, v]) => [`.${k}`, v]);
  for (const [k, v] of entries) {
    const p = jsonProblem(v, `${at}${k}`, inner);
    if (p !== undefined) return p;
  }
  return undefined;
}
