/**
 * The lock stage of a command, between resolving environments and planning them: for each
 * environment, use its lock file, or resolve its parts with their recipes' lock hooks and make
 * a new one — as the mode says — and tell what changes and where the machine differs.
 *
 *   auto     (plan, apply)   a current lock is used; a stale one (manifest inputs, interpreter
 *                            or allowlist changed) or none is resolved again
 *   relock   (envbuild lock) always resolved again
 *   locked   (--locked)      the lock is used; any staleness or difference is a problem
 *   frozen   (--frozen)      the lock is used whatever the manifest says; machine differences are problems
 *   check    (check)         like locked, never resolves, problems are reported, not thrown
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { interpolate } from '../interpolate/interpolate.js';
import { toLockedPackage, toLockPackage, writtenUrls } from '../lock/convert.js';
import { machineDifferences, packageChanges } from '../lock/diff-lock.js';
import { inputsDigest, type LockInputs } from '../lock/inputs-digest.js';
import { lockGlobals, lockInterpreter } from '../lock/machine.js';
import { canonical, lockFileName, type EnvironmentLock, type EnvironmentLockStatus, type LockedPackage, type LockPackage } from '../lock/model.js';
import { portablePath } from '../lock/paths.js';
import { readLockFile } from '../lock/read-lock.js';
import { FileHashes } from '../lock/file-fingerprints.js';
import { fileProblems, namesLocalFiles } from '../lock/verify-files.js';
import { writeLockText } from '../lock/write-lock.js';
import type { Manifest } from '../manifest/types.js';
import { execForPart } from '../parts/exec.js';
import { makeLookup } from '../parts/scope.js';
import type { DesiredEnvironment, DesiredPart } from '../plan/types.js';
import type { StateFile } from '../state/types.js';

export type LockMode = 'auto' | 'relock' | 'locked' | 'frozen' | 'check';

export interface LockStageOptions {
  readonly mode: LockMode;
  /** Locks `lockedVersions` read in this run (others are read here). */
  readonly read?: ReadonlyMap<string, { lock: EnvironmentLock; text: string } | null>;
  readonly signal?: AbortSignal;
  readonly progress?: (message: string) => void;
}

/** Where an environment's lock lives: beside the manifest (or `lock-dir:`), or envbuild's own directory with `locks: false`. */
export function lockFile(manifest: Manifest, environment: string): string {
  const dir = manifest.locks.write ? manifest.locks.dir : path.join(manifest.dir, '.envbuild', 'locks');
  return path.join(dir, lockFileName(environment));
}

/** A lock file as read, by path (null: there is none). */
export type LocksRead = Map<string, { lock: EnvironmentLock; text: string } | null>;

/**
 * The interpreter version each existing lock pins, so that discovery can prefer it. With
 * `read`, each lock read is kept there for the lock stage, which then reads no file twice.
 */
export async function lockedVersions(manifest: Manifest, read?: LocksRead): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of manifest.environments) {
    try {
      const file = lockFile(manifest, e.name);
      const found = await readLockFile(file);
      read?.set(file, found);
      if (found) out.set(e.name, found.lock.interpreter.version);
    } catch {
      // an unreadable lock is reported by the lock stage itself
    }
  }
  return out;
}

// Resolution is the slow step (a pip run); apply prepares twice (before and under its lock).
const memo = new Map<string, Promise<EnvironmentLock>>();

export async function lockEnvironments(manifest: Manifest, desired: readonly DesiredEnvironment[], state: StateFile, options: LockStageOptions): Promise<Map<string, EnvironmentLockStatus>> {
  const out = new Map<string, EnvironmentLockStatus>();
  // One fingerprint record for every lock that names local files, read when the first does.
  const files: SharedHashes = {};
  for (const d of desired) out.set(d.name, await lockOne(manifest, desired, d, state, options, files));
  await files.hashes?.save();
  const refused = [...out.entries()].filter(([, s]) => s.problems.length > 0);
  if (refused.length > 0 && options.mode !== 'check' && options.mode !== 'relock') {
    const lines = refused.flatMap(([name, s]) => s.problems.map((p) => `  ${name}: ${p}`));
    const how = options.mode === 'auto' ? '' : ` (--${options.mode})`;
    throw new UserError('ELOCKED', `the locks do not match${how}; nothing was changed:\n${lines.join('\n')}`, {
      hint: options.mode === 'auto' ? 'restore the files the lock names, or run `envbuild lock` to lock what is there now' : 'run `envbuild lock` (or `envbuild apply` without --locked) to update the locks, and commit them',
    });
  }
  return out;
}

