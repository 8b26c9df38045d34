import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { TreeEntry } from './tree.js';

/**
 * Every environment envbuild creates carries a random id in its marker file: the `envbuild-id`
 * key of `pyvenv.cfg` (Python ignores keys it does not know), or, in the classic layout, which
 * has no pyvenv.cfg, `envbuild.cfg` at the root. State records the id; a directory is removed
 * as an environment only while it carries the recorded id, so a state that names somebody
 * else's directory (forged, copied, stale) cannot make envbuild delete it.
 */
export const ENVIRONMENT_ID = /^[0-9a-f]{32}$/;

export const VENV_MARKER = 'pyvenv.cfg';
export const CLASSIC_MARKER = 'envbuild.cfg';

const ID_LINE = /^envbuild-id = ([0-9a-f]{32})$/m;

export function newEnvironmentId(): string {
  return randomBytes(16).toString('hex');
}

/** The entries with the id in their marker; the marker file stays where the layout put it (last for venv). */
export function withEnvironmentId(entries: readonly TreeEntry[], id: string): TreeEntry[] {
  if (!ENVIRONMENT_ID.test(id)) throw new Error(`not an environment id: ${id}`);
  const line = `envbuild-id = ${id}\n`;
  const cfg = entries.findIndex((e) => e.path === VENV_MARKER && e.kind === 'file');
  if (cfg >= 0) {
    const entry = entries[cfg] as Extract<TreeEntry, { kind: 'file' }>;
    const out = [...entries];
    out[cfg] = { ...entry, content: `${String(entry.content)}${line}` };
    return out;
  }
  // Classic: before the prefix landmark, which comes last so a half-written environment is never live.
  const marker: TreeEntry = { kind: 'file', path: CLASSIC_MARKER, content: `# Written by envbuild: this environment's identity\n${line}`, mode: 0o644 };
  return [...entries.slice(0, -1), marker, ...entries.slice(-1)];
}

/** The marker's path in a list of entries (pyvenv.cfg or envbuild.cfg), if any. */
export function markerOf(entries: ReadonlyArray<{ readonly path: string }>): string | undefined {
  return entries.find((e) => e.path === VENV_MARKER || e.path === CLASSIC_MARKER)?.path;
}

function lstatOrNull(file: string): Stats | null {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

/** The id `root` carries, or null (no marker, not a regular file, no id in it). Never follows a link. */
export async function readEnvironmentId(root: string): Promise<string | null> {
  for (const name of [VENV_MARKER, CLASSIC_MARKER]) {
    const file = path.join(root, name);
    // Synchronous: a plan reads one small marker per environment.
    const st = lstatOrNull(file);
    if (!st?.isFile() || st.size > 64 * 1024) continue;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // unreadable: no id
    }
    const m = ID_LINE.exec(text);
    if (m) return m[1]!;
  }
  return null;
}
