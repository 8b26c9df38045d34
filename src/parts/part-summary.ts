import type { PartRecord } from '../recipe-api/api.js';

/**
 * A few words on what applying a part changed, for the apply summary (`pip installed`,
 * `2 files written`), from what the runner recorded: the paths the part created and, for
 * recipes that install distributions, their `installed` output (name → version).
 */
export function summarizePart(record: PartRecord, previous: PartRecord | null): string {
  const said: string[] = [];
  const now = versions(record.outputs['installed']);
  if (now) {
    const before = versions(previous?.outputs['installed']) ?? {};
    const added = Object.keys(now).filter((n) => !(n in before)).sort();
    const changed = Object.keys(now).filter((n) => n in before && before[n] !== now[n]).sort();
    const removed = Object.keys(before).filter((n) => !(n in now)).sort();
    if (added.length > 0) said.push(`${names(added)} installed`);
    if (changed.length > 0) said.push(`${names(changed)} changed version`);
    if (removed.length > 0) said.push(`${names(removed)} uninstalled`);
  }
  const written = record.created.filter((c) => c.kind !== 'dir').length;
  if (written > 0) said.push(`${written} file${written === 1 ? '' : 's'} written`);
  return said.join(', ');
}

function versions(v: unknown): Record<string, string> | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** `pip`, `a and b`, or `5 distributions` when the list would not fit a line. */
function names(list: readonly string[]): string {
  if (list.length > 3) return `${list.length} distributions`;
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}
