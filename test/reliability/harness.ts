/**
 * What the reliability tests share: projects holding the note recipe (a local recipe with
 * observable side effects, test/helpers/note-recipe.ts), runs of the real CLI with fault injection, and the comparisons that define "converged" — the same file
 * tree and the same state as a clean apply, wherever the project lives, and no leftovers.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from '../helpers/project.js';
import { writeNoteRecipe } from '../helpers/note-recipe.js';
import { tempDir } from '../helpers/temp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

/** Two independent environments under one envs/, and a part reading another's output. */
export const twoEnvironments = (python: string) => `envbuild: 1
environments:
  a:
    python: ${python}
    parts:
      one: {recipe: ./recipes/note.mjs, text: a1, file: one.txt}
      two: {recipe: ./recipes/note.mjs, text: "from \${parts.one.file}", file: two.txt}
  b:
    python: ${python}
    isolation: system
    parts:
      one: {recipe: ./recipes/note.mjs, text: b1, dir: lib/extra}
`;

/** Three environments, five parts, one part reading another's output. */
export const threeEnvironments = (python: string) => `${twoEnvironments(python)}  c:
    python: ${python}
    parts:
      one: {recipe: ./recipes/note.mjs, text: c1}
      two: {recipe: ./recipes/note.mjs, text: c2, file: two.txt}
`;

export interface Scenario {
  readonly dir: string;
  readonly manifest: string;
  write(yaml: string): void;
}

/** A project directory holding the recipe and a manifest; `at` pins its path. */
export function makeScenario(yaml: string, at?: string): Scenario {
  const dir = at ?? tempDir('envbuild-rel-');
  writeNoteRecipe(dir);
  const manifest = path.join(dir, 'env.yaml');
  fs.writeFileSync(manifest, yaml);
  return { dir, manifest, write: (text) => fs.writeFileSync(manifest, text) };
}

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

// ENVBUILD_TEST_CLI runs another build (e.g. a private copy, safe from concurrent rebuilds).
const BIN = process.env['ENVBUILD_TEST_CLI'] ?? CLI;

/** The per-user key that signs state lives in the project's (ignored) .cache here: tests never touch ~/.config. */
export function childEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ENVBUILD_CACHE_DIR: path.join(dir, '.cache'), ENVBUILD_CONFIG_DIR: path.join(dir, '.cache', 'config'), NO_COLOR: '1', CI: 'true', ...extra };
}

/** The state file of the scenario's manifest (one per manifest). */
export function stateFile(dir: string, manifest = 'env.yaml'): string {
  return path.join(dir, '.envbuild', `${manifest}.state.json`);
}

/** Environment ids are random by design: two projects converge when everything else is equal. */
const ID_LINE = /envbuild-id = [0-9a-f]{32}/g;

