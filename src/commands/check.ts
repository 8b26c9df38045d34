import { isUserError, ManifestError } from '../errors/user-error.js';
import { formatDiagnostic } from '../errors/diagnostic.js';
import { auditEnvironment, type AuditReport, type ResolvedAllowlist } from '../isolation/index.js';
import { loadManifest } from '../manifest/index.js';
import type { IsolationMode } from '../manifest/types.js';
import type { Plan } from '../plan/types.js';
import { createInterpreterFinder } from '../python/index.js';
import { readState } from '../state/store.js';
import { belongsTo, prepare, type EngineOptions } from './prepare.js';
import { ENVBUILD_VERSION } from '../version.js';
import path from 'node:path';

export interface EnvironmentCheck {
  readonly name: string;
  readonly path: string;
  readonly mode: IsolationMode | null;
  /** Differences between the disk and what envbuild recorded or the manifest asks: what apply would repair. */
  readonly drift: readonly string[];
  /** What the environment's own interpreter can import, classified; null when it could not be asked. */
  readonly audit: AuditReport | null;
  /** Every problem: audit findings (leaks, dangling links, changed versions), drift, a missing interpreter. */
  readonly problems: readonly string[];
  readonly clean: boolean;
}

export interface CheckResult {
  readonly environments: readonly EnvironmentCheck[];
  readonly clean: boolean;
}

/**
 * The isolation audit: asks each environment's own interpreter what it can import and
 * classifies every name (standard library, the environment's own, allowlisted global, or a
 * LEAK), and reports drift — everything apply would change. Changes nothing on disk.
 */
export async function check(manifestFile: string, options: EngineOptions = {}): Promise<CheckResult> {
  const manifest = await loadManifest(manifestFile);
  const { state } = await readState(manifest.file, ENVBUILD_VERSION, (s) => belongsTo(manifest, s));
  let plan: Plan | null = null;
  let planProblem: string | null = null;
  try {
    // Locks are compared, never resolved: check reports an environment that left its lock.
    plan = (await prepare(manifestFile, { ...options, lockMode: 'check' })).plan;
  } catch (e) {
    // A manifest the engine cannot plan (say, an interpreter that is gone) still has
    // environments on disk worth auditing: report why, and audit what state describes.
    if (!isUserError(e)) throw e;
    planProblem = e instanceof ManifestError ? e.diagnostics.map((d) => formatDiagnostic(d)).join('\n') : e.message;
  }
  const names = manifest.environments.map((e) => e.name).filter((n) => !options.only || options.only.includes(n));
  const finder = createInterpreterFinder(options.discovery);
  const results: EnvironmentCheck[] = [];
  for (const name of names) {
    const spec = manifest.environments.find((e) => e.name === name)!;
    const recorded = state.environments[name];
    const envPlan = plan?.environments.find((e) => e.name === name);
    const drift = envPlan && envPlan.action !== 'no-op'
      ? [
          ...envPlan.reasons.map((r) => `${envPlan.action}: ${r}`),
          ...envPlan.parts.filter((p) => p.action !== 'no-op').flatMap((p) => (p.reasons.length > 0 ? p.reasons : [p.action]).map((r) => `part ${p.name} ${p.action}: ${r}`)),
        ]
      : [];
    const problems: string[] = planProblem ? [`cannot plan: ${planProblem}`] : [];
    problems.push(...(envPlan?.lock?.problems ?? []).map((p) => `lock: ${p}`));
    if (!recorded) {
      results.push({ name, path: spec.path, mode: spec.isolation.mode, drift, audit: null, problems: [...problems, 'not built yet: run envbuild apply'], clean: false });
      continue;
    }
    let audit: AuditReport | null = null;
    try {
      const base = await finder.resolve(recorded.inputs.python.executable);
      audit = await auditEnvironment({
        envPython: path.join(recorded.path, 'bin', 'python'),
        envRoot: recorded.path,
        python: base,
        allowlist: (recorded.allowlist as ResolvedAllowlist | undefined) ?? null,
        mode: spec.isolation.mode,
      });
    } catch (e) {
      if (!isUserError(e)) throw e;
      problems.push(`cannot audit: ${e.message}`);
    }
    problems.push(...(audit?.findings.map((f) => f.message) ?? []), ...drift.map((d) => `drift: ${d}`));
    results.push({ name, path: recorded.path, mode: spec.isolation.mode, drift, audit, problems, clean: problems.length === 0 });
  }
  return { environments: results, clean: results.every((r) => r.clean) };
}
