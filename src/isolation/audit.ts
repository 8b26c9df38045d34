import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { IsolationMode } from '../manifest/types.js';
import type { PythonInfo } from '../python/interpreter.js';
import { overlayLinks, type ResolvedAllowlist } from './allowlist.js';
import { AUDIT_SCRIPT, type AuditScriptOutput } from './audit-script.js';
import { GlobalPackages } from './discover-globals.js';
import { OVERLAY_DIR } from './overlay.js';
import { joinInside, relativeEntryPath } from '../layout/safe-path.js';

export interface AuditOptions {
  /** The environment's interpreter (`<env>/bin/python`), not the base. */
  readonly envPython: string;
  readonly envRoot: string;
  /** The base interpreter's probe: what its standard library and global directories are. */
  readonly python: PythonInfo;
  /** The recorded allowlist of a cherry-pick environment; null for other modes. */
  readonly allowlist: ResolvedAllowlist | null;
  readonly mode: IsolationMode;
  /** Overrides `OVERLAY_DIR`. */
  readonly overlayDir?: string;
  readonly timeoutMs?: number;
}

/** Where a sys.path entry points. */
export type PathClass = 'stdlib' | 'env' | 'overlay' | 'allowed-path' | 'global-site' | 'other';

/** What an importable name is, from the environment's point of view. */
export type NameClass = 'stdlib' | 'env' | 'allowed' | 'global' | 'leak';

export interface PathEntryReport {
  readonly path: string;
  readonly class: PathClass;
  readonly kind: 'dir' | 'zip' | 'missing' | 'other';
}

export interface ModuleReport {
  readonly name: string;
  readonly class: NameClass;
  /** The path entries it is imported from (several for a namespace package), empty for builtins. */
  readonly from: readonly string[];
  readonly kind: 'builtin' | 'module' | 'package' | 'namespace';
}

export interface DistributionReport {
  readonly name: string | null;
  readonly version: string | null;
  readonly entry: string;
  readonly metadata: string;
  /** A link to metadata that is gone: importlib.metadata lists it with no version, pip reinstalls it. */
  readonly dangling: boolean;
  readonly class: NameClass;
}

export type AuditFinding =
  | { readonly kind: 'leak'; readonly what: 'module' | 'distribution'; readonly name: string; readonly path: string; readonly message: string }
  | { readonly kind: 'foreign-path'; readonly path: string; readonly message: string }
  | { readonly kind: 'overlay-not-on-path'; readonly path: string; readonly message: string }
  | { readonly kind: 'dangling-link'; readonly path: string; readonly target: string; readonly message: string }
  | { readonly kind: 'link-missing'; readonly path: string; readonly target: string; readonly message: string }
  | { readonly kind: 'unexpected-link'; readonly path: string; readonly target: string; readonly message: string }
  | {
      readonly kind: 'version-changed';
      readonly name: string;
      readonly recorded: string;
      readonly found: string;
      readonly location: string;
      readonly message: string;
    }
  | { readonly kind: 'distribution-missing'; readonly name: string; readonly recorded: string; readonly location: string; readonly message: string };

export interface AuditReport {
  readonly mode: IsolationMode;
  /** The environment's interpreter as it reported itself. */
  readonly interpreter: { readonly executable: string; readonly version: string };
  readonly sysPath: readonly PathEntryReport[];
  /** Every top-level importable name, sorted. */
  readonly modules: readonly ModuleReport[];
  readonly distributions: readonly DistributionReport[];
  /** Sorted by kind, then path/name. Any finding makes the environment unclean. */
  readonly findings: readonly AuditFinding[];
  readonly clean: boolean;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}