interface LockablePart {
  readonly part: DesiredPart;
  readonly options: Record<string, unknown>;
}

interface SharedHashes {
  hashes?: FileHashes;
}

async function lockOne(
  manifest: Manifest,
  desired: readonly DesiredEnvironment[],
  d: DesiredEnvironment,
  state: StateFile,
  options: LockStageOptions,
  files: SharedHashes,
): Promise<EnvironmentLockStatus> {
  const file = lockFile(manifest, d.name);
  const shown = portablePath(file, manifest.dir);
  const existing = options.read?.has(file) ? options.read.get(file)! : await readLockFile(file);
  const lookup = makeLookup(manifest, desired, d.name, (env, part) => state.environments[env]?.parts[part]?.outputs, process.env);
  const parts: LockablePart[] = [];
  for (const part of d.parts) {
    if (!part.loaded.recipe.lock) continue;
    const { value, issues } = interpolate(part.options, lookup);
    // Options that read outputs not made yet cannot be resolved now: that part installs unlocked.
    if (issues.length === 0) parts.push({ part, options: value as Record<string, unknown> });
  }
  const digest = await digestOf(manifest, d, parts);
  const here = { interpreter: lockInterpreter(d.recipeEnv.base), allowlist: lockGlobals(d.allowlist, manifest.dir), isolation: portableIsolation(d, manifest), layout: d.inputs.layout };
  const machine = existing ? machineDifferences(existing.lock, here) : [];
  const stale = !existing || existing.lock.inputs !== digest;
  const keep = options.mode === 'locked' || options.mode === 'frozen' || options.mode === 'check' || (options.mode === 'auto' && !stale && machine.length === 0);

  if (keep) {
    const problems: string[] = [];
    if (!existing) problems.push(`no lock file ${shown}: run \`envbuild lock\``);
    else {
      if (options.mode !== 'frozen' && options.mode !== 'auto' && stale) problems.push(`${shown} is out of date: the manifest's requirements, options or the files they name changed since it was written`);
      if (namesLocalFiles(existing.lock)) files.hashes ??= await FileHashes.open();
      problems.push(...machine, ...(await fileProblems(existing.lock, manifest.dir, files.hashes)));
    }
    return status(file, manifest, existing?.lock ?? null, existing?.text ?? null, existing?.text ?? null, [], problems);
  }
  const key = `${manifest.file}\0${d.name}\0${digest}\0${JSON.stringify(here)}`;
  let resolving = options.mode === 'relock' ? undefined : memo.get(key);
  if (!resolving) {
    resolving = resolve(manifest, d, parts, digest, here, existing?.lock ?? null, options);
    memo.set(key, resolving);
    resolving.catch(() => memo.delete(key));
  }
  const lock = await resolving;
  const text = writeLockText(lock);
  const changes = existing ? [...machine.map((m) => `relocked: ${m}`), ...packageChanges(existing.lock.packages, lock.packages)] : [`new lock ${shown}`, ...packageChanges([], lock.packages)];
  return status(file, manifest, lock, text, existing?.text ?? null, text === existing?.text ? [] : changes, []);
}

function status(file: string, manifest: Manifest, lock: EnvironmentLock | null, text: string | null, onDisk: string | null, changes: string[], problems: string[]): EnvironmentLockStatus {
  const byPart = new Map<string, LockedPackage[]>();
  const pinnedParts = new Set<string>();
  for (const p of lock?.packages ?? []) {
    for (const part of p.parts) {
      if (p.source.kind === 'pinned') pinnedParts.add(part);
      byPart.set(part, [...(byPart.get(part) ?? []), toLockedPackage(p, manifest.dir, process.env)]);
    }
  }
  for (const part of lock?.pendingParts ?? []) byPart.delete(part);
  let current = lock;
  return {
    file,
    lock,
    text,
    write: text !== null && text !== onDisk,
    changes,
    problems,
    byPart,
    async pin(part, packages) {
      if (!current) return;
      const others = current.packages.filter((p) => !(p.parts.length === 1 && p.parts[0] === part));
      const pinned = packages.map((p) => toLockPackage({ ...p, source: { kind: 'pinned' } }, [part], manifest.dir, []));
      current = { ...current, packages: [...others, ...pinned], pendingParts: (current.pendingParts ?? []).filter((x) => x !== part) };
      await writeLock(file, writeLockText(current));
    },
  };
}

