/**
 * Core metadata (`METADATA` in a dist-info, `PKG-INFO` in an egg-info): RFC 822 style headers
 * up to the first blank line, then the description, which is never needed here.
 */
export interface CoreMetadata {
  readonly name: string | null;
  readonly version: string | null;
  readonly requiresDist: readonly string[];
  readonly requiresPython: string | null;
}

export function parseCoreMetadata(text: string): CoreMetadata {
  const headers = new Map<string, string[]>();
  let last: string[] | null = null;
  let lastIndex = -1;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      // Continuation of the previous header (long descriptions, folded Requires-Dist).
      if (last && lastIndex >= 0) last[lastIndex] = `${last[lastIndex] ?? ''} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    let values = headers.get(key);
    if (!values) headers.set(key, (values = []));
    values.push(value);
    last = values;
    lastIndex = values.length - 1;
  }
  const first = (k: string): string | null => headers.get(k)?.[0] ?? null;
  return {
    name: first('name'),
    version: first('version'),
    requiresDist: headers.get('requires-dist') ?? [],
    requiresPython: first('requires-python'),
  };
}

/** `PyYAML-6.0.dist-info` → name and version; `cryptography.egg-info` has no version. */
export function splitMetadataEntryName(entry: string): { name: string; version: string | null } {
  const stem = entry.replace(/\.(dist-info|egg-info)$/, '');
  const dash = stem.indexOf('-');
  if (dash < 0) return { name: stem, version: null };
  const version = stem.slice(dash + 1).replace(/-py\d+(\.\d+)?.*$/, '');
  return { name: stem.slice(0, dash), version: version || null };
}

/** One name per line, blank lines and duplicates dropped (`top_level.txt`, `namespace_packages.txt`). */
export function parseNameList(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')))].sort();
}