export function runAuditScript(envPython: string, cwd: string, timeoutMs = 60_000): Promise<AuditScriptOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      envPython,
      ['-E', '-c', AUDIT_SCRIPT],
      { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`the audit script failed in ${envPython}: ${err.message}${stderr ? `\n${stderr}` : ''}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as AuditScriptOutput);
        } catch (e) {
          reject(new Error(`the audit script printed no JSON in ${envPython}: ${String(e)}\n${stdout.slice(0, 500)}`));
        }
      },
    );
  });
}

/** Symlinks under a directory, relative to it (not following linked directories). */
function listLinks(dir: string, rel = ''): Array<{ path: string; target: string; resolves: boolean }> {
  const out: Array<{ path: string; target: string; resolves: boolean }> = [];
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of names.sort((a, b) => cmp(a.name, b.name))) {
    const r = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isSymbolicLink()) {
      const abs = path.join(dir, r);
      out.push({ path: r, target: fs.readlinkSync(abs), resolves: fs.existsSync(abs) });
    } else if (d.isDirectory()) out.push(...listLinks(dir, r));
  }
  return out;
}

/**
 * Audits an environment's isolation by asking its own interpreter what it can import, then
 * classifies every top-level name: standard library, the environment's own, allowed (through the
 * overlay or an allowed directory), global (system mode) or LEAK (global, not allowed). For
 * cherry-pick it also checks the overlay against the recorded allowlist: dangling, missing and
 * unexpected links, and allowed distributions whose version changed on disk since.
 */
export async function auditEnvironment(opts: AuditOptions): Promise<AuditReport> {
  const envRoot = real(opts.envRoot);
  const overlayDir = opts.overlayDir ?? OVERLAY_DIR;
  // Findings name the overlay relative to the environment (`../.app.envbuild-overlay`).
  const overlayRel = relativeEntryPath(path.basename(opts.envRoot), '', overlayDir);
  const overlayAbs = joinInside(opts.envRoot, overlayDir);
  const overlayReal = real(overlayAbs);
  const out = await runAuditScript(opts.envPython, envRoot, opts.timeoutMs);
  const findings: AuditFinding[] = [];
  const allowlist = opts.mode === 'cherry-pick' ? opts.allowlist : null;

  const stdlibDirs = [...new Set([opts.python.stdlib, opts.python.platstdlib, ...opts.python.sysPath].map(real))];
  const globalSites = new Set([...opts.python.globalSitePackages, ...(allowlist?.sites ?? [])].map(real));
  const allowedPaths = new Set((allowlist?.paths ?? []).map((p) => real(p.path)));

  const classifyPath = (p: string): PathClass => {
    const r = real(p);
    if (r === overlayReal) return 'overlay';
    if (allowedPaths.has(r)) return 'allowed-path';
    if (within(r, envRoot)) return 'env';
    if (stdlibDirs.some((d) => r === d)) return 'stdlib';
    if (globalSites.has(r)) return 'global-site';
    if (stdlibDirs.some((d) => within(r, d))) return 'stdlib';
    return 'other';
  };

  const sysPath: PathEntryReport[] = out.entries.map((e) => ({ path: e.path, class: classifyPath(e.path), kind: e.kind }));
  const classOf = new Map(sysPath.map((e) => [e.path, e.class]));

  // Names an allowed item provides from its own location: reachable legitimately even when found there.
  const allowedAt = new Map<string, Set<string>>();
  const provided: Array<{ location: string; names: readonly string[] }> = [
    ...(allowlist?.distributions ?? []).map((d) => ({ location: d.location, names: d.topLevel })),
    ...(allowlist?.modules ?? []).map((m) => ({ location: m.location, names: [m.name] })),
  ];
  for (const item of provided) {
    const loc = real(item.location);
    const names = allowedAt.get(loc) ?? new Set<string>();
    for (const n of item.names) names.add(n);
    allowedAt.set(loc, names);
  }
  const allowedNames = new Set([...allowedAt.values()].flatMap((s) => [...s]));

  const classifyName = (name: string, entry: string): NameClass => {
    const c = classOf.get(entry) ?? 'other';
    switch (c) {
      case 'stdlib':
        return 'stdlib';
      case 'env':
        return 'env';
      case 'allowed-path':
        return 'allowed';
      case 'overlay':
        return allowlist === null || allowedNames.has(name) ? 'allowed' : 'leak';
      case 'global-site':
      case 'other':
        if (opts.mode === 'system') return 'global';
        return allowedAt.get(real(entry))?.has(name) ? 'allowed' : 'leak';
    }
  };

  const modules = moduleReports(out, classifyName);

  for (const m of modules) {
    if (m.class !== 'leak') continue;
    findings.push({
      kind: 'leak',
      what: 'module',
      name: m.name,
      path: m.from.join(', '),
      message: `"import ${m.name}" finds ${m.from.join(', ')}, which ${opts.mode === 'cherry-pick' ? 'the allowlist does not allow' : `${opts.mode} isolation excludes`}`,
    });
  }

  const distributions = distributionReports(out, classOf, opts.mode, allowlist);
  for (const d of distributions) {
    if (d.class !== 'leak') continue;
    findings.push({
      kind: 'leak',
      what: 'distribution',
      name: d.name ?? d.metadata,
      path: d.entry,
      message: `distribution ${d.name ?? d.metadata}${d.version ? ` ${d.version}` : ''} is visible from ${d.entry} (pip and importlib.metadata see it) but not allowed`,
    });
  }

  // Directories that have no business on the path, whether or not they add a name yet.
  if (opts.mode !== 'system') {
    for (const e of sysPath) {
      if (e.class !== 'global-site' && e.class !== 'other') continue;
      if (e.kind === 'missing') continue;
      findings.push({
        kind: 'foreign-path',
        path: e.path,
        message: `sys.path contains ${e.path}, which is neither the standard library, the environment nor allowed`,
      });
    }
  }

  if (opts.mode === 'cherry-pick') {
    findings.push(...overlayFindings(sysPath, overlayRel, overlayAbs, allowlist));
    if (allowlist) findings.push(...versionFindings(allowlist));
  }

  const findingKey = (f: AuditFinding): string =>
    `${f.kind}\0${'name' in f ? f.name : ''}\0${'path' in f ? f.path : f.location}`;
  findings.sort((a, b) => cmp(findingKey(a), findingKey(b)));
  return {
    mode: opts.mode,
    interpreter: { executable: out.executable, version: out.version },
    sysPath,
    modules,
    distributions,
    findings,
    clean: findings.length === 0,
  };
}

/** The overlay on sys.path, its links resolving, and (with the recorded allowlist) exactly the links it should have. */
function overlayFindings(
  sysPath: readonly PathEntryReport[],
  overlayRel: string,
  overlayAbs: string,
  allowlist: ResolvedAllowlist | null,
): AuditFinding[] {
  const findings: AuditFinding[] = [];
  if (!sysPath.some((e) => e.class === 'overlay')) {
    findings.push({
      kind: 'overlay-not-on-path',
      path: overlayRel,
      message: `the overlay ${overlayRel} is not on sys.path: allowed packages cannot be imported`,
    });
  }
  const links = listLinks(overlayAbs);
  for (const l of links) {
    if (l.resolves) continue;
    findings.push({
      kind: 'dangling-link',
      path: `${overlayRel}/${l.path}`,
      target: l.target,
      message: `${overlayRel}/${l.path} points to ${l.target}, which no longer exists (upgraded or removed globally?)`,
    });
  }
  if (allowlist) {
    const expected = overlayLinks(allowlist);
    const actual = new Map(links.map((l) => [l.path, l.target]));
    const wanted = new Set(expected.map((e) => e.path));
    for (const e of expected) {
      const got = actual.get(e.path);
      if (got === e.target) continue;
      findings.push({
        kind: 'link-missing',
        path: `${overlayRel}/${e.path}`,
        target: e.target,
        message: `${overlayRel}/${e.path} should link to ${e.target}${got === undefined ? ', but is missing' : `, but links to ${got}`}`,
      });
    }
    for (const l of links) {
      if (wanted.has(l.path)) continue;
      findings.push({
        kind: 'unexpected-link',
        path: `${overlayRel}/${l.path}`,
        target: l.target,
        message: `${overlayRel}/${l.path} (→ ${l.target}) is not in the recorded allowlist`,
      });
    }
  }
  return findings;
}

/** Allowed distributions whose version on disk is not the recorded one, or that are gone. */
function versionFindings(allowlist: ResolvedAllowlist): AuditFinding[] {
  const findings: AuditFinding[] = [];
  // Versions on disk now, against what was recorded.
  const byLocation = new Map<string, GlobalPackages>();
  for (const d of allowlist.distributions) {
    let globals = byLocation.get(d.location);
    if (!globals) {
      globals = new GlobalPackages({ globalSitePackages: [d.location] }, { dpkg: null });
      byLocation.set(d.location, globals);
    }
    const now = globals.findDistribution(d.normalizedName);
    if (!now) {
      findings.push({
        kind: 'distribution-missing',
        name: d.name,
        recorded: d.version,
        location: d.location,
        message: `${d.name} ${d.version} was allowed from ${d.location}, which no longer has it`,
      });
    } else if (now.version !== d.version) {
      findings.push({
        kind: 'version-changed',
        name: d.name,
        recorded: d.version,
        found: now.version,
        location: d.location,
        message: `${d.name} is ${now.version} in ${d.location}, but ${d.version} was recorded: run "envbuild apply" to re-link`,
      });
    }
  }
  return findings;
}

/**
 * Every importable top-level name, classified. Python's path finder: the first regular module
 * or package wins; namespace portions count only when no entry has a regular one, and then all
 * of them make the package (classified by the worst of them).
 */
function moduleReports(out: AuditScriptOutput, classifyName: (name: string, entry: string) => NameClass): ModuleReport[] {
const rank: Record<NameClass, number> = { stdlib: 0, env: 1, allowed: 2, global: 3, leak: 4 };
const modules: ModuleReport[] = [];
const seen = new Set<string>();
for (const b of out.builtins) {
  seen.add(b);
  modules.push({ name: b, class: 'stdlib', from: [], kind: 'builtin' });
}
// Python's path finder: the first regular module or package wins; namespace portions count
// only when no entry has a regular one, and then all of them make the package.
const portions = new Map<string, string[]>();
const regular = new Map<string, { entry: string; kind: 'module' | 'package' }>();
for (const e of out.entries) {
  for (const m of e.modules) {
    if (seen.has(m.name) || regular.has(m.name)) continue;
    if (m.kind === 'namespace') portions.set(m.name, [...(portions.get(m.name) ?? []), e.path]);
    else regular.set(m.name, { entry: e.path, kind: m.kind });
  }
}
for (const [name, r] of regular) modules.push({ name, class: classifyName(name, r.entry), from: [r.entry], kind: r.kind });
for (const [name, from] of portions) {
  if (regular.has(name)) continue;
  const worst = from.map((f) => classifyName(name, f)).sort((a, b) => rank[b] - rank[a])[0] ?? 'leak';
  modules.push({ name, class: worst, from, kind: 'namespace' });
}
modules.sort((a, b) => cmp(a.name, b.name));
  return modules;
}

/** Every distribution importlib.metadata sees, classified by where its metadata is found. */
function distributionReports(
  out: AuditScriptOutput,
  classOf: ReadonlyMap<string, PathClass>,
  mode: IsolationMode,
  allowlist: ResolvedAllowlist | null,
): DistributionReport[] {
  return out.distributions.map((d) => {
    const c = classOf.get(d.entry) ?? 'other';
    let cls: NameClass;
    if (c === 'overlay' || c === 'allowed-path') cls = 'allowed';
    else if (c === 'stdlib' || c === 'env') cls = c;
    else if (mode === 'system') cls = 'global';
    else {
      const metadata = real(path.join(d.entry, d.metadata));
      cls = allowlist?.distributions.some((a) => real(a.metadataDir) === metadata) ? 'allowed' : 'leak';
    }
    return { name: d.name, version: d.version, entry: d.entry, metadata: d.metadata, dangling: d.dangling, class: cls };
  });
}
