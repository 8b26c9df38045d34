import { createHash } from 'node:crypto';

/** JSON with sorted keys: equal values give equal text whatever the key order in YAML. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface FingerprintInput {
  readonly recipe: string;
  readonly options: unknown;
  readonly python: { readonly executable: string; readonly version: string };
  readonly layout: string;
}

export function partFingerprint(input: FingerprintInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/** Top-level option keys whose values differ, for a reason like "options changed: requirements". */
export function changedKeys(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).sort();
}
