import type { FoundInterpreter } from './discover.js';

const HEADER = ['VERSION', 'IMPLEMENTATION', 'PATH', 'SOURCE'] as const;

/**
 * The lines `envbuild pythons` prints: a header, then one aligned row per interpreter
 * (version, implementation, executable, where it was found). Pure; no trailing spaces.
 */
export function formatInterpreterTable(list: readonly FoundInterpreter[]): string[] {
  const rows: string[][] = [[...HEADER], ...list.map((f) => [f.info.version, f.info.implementation, f.info.executable, f.source])];
  const widths = HEADER.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
