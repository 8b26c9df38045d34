import path from 'node:path';
import type { EnvironmentOutcome } from '../apply/execute-environment.js';
import type { Action, EnvironmentPlan, Plan } from '../plan/types.js';
import { findManifest } from './find-manifest.js';
import type { LockResultLine } from '../commands/lock.js';

const SIGN: Record<Action, string> = { create: '+', update: '~', replace: '±', remove: '-', 'no-op': '=' };

/** Paths relative to the manifest read better and stay stable across machines. */
function shown(p: string, manifestDir: string): string {
  const rel = path.relative(manifestDir, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export function renderPlan(plan: Plan): string {
  const dir = path.dirname(plan.manifest);
  const width = Math.max(4, ...plan.environments.map((e) => e.name.length));
  const lines: string[] = (plan.notes ?? []).map((n) => `note: ${n}`);
  if (lines.length > 0) lines.push('');
  for (const e of plan.environments) {
    lines.push(`${SIGN[e.action]} ${e.name.padEnd(width)}  ${e.action.padEnd(7)}  ${shown(e.path, dir)}`);
    for (const r of e.reasons) if (e.action !== 'no-op') lines.push(`    ${r}`);
    for (const n of e.action === 'no-op' ? [] : e.notes) lines.push(`    · ${n}`);
    for (const w of e.warnings) lines.push(`    warning: ${w}`);
    for (const c of e.conflicts) lines.push(`    conflict: ${c}`);
    if (e.lock && (e.lock.write || e.lock.problems.length > 0)) {
      lines.push(`    lock ${shown(e.lock.file, dir)}${e.lock.write ? ' (written by apply)' : ''}`);
      for (const c of e.lock.changes) lines.push(`      ${c}`);
      for (const p of e.lock.problems) lines.push(`      problem: ${p}`);
    }
    if (e.forget) lines.push(`    ${e.forget}`);
    for (const part of e.parts) {
      if (part.action === 'no-op') continue;
      lines.push(`    ${SIGN[part.action]} part ${part.name} (${part.recipe}): ${part.action}`);
      for (const r of part.reasons) lines.push(`        ${r}`);
    }
  }
  lines.push('', summaryLine(plan.environments));
  return lines.join('\n');
}

export function renderLocks(manifest: string, result: { readonly environments: readonly LockResultLine[] }): string {
  const dir = path.dirname(manifest);
  const lines: string[] = [];
  for (const e of result.environments) {
    lines.push(`${e.written ? 'wrote' : 'unchanged'} ${shown(e.file, dir)}: ${e.packages} package${e.packages === 1 ? '' : 's'} (${e.resolver})`);
    for (const c of e.changes) lines.push(`    ${c}`);
  }
  return lines.join('\n');
}

export function summaryLine(envs: readonly EnvironmentPlan[]): string {
  const counts = new Map<Action, number>();
  // An environment in conflict will not be changed: it is counted as a conflict, never "to create".
  const blocked = envs.filter((e) => e.conflicts.length > 0).length;
  for (const e of envs) if (e.conflicts.length === 0) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
  const order: Action[] = ['create', 'update', 'replace', 'remove', 'no-op'];
  const parts = order.filter((a) => counts.has(a)).map((a) => `${counts.get(a)} to ${a === 'no-op' ? 'leave as is' : a}`);
  if (blocked > 0) return `Conflict: ${blocked} environment${blocked === 1 ? '' : 's'} in the way of apply, which will change nothing until resolved${parts.length > 0 ? ` (otherwise ${parts.join(', ')})` : ''}.`;
  if (envs.length === 0) return 'Nothing recorded and nothing declared.';
  if (envs.every((e) => e.action === 'no-op')) return `No changes: ${envs.length} environment${envs.length === 1 ? '' : 's'} up to date.`;
  return `Plan: ${parts.join(', ')}.`;
}

const PART_VERB: Readonly<Record<string, string>> = { create: 'created', update: 'updated', replace: 'replaced', remove: 'removed' };

export function renderOutcomes(manifest: string, outcomes: readonly EnvironmentOutcome[], command: string = 'apply', notes: readonly string[] = []): string {
  const dir = path.dirname(manifest);
  const head = notes.map((n) => `note: ${n}`);
  if (outcomes.length === 0) {
    return [...head, command === 'destroy' ? 'Nothing to destroy: envbuild has no environments recorded for this manifest.' : 'Nothing to do: every environment is up to date.'].join('\n');
  }
  const lines = outcomes.map((o) => {
    const verb = { create: 'created', update: 'updated', replace: 'replaced', remove: 'removed', 'no-op': 'unchanged' }[o.action];
    const parts = (o.parts ?? []).map((p) => `${p.name} ${PART_VERB[p.action] ?? p.action}${p.summary ? ` (${p.summary})` : ''}`);
    const files = [o.written > 0 ? `${o.written} written` : '', o.removed > 0 ? `${o.removed} removed` : ''].filter(Boolean).join(', ') || 'no files changed';
    return `${verb} ${o.name} (${shown(o.path, dir)}): ${files}${parts.length > 0 ? `; parts: ${parts.join(', ')}` : ''}`;
  });
  for (const o of outcomes) {
    if (o.backup) lines.push(`  moved what was in the way of ${o.name} aside to ${shown(o.backup, dir)} (nothing in it was deleted)`);
    for (const k of o.kept) lines.push(`  kept ${shown(k.path, dir)}: ${k.why}`);
  }
  lines.unshift(...head);
  const kept = outcomes.reduce((n, o) => n + o.kept.length, 0);
  if (kept > 0) lines.push(`${kept} path${kept === 1 ? ' was' : 's were'} kept because envbuild did not create ${kept === 1 ? 'it' : 'them'} or ${kept === 1 ? 'it has' : 'they have'} changed since.`);
  return lines.join('\n');
}

/** The plan as stable JSON for other tools: no file contents, only what and why. */
export function planToJson(plan: Plan): unknown {
  return {
    manifest: plan.manifest,
    changes: plan.environments.some((e) => e.action !== 'no-op'),
    notes: plan.notes ?? [],
    environments: plan.environments.map((e) => ({
      name: e.name,
      action: e.action,
      path: e.path,
      reasons: e.reasons,
      notes: e.notes,
      warnings: e.warnings,
      conflicts: e.conflicts,
      ...(e.forget ? { forget: e.forget } : {}),
      ...(e.backup ? { backup: e.backup } : {}),
      writes: e.writes.map((w) => w.path),
      removals: e.removals.map((r) => r.path),
      parts: e.parts,
      ...(e.lock ? { lock: e.lock } : {}),
    })),
  };
}

/**
 * The one line after an apply that tells how to use what was built: `envbuild run` with the
 * first environment that exists now, and its activation script, both as typed from `cwd`.
 */
export function usageHint(manifest: string, cwd: string, outcomes: readonly EnvironmentOutcome[]): string | null {
  const built = outcomes.filter((o) => o.action !== 'remove');
  const first = built[0];
  if (!first) return null;
  let discovered: string | null = null;
  try {
    discovered = findManifest(undefined, cwd);
  } catch {
    // No manifest found from here: the hint names it.
  }
  const file = discovered === manifest ? '' : ` -f ${quoteArg(shown(manifest, cwd))}`;
  const envArg = ` ${first.name}`;
  const activate = path.join(shown(first.path, cwd), 'bin', 'activate');
  return `Use it: envbuild run${envArg}${file} -- python   (or envbuild shell${envArg}${file}, or source ${quoteArg(activate)})`;
}

/** A path as a shell would need it typed. */
function quoteArg(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
