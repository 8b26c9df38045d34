import { parseTemplate, type Reference } from './template.js';

/** A failed lookup: what is wrong, in a sentence for a manifest diagnostic. */
export class ReferenceProblem extends Error {}

export type Lookup = (ref: Reference) => unknown;

export interface InterpolationIssue {
  readonly path: Array<string | number>;
  readonly message: string;
}

/**
 * Replaces every `${...}` in `value` (recursively) using `lookup`, collecting every problem
 * instead of stopping at the first, so a manifest's reference errors are reported together.
 */
export function interpolate(value: unknown, lookup: Lookup, at: Array<string | number> = [], issues: InterpolationIssue[] = []): { value: unknown; issues: InterpolationIssue[] } {
  const walk = (v: unknown, path: Array<string | number>): unknown => {
    if (typeof v === 'string') return interpolateString(v, lookup, path, issues);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return v;
  };
  return { value: walk(value, at), issues };
}

function interpolateString(text: string, lookup: Lookup, path: Array<string | number>, issues: InterpolationIssue[]): unknown {
  const segments = parseTemplate(text);
  if (!Array.isArray(segments)) {
    issues.push({ path, message: segments.message });
    return text;
  }
  const resolve = (ref: Reference): unknown => {
    try {
      return lookup(ref);
    } catch (e) {
      if (e instanceof ReferenceProblem) {
        issues.push({ path, message: e.message });
        return undefined;
      }
      throw e;
    }
  };
  // A lone reference keeps the referenced value's type: a list of paths stays a list.
  if (segments.length === 1 && typeof segments[0] !== 'string') return resolve(segments[0]!);
  let out = '';
  for (const s of segments) {
    if (typeof s === 'string') {
      out += s;
      continue;
    }
    const v = resolve(s);
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object') {
      issues.push({ path, message: `"${s.raw}" is a ${Array.isArray(v) ? 'list' : 'mapping'} and cannot be embedded in a string; use it as the whole value` });
      continue;
    }
    out += String(v);
  }
  return out;
}
