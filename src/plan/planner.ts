import { describeMismatch, digestsEqual, observedMatches } from '../layout/materialize.js';
import type { EntryDigest, Observed, TreeEntry } from '../layout/tree.js';
import type { EnvironmentInputs, EnvironmentState, StateFile } from '../state/types.js';
import type { DesiredEnvironment, EnvironmentPlan, Observations, Plan, RootObservation } from './types.js';

export interface PlanOptions {
  /** Limit planning to these environments; others are left alone (neither changed nor removed). */
  readonly only?: readonly string[];
  /** Plan the removal of every recorded environment (envbuild destroy). */
  readonly destroy?: boolean;
}

/**
 * The planner: a pure function of what the manifest wants, what envbuild recorded and what is
 * on disk. It performs no I/O, so every reason it gives can be tested without a filesystem.
 */
export function planEnvironments(
  manifest: string,
  desired: readonly DesiredEnvironment[],
  state: StateFile,
  observed: Observations,
  options: PlanOptions = {},
): Plan {
  const selected = (name: string) => !options.only || options.only.includes(name);
  const wanted = options.destroy ? [] : desired.filter((d) => selected(d.name));
  const plans: EnvironmentPlan[] = wanted.map((d) => {
    const rec = state.environments[d.name];
    return rec ? planExisting(d, rec, observed) : planNew(d, observed);
  });
  const keep = new Set(desired.map((d) => d.name));
  const gone = Object.keys(state.environments)
    .filter((name) => selected(name) && (options.destroy || !keep.has(name)))
    .sort();
  for (const name of gone) {
    const rec = state.environments[name]!;
    plans.push({
      ...base(name, rec.path, 'remove'),
      reasons: [options.destroy ? 'destroy' : 'no longer in the manifest'],
      removeFrom: rec.path,
      removals: [...rec.entries].reverse(),
    });
  }
  return { manifest, environments: plans };
}

function base(name: string, path: string, action: EnvironmentPlan['action']): EnvironmentPlan {
  return { name, path, action, reasons: [], notes: [], warnings: [], removals: [], writes: [], adopt: false, rebuild: false, parts: [], conflicts: [] };
}

function rootOf(observed: Observations, root: string): RootObservation {
  return observed[root] ?? { children: null, entries: {} };
}

function seen(obs: RootObservation, path: string): Observed {
  return obs.entries[path] ?? { kind: 'missing' };
}

function planNew(d: DesiredEnvironment, observed: Observations): EnvironmentPlan {
  const plan = { ...base(d.name, d.path, 'create'), notes: d.notes, warnings: d.warnings };
  const obs = rootOf(observed, d.path);
  if (obs.children === null || obs.children.length === 0) {
    return { ...plan, reasons: ['new environment'], writes: d.entries, rebuild: d.derived !== undefined };
  }
  // Something is already there. If it is exactly what we would build (a run interrupted
  // after building but before recording, or a lost state file), take it over as it is;
  // anything else belongs to somebody else and is never overwritten.
  const { foreign, differing } = compareExactly(d, obs);
  if (foreign.length === 0 && differing.length === 0) {
    // Derived files cannot be verified without a record: rebuilding them is cheap and exact.
    return {
      ...plan,
      reasons: ['found on disk exactly as the manifest describes it: adopting it'],
      adopt: true,
      rebuild: d.derived !== undefined,
    };
  }
  const what = foreign.length > 0 ? foreign : differing.map((e) => e.path);
  return {
    ...plan,
    reasons: ['new environment'],
    writes: d.entries,
    conflicts: [
      `${d.path} already exists and was not created by envbuild (${summarise(what)}); move it away or choose another path`,
    ],
  };
}

