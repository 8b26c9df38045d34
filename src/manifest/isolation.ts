import path from 'node:path';
import { formatLocation } from '../errors/diagnostic.js';
import { code } from './describe.js';
import type { NormaliseContext, WrittenField } from './normalise-context.js';
import type { MapNode } from './source-tree.js';
import type { AllowEntry, DependencyPolicy, IsolationMode, IsolationSpec, KeyPath } from './types.js';

const MODES: readonly IsolationMode[] = ['full', 'system', 'cherry-pick'];
const POLICIES: readonly DependencyPolicy[] = ['follow', 'ignore', 'error'];

export const DEFAULT_ISOLATION: IsolationSpec = { mode: 'full', allow: [], searchPaths: [], dependencies: 'follow' };

/**
 * `full` | `system` | `{mode, allow, search-paths, dependencies}` → IsolationSpec. Shapes the
 * schema rejected are skipped here (already reported); what the schema cannot express —
 * PEP 440 specifiers, options that only cherry-pick reads — is checked here.
 */
export function normaliseIsolation(field: WrittenField | undefined, ctx: NormaliseContext): IsolationSpec {
  if (!field) return DEFAULT_ISOLATION;
  const { node } = field;
  if (node.kind === 'scalar') {
    return isOneOf(node.value, MODES) && node.value !== 'cherry-pick' ? { ...DEFAULT_ISOLATION, mode: node.value } : DEFAULT_ISOLATION;
  }
  if (node.kind !== 'map') return DEFAULT_ISOLATION;

  const mode = scalarOf(node, 'mode');
  const dependencies = scalarOf(node, 'dependencies');
  const spec: IsolationSpec = {
    mode: isOneOf(mode, MODES) ? mode : 'full',
    allow: allowEntries(node, [...field.path, 'allow'], ctx),
    searchPaths: searchPaths(node, ctx),
    dependencies: isOneOf(dependencies, POLICIES) ? dependencies : 'follow',
  };

  // An empty list is accepted with any mode, so a manifest can clear a base's allowlist
  // when it switches the mode (mappings merge deeply through `extends`).
  if (isOneOf(mode, MODES) && mode !== 'cherry-pick') {
    for (const key of ['allow', 'search-paths']) {
      const entry = node.entries.get(key);
      if (entry?.value.kind === 'seq' && entry.value.items.length > 0) {
        const keyPath = [...field.path, key];
        const modeAt = node.entries.get('mode')?.value.at;
        // Through `extends` the mode may be set in another file than the list.
        const elsewhere = modeAt && modeAt.file !== entry.value.at.file ? ` (the mode is set at ${formatLocation(modeAt)})` : '';
        ctx.diagnostics.error(`${code(key)} only applies to \`mode: cherry-pick\`, but the mode is ${code(mode)}`, entry.value.at, {
          keyPath,
          hint: `set \`mode: cherry-pick\` to import only what is listed, or remove ${code(key)}${elsewhere}`,
        });
      }
    }
  }
  return spec;
}

function allowEntries(isolation: MapNode, listPath: KeyPath, ctx: NormaliseContext): AllowEntry[] {
  const list = isolation.entries.get('allow')?.value;
  if (list?.kind !== 'seq') return [];
  const entries: AllowEntry[] = [];
  list.items.forEach((item, index) => {
    const at = item.at;
    if (item.kind === 'scalar') {
      if (typeof item.value === 'string') entries.push({ kind: 'dist', name: item.value, at });
      return;
    }
    if (item.kind !== 'map' || item.entries.size !== 1 + (item.entries.has('version') ? 1 : 0)) return;
    const dist = scalarOf(item, 'dist');
    const module = scalarOf(item, 'module');
    const deb = scalarOf(item, 'deb');
    const dir = scalarOf(item, 'path');
    if (typeof dist === 'string') {
      const version = item.entries.get('version')?.value;
      if (version?.kind === 'scalar' && typeof version.value === 'string') {
        // Checked after normalising, all at once, so the PEP 440 parser is loaded only when needed.
        ctx.specifiers.push({ specifier: version.value, at: version.at, keyPath: [...listPath, index, 'version'] });
        entries.push({ kind: 'dist', name: dist, version: version.value.trim(), at });
      } else if (!version) {
        entries.push({ kind: 'dist', name: dist, at });
      }
    } else if (typeof module === 'string') entries.push({ kind: 'module', name: module, at });
    else if (typeof deb === 'string') entries.push({ kind: 'deb', name: deb, at });
    else if (typeof dir === 'string') entries.push({ kind: 'path', path: path.resolve(ctx.dir, dir), at });
  });
  return entries;
}

function searchPaths(isolation: MapNode, ctx: NormaliseContext): string[] {
  const list = isolation.entries.get('search-paths')?.value;
  if (list?.kind !== 'seq') return [];
  return list.items.flatMap((item) =>
    item.kind === 'scalar' && typeof item.value === 'string' && item.value !== '' ? [path.resolve(ctx.dir, item.value)] : [],
  );
}

function scalarOf(map: MapNode, key: string): unknown {
  const node = map.entries.get(key)?.value;
  return node?.kind === 'scalar' ? node.value : undefined;
}

function isOneOf<T extends string>(value: unknown, options: readonly T[]): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value);
}
