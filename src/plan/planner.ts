import { describeMismatch, digestsEqual, observedMatches } from '../layout/materialize.js';
import type { EntryDigest, Observed, TreeEntry } from '../layout/tree.js';
import { markerOf } from '../layout/identity.js';
import type { EnvironmentInputs, EnvironmentState, StateFile } from '../state/types.js';
import type { DesiredEnvironment, EntryRemoval, EnvironmentPlan, Observations, Plan, RootObservation } from './types.js';

export interface PlanOptions {
  /** Limit planning to these environments; others are left alone (neither changed nor removed). */
  readonly only?: readonly string[];
  /** Plan the removal of every recorded environment (envbuild destroy). */
  readonly destroy?: boolean;
  /** The manifest's directory: what lies outside it is removed only when declared or signed for. */
  readonly project?: string;
  /** Whether the state is signed by this user's key (see state/key.ts). */
  readonly trusted?: boolean;
  /** The directory the state was written in, when the project has moved since. */
  readonly movedFrom?: string;
  /** Environment roots recorded by the states of other manifests beside this one: root → manifest. */
  readonly ownedByOthers?: Readonly<Record<string, string>>;
  /** `apply --replace-foreign`: move a directory in the way aside to a backup named with this stamp. */
  readonly replaceForeign?: { readonly stamp: string };
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
  const declared = new Set(options.destroy ? [] : desired.map((d) => d.path));
  const plans: EnvironmentPlan[] = wanted.map((d) => {
    const rec = state.environments[d.name];
    const plan = rec ? planExisting(d, rec, observed, options) : planNew(d, observed, options);
    return guardRoot(guardRemoval(plan, rec, observed, declared, options), d, observed, options);
  });
  const keep = new Set(desired.map((d) => d.name));
  const gone = Object.keys(state.environments)
    .filter((name) => selected(name) && (options.destroy || !keep.has(name)))
    .sort();
  for (const name of gone) {
    const rec = state.environments[name]!;
    const plan: EnvironmentPlan = {
      ...base(name, rec.path, 'remove'),
      reasons: [options.destroy ? 'destroy' : 'no longer in the manifest'],
      removeFrom: rec.path,
      removals: markerLast([...rec.entries].reverse()),
    };
    plans.push(guardRemoval(plan, rec, observed, declared, options));
  }
  return { manifest, environments: plans };
}

/**
 * Removal is confirmed by the disk: a recorded root is removed as an environment only while
 * it carries the id recorded for it (version-1 records, which have none, only inside the
 * project), and a root outside the project only when the manifest declares it or the state is
 * envbuild's own signed record. A root that cannot be confirmed is forgotten, not touched; one
 * outside everything envbuild may act on is refused.
 */
function guardRemoval(plan: EnvironmentPlan, rec: EnvironmentState | undefined, observed: Observations, declared: ReadonlySet<string>, options: PlanOptions): EnvironmentPlan {
  if (!rec || plan.removeFrom === undefined || (plan.action !== 'remove' && plan.action !== 'replace')) return plan;
  const root = plan.removeFrom;
  const obs = rootOf(observed, root);
  if (obs.children === null || obs.children.length === 0) return plan;
  const inProject = options.project !== undefined && (root === options.project || root.startsWith(`${options.project}/`));
  if (!inProject && !declared.has(root) && !options.trusted) {
    return {
      ...plan,
      conflicts: [
        ...plan.conflicts,
        `refusing to remove ${root}: it is outside the project, the manifest does not declare it, and the state that names it is not signed by this user's key; if it is yours, remove it by hand (envbuild then forgets it)`,
      ],
    };
  }
  const confirmed = rec.id !== undefined ? obs.marker === rec.id : inProject;
  if (confirmed) return plan;
  const why =
    rec.id !== undefined
      ? `it does not carry the id envbuild recorded for it (envbuild-id ${rec.id} in ${markerOf(rec.entries) ?? 'its marker'}${obs.marker ? `; it carries ${obs.marker}` : ''})`
      : 'it was recorded by an earlier envbuild without an id, and is outside the project';
  if (plan.action === 'replace' && rec.path === plan.path) {
    return { ...plan, conflicts: [...plan.conflicts, `${root} is not the environment envbuild recorded: ${why}; move it away, or apply --replace-foreign to move it aside`] };
  }
  return { ...plan, removals: [], forget: `not removed: ${why}; envbuild forgets it` };
}

/** Checks on where an environment is written: through no link in the project, into no other manifest's environment. */
function guardRoot(plan: EnvironmentPlan, d: DesiredEnvironment, observed: Observations, options: PlanOptions): EnvironmentPlan {
  const obs = rootOf(observed, d.path);
  const conflicts: string[] = [];
  const where = d.at ? `${d.at.file}:${d.at.line}:${d.at.col}: ` : '';
  if (obs.linked) {
    conflicts.push(
      `${where}the path of environment ${d.name} (${d.path}) leads through the symbolic link ${obs.linked.path} -> ${obs.linked.target}; envbuild does not write through links inside the project: remove the link, or write the real location as an absolute path`,
    );
  }
  const other = options.ownedByOthers?.[d.path];
  if (other !== undefined) {
    conflicts.push(`${where}${d.path} is an environment of the manifest ${other} beside this one; a manifest never acts on another's environments: destroy it there, or choose another path`);
  }
  if (conflicts.length === 0) return plan;
  const { backup: _none, ...rest } = plan;
  return { ...rest, conflicts: [...plan.conflicts, ...conflicts] };
}

