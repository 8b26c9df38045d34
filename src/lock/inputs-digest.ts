/**
 * The digest of what a lock was made from — the environment's python request, layout and
 * isolation as written, each locked part's recipe and options as written (before `${…}` is
 * resolved, so no credential value and no machine path enters it) and the content of the files
 * they name. A lock whose digest differs from the manifest's is stale, which is known without
 * resolving anything.
 */
import { createHash } from 'node:crypto';

export interface LockInputs {
  readonly python: string;
  readonly layout: string;
  readonly isolation: string;
  readonly parts: ReadonlyArray<{
    readonly name: string;
    readonly recipe: string;
    readonly options: unknown;
    /** Portable path → sha256 (null: missing). */
    readonly files: Readonly<Record<string, string | null>>;
  }>;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function inputsDigest(inputs: LockInputs): string {
  return `sha256:${createHash('sha256').update(canonicalJson(inputs)).digest('hex')}`;
}
