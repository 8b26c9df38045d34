/**
 * Between the recipe's view of locked packages (absolute paths, usable URLs) and the file's
 * (portable paths, `${env:…}` credentials): the one place paths cross that boundary.
 */
import type { LockedPackage, LockPackage, LockSource } from './model.js';
import { absolutePath, portablePath, portableUrl, resolveUrl } from './paths.js';

type Mapper = { path: (p: string) => string; url: (u: string) => string };

function mapSource(s: LockSource, m: Mapper): LockSource {
  switch (s.kind) {
    case 'wheel':
    case 'sdist':
    case 'archive': {
      const { path: p, url, ...rest } = s;
      return { ...rest, ...(url !== undefined ? { url: m.url(url) } : {}), ...(p !== undefined ? { path: m.path(p) } : {}) } as LockSource;
    }
    case 'directory':
      return { ...s, path: m.path(s.path) };
    case 'pinned':
      return s;
  }
}

export function toLockPackage(p: LockedPackage, parts: readonly string[], manifestDir: string, writtenUrls: readonly string[]): LockPackage {
  return { ...p, parts, source: mapSource(p.source, { path: (x) => portablePath(x, manifestDir), url: (u) => portableUrl(u, writtenUrls) }) };
}

export function toLockedPackage(p: LockPackage, manifestDir: string, env: NodeJS.ProcessEnv): LockedPackage {
  const { parts: _parts, ...rest } = p;
  return { ...rest, source: mapSource(p.source, { path: (x) => absolutePath(x, manifestDir), url: (u) => resolveUrl(u, env) }) };
}

/** Every string in a part's options (as written) that looks like a URL: where `${env:…}` credentials are found. */
export function writtenUrls(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('://') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(writtenUrls);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(writtenUrls);
  return [];
}
