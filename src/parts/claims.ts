import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import type { CreatedPath } from '../recipe-api/api.js';
import { isInside } from '../state/validate-state.js';
import { describeCreated } from './created-paths.js';

/**
 * A part owns only what it created. Recipes say what they created, and a recipe can be wrong
 * (or hostile): the runner checks every claim before anything is recorded. A claim is refused
 * outright when it names what no part can own (the manifest, envbuild's state directory, the
 * project or an environment root, another environment, what another part recorded); it is
 * dropped when the path already existed before the part ran (born before the part started,
 * by the filesystem's own clock), unless the part's previous record already owned it.
 * Directories the part made above what it created are added, so removal takes them too.
 */
export interface ClaimRules {
  readonly label: string;
  readonly envRoot: string;
  readonly project: string;
  readonly manifestFile: string;
  /** Other environments' roots (nothing at or under them) and other parts' recorded paths. */
  readonly otherRoots: readonly string[];
  readonly otherClaims: readonly string[];
  readonly previous: readonly CreatedPath[];
  /** Filesystem time (ms) at which the part started (its first, interrupted attempt included). */
  readonly since: number;
}

/** The filesystem's clock now: the birth time of a new file (coarser than, and behind, Date.now()). */
export async function filesystemNow(): Promise<number> {
  // Filesystem times move in coarse ticks (the kernel's, a few ms): what was made just before
  // may carry the very time of a first sample. Waiting for the clock to move past that sample
  // makes the start strictly later than everything made before it, so a directory the layout
  // made a moment before the part started is never taken for the part's own.
  const first = await probeTime();
  for (let tries = 0; tries < 200; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const now = await probeTime();
    if (now > first) return now;
  }
  return first;
}

async function probeTime(): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envbuild-clock-'));
  try {
    const st = await fs.stat(dir);
    return bornAt(st);
  } finally {
    await fs.rmdir(dir).catch(() => undefined);
  }
}

function bornAt(st: { birthtimeMs: number; ctimeMs: number }): number {
  // Without birth times (some filesystems), the change time: a pre-existing directory the part
  // wrote into then counts as created — its removal still needs it empty.
  return st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs;
}

export async function checkClaims(claims: readonly unknown[], rules: ClaimRules, log: (m: string) => void): Promise<CreatedPath[]> {
  const accepted = new Map<string, CreatedPath>();
  const previous = new Set(rules.previous.map((c) => c.path));
  for (const p of claims) {
    // path.normalize keeps a trailing slash; recorded, it would make the next run refuse the state.
    if (typeof p !== 'string' || !path.isAbsolute(p) || path.normalize(p) !== p || p.endsWith('/') || !(isInside(rules.envRoot, p) || isInside(rules.project, p))) {
      throw refuse(rules, String(p), 'is not a normalised absolute path inside the environment or the project');
    }
    const forbidden = forbiddenBecause(p, rules);
    if (forbidden) throw refuse(rules, p, forbidden);
    const st = await fs.lstat(p).catch(() => null);
    if (!st) continue;
    if (!previous.has(p) && bornAt(st) < rules.since) {
      log(`not recorded as created by ${rules.label}: ${p} existed before the part ran`);
      continue;
    }
    for (const dir of await madeParents(p, rules)) if (!accepted.has(dir)) accepted.set(dir, { path: dir, kind: 'dir' });
    const now = await describeCreated(p);
    if (now) accepted.set(p, now);
  }
  return [...accepted.values()];
}

function forbiddenBecause(p: string, rules: ClaimRules): string | null {
  const stateDir = path.join(rules.project, '.envbuild');
  if (p === rules.manifestFile) return 'is the manifest';
  if (p === stateDir || isInside(stateDir, p)) return "is inside envbuild's state directory";
  if (p === rules.envRoot) return 'is the environment itself';
  const root = rules.otherRoots.find((r) => p === r || isInside(r, p) || isInside(p, r));
  if (root !== undefined) return `is (or holds) another environment, ${root}`;
  if (rules.otherClaims.includes(p)) return 'is recorded as created by another part';
  if (path.dirname(p) === rules.project && /\.(ya?ml)$/.test(p)) return 'is a manifest file beside the manifest';
  return null;
}

/** Directories between the environment or project and `p` that the part made (born since it started). */
async function madeParents(p: string, rules: ClaimRules): Promise<string[]> {
  const anchor = isInside(rules.envRoot, p) ? rules.envRoot : rules.project;
  const out: string[] = [];
  for (let dir = path.dirname(p); dir !== anchor && isInside(anchor, dir); dir = path.dirname(dir)) {
    if (forbiddenBecause(dir, rules)) break;
    const st = await fs.lstat(dir).catch(() => null);
    if (!st?.isDirectory() || bornAt(st) < rules.since) break;
    out.unshift(dir);
  }
  return out;
}

function refuse(rules: ClaimRules, p: string, why: string): UserError {
  return new UserError('ERECIPE', `part ${rules.label}: created path ${p} ${why}; nothing was recorded for it`, {
    hint: `a part can own only what it created inside ${rules.envRoot} or ${rules.project}; report this to the recipe's author`,
  });
}