export async function writeLock(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
}

function portableIsolation(d: DesiredEnvironment, manifest: Manifest): string {
  return d.inputs.isolation.split(`${manifest.dir}/`).join('./');
}

async function digestOf(manifest: Manifest, d: DesiredEnvironment, parts: readonly LockablePart[]): Promise<string> {
  const spec = manifest.environments.find((e) => e.name === d.name)!;
  const inputs: LockInputs = {
    python: spec.python,
    layout: spec.layout,
    isolation: portableIsolation(d, manifest),
    parts: await Promise.all(
      parts.map(async ({ part, options }) => {
        const files = await part.loaded.recipe.lock!.inputs({ options, manifestDir: manifest.dir });
        return {
          name: part.name,
          recipe: part.loaded.identity,
          options: part.options,
          files: Object.fromEntries(Object.entries(files).map(([f, h]) => [portablePath(f, manifest.dir), h] as const).sort(([a], [b]) => (a < b ? -1 : 1))),
        };
      }),
    ),
  };
  return inputsDigest(inputs);
}

async function resolve(
  manifest: Manifest,
  d: DesiredEnvironment,
  parts: readonly LockablePart[],
  digest: string,
  here: Pick<EnvironmentLock, 'interpreter' | 'allowlist' | 'isolation' | 'layout'>,
  previous: EnvironmentLock | null,
  options: LockStageOptions,
): Promise<EnvironmentLock> {
  const signal = options.signal ?? new AbortController().signal;
  const progress = options.progress ?? (() => undefined);
  const merged = new Map<string, LockPackage>();
  const resolvers = new Set<string>();
  const pending: string[] = [];
  const globals = new Map((d.allowlist?.distributions ?? []).map((g) => [canonical(g.name), g.version]));
  for (const { part, options: partOptions } of parts) {
    const label = `${d.name}.${part.name}`;
    const recipe = part.loaded.recipe;
    const result = await recipe.lock!.resolve({
      part: part.name,
      options: partOptions,
      env: d.recipeEnv,
      manifestDir: manifest.dir,
      signal,
      log: progress,
      exec: (command, args, o = {}) => execForPart(`part ${label} (${recipe.name})`, command, args, o, signal, progress),
    });
    if ('pinAfterInstall' in result) {
      resolvers.add(result.pinAfterInstall);
      const earlier = previous?.packages.filter((p) => p.parts.includes(part.name) && p.source.kind === 'pinned') ?? [];
      if (earlier.length > 0 && previous?.inputs === digest) for (const p of earlier) merged.set(canonical(p.name), p);
      else pending.push(part.name);
      continue;
    }
    resolvers.add(result.resolver);
    for (const p of result.packages) {
      const key = canonical(p.name);
      // What an allowlisted global already provides at that version is used from there.
      if (p.version !== undefined && globals.get(key) === p.version) continue;
      const seen = merged.get(key);
      if (seen && seen.version !== p.version) {
        throw new UserError('ELOCK', `environment ${d.name}: parts ${seen.parts.join(', ')} and ${part.name} need different versions of ${p.name} (${seen.version ?? '?'} and ${p.version ?? '?'})`, {
          hint: 'pin one version in both parts (or a shared constraints file)',
        });
      }
      const lp = toLockPackage(p, [...(seen?.parts ?? []), part.name], manifest.dir, writtenUrls(part.options));
      merged.set(key, seen ? { ...lp, requested: seen.requested || p.requested } : lp);
    }
  }
  return {
    environment: d.name,
    inputs: digest,
    ...here,
    resolver: [...resolvers].sort().join('; ') || 'none: no part installs distributions',
    packages: [...merged.values()],
    ...(pending.length > 0 ? { pendingParts: pending } : {}),
  };
}

/**
 * Writes the lock files the lock stage made or changed (apply, lock). Returns the files written.
 * The local files a new lock names are fingerprinted now, so that the next run's check of the
 * lock — a no-op apply — reads no wheel and writes nothing, not even the fingerprint record.
 */
export async function writeLocks(desired: readonly DesiredEnvironment[], manifestDir: string): Promise<string[]> {
  const written: string[] = [];
  let hashes: FileHashes | undefined;
  for (const d of desired) {
    const l = d.locked;
    if (!l?.write || l.text === null) continue;
    await writeLock(l.file, l.text);
    written.push(l.file);
    if (l.lock) await fileProblems(l.lock, manifestDir, (hashes ??= await FileHashes.open()));
  }
  await hashes?.save();
  return written;
}
