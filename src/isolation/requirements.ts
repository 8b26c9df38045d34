import { normalizeName } from './distribution.js';
import {
  evaluateMarker,
  mentionsExtra,
  parseMarker,
  type MarkerEnvironment,
  type MarkerNode,
} from './markers.js';

/** One declared dependency of a distribution (a `Requires-Dist` line or a `requires.txt` line). */
export interface Requirement {
  /** The line as written, for messages. */
  readonly raw: string;
  readonly name: string;
  readonly normalizedName: string;
  readonly extras: readonly string[];
  /** PEP 440 specifier (`>=1.0,<2`), empty for any version; null for a direct URL reference. */
  readonly specifier: string | null;
  /** The marker source, or null when unconditional. */
  readonly marker: string | null;
  /** Set when the requirement belongs to a requires.txt `[extra]` section. */
  readonly extra: string | null;
}

const NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;

/** Parses a PEP 508 requirement; returns null for lines that are not requirements. */
export function parseRequirement(raw: string, extra: string | null = null, sectionMarker: string | null = null): Requirement | null {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return null;
  const nameMatch = NAME.exec(line);
  if (!nameMatch) return null;
  const name = nameMatch[1] as string;
  let rest = line.slice(nameMatch[0].length);
  let extras: string[] = [];
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) return null;
    extras = rest
      .slice(1, end)
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    rest = rest.slice(end + 1).trim();
  }
  let specifier: string | null;
  let marker: string | null = null;
  if (rest.startsWith('@')) {
    // A URL may contain ';': the marker separator of a URL requirement needs whitespace before it.
    const m = /\s;\s*(.*)$/.exec(rest);
    specifier = null;
    marker = m ? (m[1] as string).trim() : null;
  } else {
    const semi = rest.indexOf(';');
    const spec = (semi < 0 ? rest : rest.slice(0, semi)).trim();
    marker = semi < 0 ? null : rest.slice(semi + 1).trim() || null;
    specifier = spec.replace(/^\(\s*/, '').replace(/\s*\)$/, '').replace(/\s+/g, '');
  }
  if (sectionMarker) marker = marker ? `(${sectionMarker}) and (${marker})` : sectionMarker;
  return { raw: line, name, normalizedName: normalizeName(name), extras, specifier, marker, extra };
}

/**
 * Parses setuptools' `requires.txt`: unconditional lines first, then `[extra]`, `[:marker]` and
 * `[extra:marker]` sections.
 */
export function parseRequiresTxt(text: string): Requirement[] {
  const out: Requirement[] = [];
  let extra: string | null = null;
  let sectionMarker: string | null = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      const body = (section[1] as string).trim();
      const colon = body.indexOf(':');
      const ex = (colon < 0 ? body : body.slice(0, colon)).trim();
      extra = ex === '' ? null : ex;
      sectionMarker = colon < 0 ? null : body.slice(colon + 1).trim() || null;
      continue;
    }
    const req = parseRequirement(line, extra, sectionMarker);
    if (req) out.push(req);
  }
  return out;
}

export type Applicability =
  | { readonly applies: true }
  | { readonly applies: false; readonly why: 'extra' | 'marker' }
  | { readonly applies: false; readonly why: 'invalid-marker'; readonly detail: string };

const markerCache = new Map<string, MarkerNode | Error>();

function cachedMarker(src: string): MarkerNode | Error {
  let node = markerCache.get(src);
  if (node === undefined) {
    try {
      node = parseMarker(src);
    } catch (e) {
      node = e instanceof Error ? e : new Error(String(e));
    }
    markerCache.set(src, node);
  }
  return node;
}

/**
 * Whether a requirement applies to the target interpreter when no extra is requested.
 * Requirements under an extra (section or `extra ==` marker) never apply: envbuild follows
 * what a distribution needs to import, not its optional features.
 */
export function requirementApplies(req: Requirement, env: MarkerEnvironment): Applicability {
  if (req.extra !== null) return { applies: false, why: 'extra' };
  if (req.marker === null) return { applies: true };
  const node = cachedMarker(req.marker);
  if (node instanceof Error) return { applies: false, why: 'invalid-marker', detail: node.message };
  if (mentionsExtra(node) && !evaluateMarker(node, env)) return { applies: false, why: 'extra' };
  return evaluateMarker(node, env) ? { applies: true } : { applies: false, why: 'marker' };
}
