import path from 'node:path';
import type { CheckResult, EnvironmentCheck } from '../commands/check.js';
import type { AuditReport } from '../isolation/index.js';

const CLASSES = ['stdlib', 'env', 'allowed', 'global', 'leak'] as const;

/** One row per environment, columns aligned, then what each may see and what is wrong. */
export function renderCheck(manifest: string, result: CheckResult): string {
  const dir = path.dirname(manifest);
  const rows = result.environments.map((e) => [
    `${e.clean ? '✔' : '✘'} ${e.name}`,
    e.clean ? 'clean' : `${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}`,
    e.mode ?? '?',
    path.relative(dir, e.path) || e.path,
    importable(e.audit),
  ]);
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => r[col]!.length))) ?? [];
  const lines: string[] = [];
  result.environments.forEach((e, i) => {
    lines.push(rows[i]!.map((cell, col) => (col === rows[i]!.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd());
    const allowed = allowedDistributions(e);
    if (allowed !== null) lines.push(`    allowed: ${allowed || '(none)'}`);
    for (const p of e.problems) lines.push(`    ${p.replace(/\n/g, '\n    ')}`);
  });
  lines.push('', result.clean ? 'All environments are isolated as declared.' : 'Problems found: envbuild apply repairs drift; a leak names what to remove or allow.');
  return lines.join('\n');
}

function importable(audit: AuditReport | null): string {
  if (!audit) return '';
  const counts = new Map<string, number>();
  for (const m of audit.modules) counts.set(m.class, (counts.get(m.class) ?? 0) + 1);
  const summary = CLASSES.filter((c) => counts.has(c)).map((c) => `${counts.get(c)} ${c}`).join(', ');
  return summary ? `importable: ${summary}` : '';
}

/** `name version` of each allowlisted global distribution of a cherry-pick environment; null for other modes. */
function allowedDistributions(e: EnvironmentCheck): string | null {
  if (e.mode !== 'cherry-pick' || !e.audit) return null;
  const seen = new Set<string>();
  for (const d of e.audit.distributions) if (d.class === 'allowed' && d.name) seen.add(`${d.name} ${d.version ?? '?'}`);
  return [...seen].sort().join(', ');
}

/**
 * The check result for machines (schemas/json/check.schema.json): everything the audit found,
 * but a standard-library module does not repeat the directory it comes from (the sys.path
 * entries say it once): hundreds of modules each carrying their paths made the document
 * 245 KB for three environments.
 */
export function checkToJson(result: CheckResult): unknown {
  return {
    clean: result.clean,
    environments: result.environments.map((e) => ({
      name: e.name,
      path: e.path,
      mode: e.mode,
      clean: e.clean,
      problems: e.problems,
      drift: e.drift,
      audit: e.audit === null ? null : compactAudit(e.audit),
    })),
  };
}

function compactAudit(a: AuditReport): unknown {
  return {
    mode: a.mode,
    interpreter: a.interpreter,
    sysPath: a.sysPath,
    modules: a.modules.map((m) => (m.class === 'stdlib' ? { name: m.name, class: m.class } : { name: m.name, class: m.class, kind: m.kind, from: m.from })),
    distributions: a.distributions,
    findings: a.findings,
  };
}
