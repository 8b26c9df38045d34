import path from 'node:path';
import type { CheckResult } from '../commands/check.js';

export function renderCheck(manifest: string, result: CheckResult): string {
  const dir = path.dirname(manifest);
  const lines: string[] = [];
  for (const e of result.environments) {
    const where = path.relative(dir, e.path) || e.path;
    const counts = new Map<string, number>();
    for (const m of e.audit?.modules ?? []) counts.set(m.class, (counts.get(m.class) ?? 0) + 1);
    const summary = ['stdlib', 'env', 'allowed', 'global', 'leak']
      .filter((c) => counts.has(c))
      .map((c) => `${counts.get(c)} ${c}`)
      .join(', ');
    const status = e.clean ? 'clean' : `${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}`;
    lines.push(`${e.clean ? '✔' : '✘'} ${e.name}  ${status}  (${e.mode ?? '?'}, ${where})${summary ? `  importable: ${summary}` : ''}`);
    for (const p of e.problems) lines.push(`    ${p.replace(/\n/g, '\n    ')}`);
  }
  lines.push('', result.clean ? 'All environments are isolated as declared.' : 'Problems found: envbuild apply repairs drift; a leak names what to remove or allow.');
  return lines.join('\n');
}