/** The marker is removed after everything else, so an interrupted removal can still be confirmed. */
function markerLast(removals: EntryRemoval[]): EntryRemoval[] {
  const marker = markerOf(removals);
  return marker === undefined ? removals : [...removals.filter((r) => r.path !== marker), ...removals.filter((r) => r.path === marker)];
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

function planNew(d: DesiredEnvironment, observed: Observations, options: PlanOptions): EnvironmentPlan {
  const plan = { ...base(d.name, d.path, 'create'), notes: d.notes, warnings: d.warnings };
  const obs = rootOf(observed, d.path);
  if (obs.children === null || obs.children.length === 0) {
    return { ...plan, reasons: ['new environment'], writes: d.entries, rebuild: d.derived !== undefined };
  }
  // Something is already there. If it is exactly what we would build (a run interrupted
  // after building but before recording, or a lost state file), take it over as it is;
  // anything else belongs to somebody else and is never overwritten. An environment envbuild
  // made for another project (outside this one, carrying an id) is never taken over.
  const { foreign, differing } = compareExactly(d, obs);
  const inProject = options.project === undefined || d.path.startsWith(`${options.project}/`);
  const elsewhere = !inProject && obs.marker ? 'an environment envbuild created for another project' : null;
  if (foreign.length === 0 && differing.length === 0 && !elsewhere) {
    // Derived files cannot be verified without a record: rebuilding them is cheap and exact.
    return {
      ...plan,
      reasons: ['found on disk exactly as the manifest describes it: adopting it'],
      adopt: true,
      rebuild: d.derived !== undefined,
    };
  }
  return foreignInTheWay({ ...plan, writes: d.entries, rebuild: d.derived !== undefined }, d, obs, describeForeign(obs, foreign, differing, elsewhere), options);
}

/** A directory envbuild did not create where an environment goes: a conflict, or with --replace-foreign a backup. */
function foreignInTheWay(plan: EnvironmentPlan, d: DesiredEnvironment, obs: RootObservation, holds: string, options: PlanOptions): EnvironmentPlan {
  if (options.replaceForeign && !obs.linked) {
    const backup = `${d.path.slice(0, d.path.lastIndexOf('/'))}/.${d.path.slice(d.path.lastIndexOf('/') + 1)}.envbuild-backup-${options.replaceForeign.stamp}`;
    return { ...plan, reasons: [...plan.reasons, `${d.path} was not created by envbuild (${holds}): it is moved aside to ${backup}`], backup, writes: d.entries };
  }
  return {
    ...plan,
    reasons: plan.reasons.length > 0 ? plan.reasons : ['new environment'],
    conflicts: [`${d.path} already exists and was not created by envbuild (${holds}); move it away, choose another path, or apply --replace-foreign to move it aside`],
  };
}

/** What a directory in the way really holds, and how it differs from the environment. */
function describeForeign(obs: RootObservation, foreign: readonly string[], differing: readonly TreeEntry[], elsewhere: string | null): string {
  const children = obs.children ?? [];
  const parts = [children[0] === '(a file)' ? 'it is a file' : `it holds ${children.length === 1 ? '' : `${children.length} entries: `}${summarise(children).replace(/^holds /, '')}`];
  if (elsewhere) parts.push(`it is ${elsewhere}`);
  if (foreign.length > 0 && foreign.length < children.length) parts.push(`not part of the environment: ${summarise(foreign).replace(/^holds /, '')}`);
  const present = differing.filter((e) => seen(obs, e.path).kind !== 'missing').map((e) => e.path);
  if (present.length > 0) parts.push(`different from what envbuild writes: ${summarise(present).replace(/^holds /, '')}`);
  return parts.join('; ');
}

/** What in a root is not the desired environment: unknown top-level names, entries that differ. */
function compareExactly(d: DesiredEnvironment, obs: RootObservation): { foreign: string[]; differing: TreeEntry[] } {
  const topLevel = new Set(d.entries.map((e) => e.path.split('/')[0]));
  const foreign = (obs.children ?? []).filter((c) => !topLevel.has(c));
  const differing = d.entries.filter((e) => !observedMatches(d.digests[e.path]!, seen(obs, e.path)));
  return { foreign, differing };
}

function planExisting(d: DesiredEnvironment, rec: EnvironmentState, observed: Observations, options: PlanOptions): EnvironmentPlan {
  const replaceReasons = replacementReasons(rec, d, options.movedFrom);
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
        removals: markerLast([...rec.entries].reverse().filter((e) => rec.path !== d.path || !wanted.has(e.path))),
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
      removals: markerLast([...rec.entries].reverse()),
      writes: d.entries,
      rebuild: d.derived !== undefined,
    };
    if (rec.path !== d.path) {
      const target = rootOf(observed, d.path);
      if (target.children && target.children.length > 0) {
        const { foreign, differing } = compareExactly(d, target);
        return foreignInTheWay(plan, d, target, describeForeign(target, foreign, differing, null), options);
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

function replacementReasons(rec: EnvironmentState, d: DesiredEnvironment, movedFrom?: string): string[] {
  const reasons: string[] = [];
  if (movedFrom !== undefined && rec.path === d.path) {
    reasons.push(`the project moved from ${movedFrom}: rebuilt in place, because a virtual environment records its own path`);
  }
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
