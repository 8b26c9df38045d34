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
  return walkStrings(value, at, (s, path) => interpolateString(s, lookup, path, issues), issues);
}

/**
 * The form of `value` that state records: like `interpolate`, except that `${env:...}`
 * references stay references. A value taken from the environment (a token, a password) is
 * thus never written down; its digest is in the part's fingerprint, so a change is still seen.
 * In a string holding such a reference the rest is escaped (`$${`), so the recorded string is
 * a template whose only references are `${env:...}` (see `resolveRecordedEnv`).
 */
export function recordedForm(value: unknown, lookup: Lookup): unknown {
  const issues: InterpolationIssue[] = [];
  return walkStrings(value, [], (s, path) => {
    const segments = parseTemplate(s);
    if (!Array.isArray(segments) || !segments.some((x) => typeof x !== 'string' && x.kind === 'env-var')) {
      return interpolateString(s, lookup, path, issues);
    }
    return segments
      .map((x) => {
        if (typeof x === 'string') return escapeTemplate(x);
        if (x.kind === 'env-var') return x.raw;
        const v = interpolateString(x.raw, lookup, path, issues);
        return escapeTemplate(v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v ?? ''));
      })
      .join('');
  }, issues).value;
}

/**
 * Recorded options made whole again for a removal, from the environment as it is now: each
 * string holding only `${env:...}` references is resolved; other strings are left as they are.
 */
export function resolveRecordedEnv<T>(value: T, env: NodeJS.ProcessEnv): T {
  return walkStrings(value, [], (s) => {
    if (!s.includes('${env:')) return s;
    const segments = parseTemplate(s);
    if (!Array.isArray(segments) || segments.some((x) => typeof x !== 'string' && x.kind !== 'env-var')) return s;
    return segments.map((x) => (typeof x === 'string' ? x : x.kind === 'env-var' ? (env[x.name] ?? x.fallback ?? '') : '')).join('');
  }, []).value as T;
}

function escapeTemplate(text: string): string {
  return text.split('${').join('$${');
}

function walkStrings(
  value: unknown,
  at: Array<string | number>,
  onString: (s: string, path: Array<string | number>) => unknown,
  issues: InterpolationIssue[],
): { value: unknown; issues: InterpolationIssue[] } {
  const walk = (v: unknown, path: Array<string | number>): unknown => {
    if (typeof v === 'string') return onString(v, path);
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