/** What in a root is not the desired environment: unknown top-level names, entries that differ. */
function compareExactly(d: DesiredEnvironment, obs: RootObservation): { foreign: string[]; differing: TreeEntry[] } {
  const topLevel = new Set(d.entries.map((e) => e.path.split('/')[0]));
  const foreign = (obs.children ?? []).filter((c) => !topLevel.has(c));
  const differing = d.entries.filter((e) => !observedMatches(d.digests[e.path]!, seen(obs, e.path)));
  return { foreign, differing };
}

function planExisting(d: DesiredEnvironment, rec: EnvironmentState, observed: Observations): EnvironmentPlan {
  const replaceReasons = replacementReasons(rec, d);
  if (replaceReasons.length > 0) {
    // A replace interrupted after the new environment was moved into place but before it was
    // recorded: the target already is exactly the new environment. Adopt it, and remove only
    // what is left of the old one (all of it when it lived elsewhere).
    const target = rootOf(observed, d.path);
    const exact = compareExactly(d, target);
    if (target.children && target.children.length > 0 && exact.foreign.length === 0 && exact.differing.length === 0) {
      const wanted = new Set([...d.entries.map((e) => e.path), ...(d.derived?.paths ?? [])]);
      return {
        ...base(d.name, d.path, 'replace'),
        notes: d.notes,
        warnings: d.warnings,
        reasons: [...replaceReasons, 'the new environment is already in place: adopting it'],
        removeFrom: rec.path,
        removals: [...rec.entries].reverse().filter((e) => rec.path !== d.path || !wanted.has(e.path)),
        adopt: true,
        rebuild: d.derived !== undefined,
      };
    }
    const plan: EnvironmentPlan = {
      ...base(d.name, d.path, 'replace'),
      notes: d.notes,
      warnings: d.warnings,
      reasons: replaceReasons,
      removeFrom: rec.path,
      removals: [...rec.entries].reverse(),
      writes: d.entries,
      rebuild: d.derived !== undefined,
    };
    if (rec.path !== d.path) {
      const target = rootOf(observed, d.path);
      if (target.children && target.children.length > 0) {
        return { ...plan, conflicts: [`${d.path} already exists and was not created by envbuild; move it away or choose another path`] };
      }
    }
    return plan;
  }

  const obs = rootOf(observed, d.path);
  const recorded = new Map(rec.entries.map((e) => [e.path, e.digest]));
  const reasons = inputChanges(rec.inputs, d.inputs);
  const drift: string[] = [];
  const writes: TreeEntry[] = [];
  const conflicts: string[] = [];
  const regenerated: string[] = [];
  for (const entry of d.entries) {
    const want = d.digests[entry.path]!;
    const now = seen(obs, entry.path);
    if (observedMatches(want, now)) continue;
    writes.push(entry);
    const had = recorded.get(entry.path);
    if (now.kind === 'missing') drift.push(`${entry.path} missing`);
    else if (had === undefined) {
      conflicts.push(`${entry.path} exists and was not created by envbuild (${describeMismatch(want, now)}); move it away`);
    } else if (!observedMatches(had, now)) drift.push(`${entry.path} ${describeMismatch(had, now)}`);
    else regenerated.push(entry.path);
  }
  // Entries still as recorded but rendered differently: explained by an input change when
  // there is one, otherwise by a change in what this version of envbuild generates.
  if (reasons.length === 0 && regenerated.length > 0) {
    reasons.push(`generated content changed: ${summarise(regenerated).replace(/^holds /, '')}`);
  }
  const derived = new Set(d.derived?.paths ?? []);
  for (const p of derived) {
    const had = recorded.get(p);
    const now = seen(obs, p);
    if (now.kind === 'missing') drift.push(`${p} missing`);
    else if (had === undefined) drift.push(`${p} not recorded`);
    else if (!observedMatches(had, now)) drift.push(`${p} ${describeMismatch(had, now)}`);
  }
  const staleDerived = (d.derived?.paths ?? []).some((p) => {
    const had = recorded.get(p);
    return had === undefined || !observedMatches(had, seen(obs, p));
  });
  const rebuild = d.derived !== undefined && (staleDerived || writes.some((w) => d.derived!.inputs.includes(w.path)));
  const desiredPaths = new Set([...d.entries.map((e) => e.path), ...derived]);
  const removals = [...rec.entries].reverse().filter((e) => !desiredPaths.has(e.path));
  for (const r of removals) drift.push(`${r.path} no longer generated`);
  // Recorded digests that differ from the desired ones although disk already matches (e.g. a
  // repaired file) only need the state refreshed: that is an update with nothing to write.
  const stale = d.entries.some((e) => {
    const had = recorded.get(e.path);
    return had === undefined || !digestsEqual(had, d.digests[e.path]!);
  });
  const allReasons = [...reasons, ...summariseDrift(drift)];
  if (allReasons.length === 0 && writes.length === 0 && !stale && !rebuild) {
    return { ...base(d.name, d.path, 'no-op'), notes: d.notes, warnings: d.warnings };
  }
  return {
    ...base(d.name, d.path, 'update'),
    notes: d.notes,
    warnings: d.warnings,
    reasons: allReasons.length > 0 ? allReasons : ['state records outdated digests'],
    removeFrom: rec.path,
    removals,
    writes,
    rebuild,
    conflicts,
  };
}