/** The real CLI in `dir`; `killAfter` makes it SIGKILL itself after that many disk changes. */
export function cli(dir: string, args: readonly string[], options: { killAfter?: number; env?: NodeJS.ProcessEnv } = {}): Run {
  const extra: NodeJS.ProcessEnv = { ...options.env };
  if (options.killAfter !== undefined) extra['ENVBUILD_FAULT_KILL_AFTER'] = String(options.killAfter);
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: childEnv(dir, extra), encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI started in the background, for signals and concurrency. */
export function cliAsync(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: childEnv(dir, env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  /** Resolves once stdout or stderr matches. */
  const waitFor = async (re: RegExp, timeoutMs = 20_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!re.test(stdout + stderr)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`never saw ${re}; got:\n${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, done, waitFor, output: () => stdout + stderr };
}

/** The fault points of a run, as traced with a kill point too high to be reached. */
export function faultPoints(stderr: string): string[] {
  return [...stderr.matchAll(/^envbuild-fault-point (\d+) (.*)$/gm)].map((m) => m[2]!);
}

const EXCLUDED = /^(\.cache(\/|$)|\.envbuild\/lock|\.envbuild\/[^/]*state\.json$|mutex-probe)/;

/**
 * Every path under the project with its kind, mode and content hash (link target), the
 * project's own path replaced by `<project>` in contents and targets: two projects in
 * different directories converged when these are equal. Lock files, caches and the state
 * (compared by `normalisedState`) are left out.
 */
export function normalisedTree(dir: string): string[] {
  const norm = (s: string) => s.split(dir).join('<project>');
  return snapshotTree(dir, {
    skip: (rel) => EXCLUDED.test(rel),
    linkTarget: norm,
    content: (bytes) => createHash('sha256').update(norm(bytes.toString('latin1')).replace(ID_LINE, 'envbuild-id = <id>')).digest('hex').slice(0, 12),
  });
}

/**
 * The state with the project path normalised, keys sorted, and what is random by design left
 * out (the MAC, environment ids, the digest of the marker that holds them and file fingerprints); null when
 * there is none.
 */
export function normalisedState(dir: string): unknown {
  const file = stateFile(dir);
  if (!fs.existsSync(file)) return null;
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sort(x)]))
        : v;
  const data = JSON.parse(fs.readFileSync(file, 'utf8').split(dir).join('<project>')) as Record<string, unknown> & {
    environments: Record<string, Record<string, unknown> & { entries: Array<{ path: string; digest: Record<string, unknown> }> }>;
  };
  delete data['mac'];
  for (const env of Object.values(data.environments)) {
    if (typeof env['id'] === 'string') env['id'] = '<id>';
    for (const e of env.entries) {
      if (e.path === 'pyvenv.cfg' || e.path === 'envbuild.cfg') e.digest = { ...e.digest, sha256: '<marker>' };
      // Inode and times of the file on disk: they differ from run to run by nature.
      if ('stat' in e) (e as Record<string, unknown>)['stat'] = '<stat>';
    }
  }
  return sort(data);
}

/** Staging directories and temporaries anywhere under `dir`. */
export function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (/\.envbuild-staging$/.test(e.name) || /\.envbuild-[0-9a-f]+\.tmp$/.test(e.name)) found.push(path.relative(dir, p));
      if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
    }
  };
  walk(dir);
  return found;
}

/** Makes `dir` an exact copy of `snapshot` (links as written), at `dir`'s own path. */
export function resetTo(dir: string, snapshot: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(snapshot, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}

/**
 * `count` indices spread evenly over 1..total, always including the first and the last.
 * `ENVBUILD_TEST_ALL_KILL_POINTS=1` tries every point instead (minutes, not seconds).
 */
export function spread(total: number, count: number): number[] {
  if (total <= count || process.env['ENVBUILD_TEST_ALL_KILL_POINTS'] === '1') return Array.from({ length: total }, (_, i) => i + 1);
  const picks = new Set<number>();
  for (let i = 0; i < count; i++) picks.add(1 + Math.round((i * (total - 1)) / (count - 1)));
  return [...picks].sort((a, b) => a - b);
}

/**
 * The kill points to try: every step boundary that has bitten before (an environment moved
 * into place, a part applied or removed, a root or staging directory removed, a temporary
 * written in place — each with the point after it, typically the state write that records
 * it), then points spread evenly over the rest up to `count`.
 */
export function pickKillPoints(points: readonly string[], count: number): number[] {
  const picks = new Set<number>();
  points.forEach((label, i) => {
    // A temporary written in place (not in a staging directory) is what a kill leaves behind.
    if (/^(promote|applied part|removed part|rmdir \/|rm \/)/.test(label) || /^temporary (?!.*\.envbuild-staging\/)/.test(label)) {
      picks.add(i + 1);
      if (i + 2 <= points.length) picks.add(i + 2);
    }
  });
  const structural = picks.size;
  for (let extra = count - structural; picks.size < Math.min(count, points.length); extra++) {
    for (const n of spread(points.length, Math.max(2, extra))) picks.add(n);
  }
  return [...picks].sort((a, b) => a - b);
}

/** Where two normalised states differ, as `path: got ≠ want` lines (the first few), to make a failure readable. */
export function stateDiff(got: unknown, want: unknown, at = '', out: string[] = []): string {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObj(got) && isObj(want)) {
    for (const k of new Set([...Object.keys(got), ...Object.keys(want)])) stateDiff(got[k], want[k], at ? `${at}.${k}` : k, out);
  } else if (JSON.stringify(got) !== JSON.stringify(want)) {
    out.push(`${at}: ${JSON.stringify(got)?.slice(0, 200)} ≠ ${JSON.stringify(want)?.slice(0, 200)}`);
  }
  return out.slice(0, 5).join('; ');
}

/**
 * How a project recovered after an interruption differs from a clean run's (`want`): the tree,
 * the state record (field by field) and any staging or temporary left behind, each a line
 * starting with `at`. Empty when it converged.
 */
export function convergenceFailures(dir: string, want: { readonly tree: readonly string[]; readonly state: unknown }, at: string): string[] {
  const failures: string[] = [];
  const tree = normalisedTree(dir);
  if (JSON.stringify(tree) !== JSON.stringify(want.tree)) {
    const extra = tree.filter((l) => !want.tree.includes(l));
    const missing = want.tree.filter((l) => !tree.includes(l));
    failures.push(`${at}: tree differs: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`);
  }
  const state = normalisedState(dir);
  if (JSON.stringify(state) !== JSON.stringify(want.state)) failures.push(`${at}: state differs: ${stateDiff(state, want.state)}`);
  const left = leftovers(dir);
  if (left.length > 0) failures.push(`${at}: leftovers ${left.join(', ')}`);
  return failures;
}
