/**
 * What changes between two locks, and where a machine differs from a lock: pure functions,
 * their results are the lines a plan and `apply --locked` show.
 */
import { canonical, type EnvironmentLock, type LockGlobal, type LockInterpreter, type LockPackage } from './model.js';

function describeSource(p: LockPackage): string {
  return p.version ?? (p.source.kind === 'directory' ? `(${p.source.editable ? 'editable ' : ''}${p.source.path})` : '');
}

/** `+ attrs 23.2.0`, `~ idna 3.6 → 3.7`, `- six 1.16.0`, sorted by name; a changed hash only: `~ idna 3.7 (file changed)`. */
export function packageChanges(before: readonly LockPackage[], after: readonly LockPackage[]): string[] {
  const index = (ps: readonly LockPackage[]) => new Map(ps.map((p) => [canonical(p.name), p]));
  const old = index(before);
  const now = index(after);
  const names = [...new Set([...old.keys(), ...now.keys()])].sort();
  const out: string[] = [];
  for (const n of names) {
    const a = old.get(n);
    const b = now.get(n);
    if (!a && b) out.push(`+ ${b.name} ${describeSource(b)}`.trimEnd());
    else if (a && !b) out.push(`- ${a.name} ${describeSource(a)}`.trimEnd());
    else if (a && b) {
      if (describeSource(a) !== describeSource(b)) out.push(`~ ${b.name} ${describeSource(a)} → ${describeSource(b)}`);
      else if (JSON.stringify(a.source) !== JSON.stringify(b.source)) out.push(`~ ${b.name} ${describeSource(b)} (source or hash changed)`);
    }
  }
  return out;
}

/** Where this machine's interpreter differs from the locked one; empty when it matches. */
export function interpreterDifferences(locked: LockInterpreter, here: LockInterpreter): string[] {
  const out: string[] = [];
  if (locked.implementation !== here.implementation || locked.version !== here.version) {
    out.push(`interpreter: ${locked.implementation} ${locked.version} locked, ${here.implementation} ${here.version} on this machine`);
  } else if (locked.tag !== here.tag || locked.platform !== here.platform) {
    out.push(`interpreter: wheel tag ${locked.tag} (${locked.platform}) locked, ${here.tag} (${here.platform}) on this machine`);
  }
  return out;
}

/** `PyYAML 6.0 locked, 6.0.1 on this machine`, a global gone, a global newly allowlisted. */
export function allowlistDifferences(locked: readonly LockGlobal[], here: readonly LockGlobal[]): string[] {
  const key = (g: LockGlobal) => canonical(g.name);
  const now = new Map(here.map((g) => [key(g), g]));
  const out: string[] = [];
  for (const g of locked) {
    const h = now.get(key(g));
    if (!h) out.push(`allowlist: ${g.name} ${g.version} locked (${g.location}), not found on this machine`);
    else if (h.version !== g.version) out.push(`allowlist: ${g.name} ${g.version} locked, ${h.version} on this machine`);
    else if (h.location !== g.location) out.push(`allowlist: ${g.name} ${g.version} locked in ${g.location}, found in ${h.location} on this machine`);
    now.delete(key(g));
  }
  for (const h of now.values()) out.push(`allowlist: ${h.name} ${h.version} (${h.location}) is allowed on this machine but not locked`);
  return out;
}

/** Everything about this machine that makes `lock` unusable as it is (interpreter, isolation, globals). */
export function machineDifferences(lock: EnvironmentLock, here: Pick<EnvironmentLock, 'interpreter' | 'allowlist' | 'isolation' | 'layout'>): string[] {
  return [
    ...interpreterDifferences(lock.interpreter, here.interpreter),
    ...(lock.layout !== here.layout ? [`layout: ${lock.layout} locked, ${here.layout} here`] : []),
    ...allowlistDifferences(lock.allowlist, here.allowlist),
  ];
}