function replacementReasons(rec: EnvironmentState, d: DesiredEnvironment): string[] {
  const reasons: string[] = [];
  if (rec.path !== d.path) reasons.push(`path changed ${rec.path} → ${d.path}`);
  const a = rec.inputs.python;
  const b = d.inputs.python;
  if (a.version !== b.version) reasons.push(`python changed ${a.version} → ${b.version}`);
  else if (a.executable !== b.executable) reasons.push(`python changed ${a.executable} → ${b.executable}`);
  if (rec.inputs.layout !== d.inputs.layout) reasons.push(`layout changed ${rec.inputs.layout} → ${d.inputs.layout}`);
  return reasons;
}

function inputChanges(a: EnvironmentInputs, b: EnvironmentInputs): string[] {
  const reasons: string[] = [];
  if (a.isolation !== b.isolation) reasons.push(`isolation changed ${a.isolation} → ${b.isolation}`);
  if (a.prompt !== b.prompt) reasons.push(`prompt changed ${a.prompt} → ${b.prompt}`);
  const globals = globalChanges(a.globals ?? [], b.globals ?? []);
  if (globals.length > 0) reasons.push(`allowlisted global packages changed: ${globals.join(', ')}`);
  return reasons;
}

/** `PyYAML 6.0 → 6.1`, `+ six 1.16.0`, `- dbus-python 1.3.2` from two `name==version` lists. */
function globalChanges(before: readonly string[], after: readonly string[]): string[] {
  const split = (list: readonly string[]) => new Map(list.map((s) => s.split('==') as [string, string]));
  const a = split(before);
  const b = split(after);
  const out: string[] = [];
  for (const [name, version] of b) {
    const old = a.get(name);
    if (old === undefined) out.push(`+ ${name} ${version}`);
    else if (old !== version) out.push(`${name} ${old} → ${version}`);
  }
  for (const [name, version] of a) if (!b.has(name)) out.push(`- ${name} ${version}`);
  return out;
}

/** Long lists of drift (a deleted bin/ takes a dozen entries with it) are shortened for humans. */
function summariseDrift(drift: string[]): string[] {
  const MAX = 6;
  if (drift.length <= MAX) return drift;
  return [...drift.slice(0, MAX - 1), `and ${drift.length - (MAX - 1)} more changes on disk`];
}

function summarise(names: readonly string[]): string {
  const shown = names.slice(0, 4).join(', ');
  return names.length > 4 ? `holds ${shown}, …` : `holds ${shown}`;
}

/** The digest of every entry, for recording after apply. */
export function recordedEntries(d: DesiredEnvironment): Array<{ path: string; digest: EntryDigest }> {
  return d.entries.map((e) => ({ path: e.path, digest: d.digests[e.path]! }));
}
