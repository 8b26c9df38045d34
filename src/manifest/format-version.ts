import { code, describeValue } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import type { MapNode } from './source-tree.js';

export const MANIFEST_FORMAT = 1;

/**
 * Checks a file's `envbuild:` header. Every file, bases included, carries its own: a base
 * is a manifest in its own right and may be written for another envbuild version.
 *
 * Returns false only for a format newer (or other) than this envbuild reads: then the rest
 * of the file is not interpreted, since its fields may mean something else. A missing or
 * mistyped header is reported but the file is still read as format 1, so the user sees
 * every other problem in the same run.
 */
export function checkFormatVersion(root: MapNode, diagnostics: Diagnostics): boolean {
  const entry = root.entries.get('envbuild');
  if (!entry) {
    diagnostics.error('missing `envbuild: 1`, the manifest format version', root.at, {
      keyPath: ['envbuild'],
      hint: 'add `envbuild: 1` as the first line of the manifest',
    });
    return true;
  }
  const { value, at } = entry.value.kind === 'scalar' ? entry.value : { value: undefined, at: entry.value.at };
  if (value === MANIFEST_FORMAT) return true;
  if (typeof value === 'number' && Number.isInteger(value) && value > MANIFEST_FORMAT) {
    diagnostics.error(
      `this manifest is format ${value}, but this envbuild reads format ${MANIFEST_FORMAT} only`,
      at,
      { keyPath: ['envbuild'], hint: 'upgrade envbuild to a version that supports this format (npm install -g envbuild@latest)' },
    );
    return false;
  }
  const got = entry.value.kind === 'scalar' ? describeValue(value) : entry.value.kind === 'seq' ? 'a list' : 'a mapping';
  diagnostics.error(`expected the format version ${code(MANIFEST_FORMAT)}, got ${got}`, at, {
    keyPath: ['envbuild'],
    hint: typeof value === 'string' && value.trim() === '1' ? 'write `envbuild: 1` without quotes' : 'write `envbuild: 1`',
  });
  return true;
}
