/**
 * What is installed in an environment: a cheap look at site-packages from Node (for the plan,
 * which must spawn nothing), and a full inspection by the environment's interpreter (for apply:
 * metadata, markers, the dependency closure of the declared requirements).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApplyContext } from 'envbuild/recipe';
import { canonicalName } from './declared.js';
import { INSPECT_SCRIPT } from './inspect-script.js';
import type { LocalPath } from './declared.js';
import type { PipSession } from './pip.js';

/**
 * Distributions physically in `sitePackages`, by canonical name → version, from the names of
 * their metadata directories (`attrs-23.2.0.dist-info`) and legacy editable links
 * (`proj.egg-link`, version unknown: ''). Reads one directory listing.
 */
export async function listSitePackages(sitePackages: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(sitePackages);
  } catch {
    return found;
  }
  for (const n of names) {
    const meta = /^(.+?)-([^-]+?)\.(dist-info|egg-info)$/.exec(n);
    if (meta) found.set(canonicalName(meta[1] as string), (meta[2] as string).replace(/_/g, '-'));
    const link = /^(.+)\.egg-link$/.exec(n);
    if (link && !found.has(canonicalName(link[1] as string))) found.set(canonicalName(link[1] as string), '');
  }
  return found;
}

/** True when two version strings name the same version as far as a directory name can tell. */
export function sameVersion(a: string, b: string): boolean {
  const norm = (v: string) => v.toLowerCase().replace(/_/g, '-');
  return a === '' || b === '' || norm(a) === norm(b);
}

export interface InspectedDist {
  /** Canonical name. */
  readonly name: string;
  /** The name as its metadata spells it. */
  readonly display: string;
  readonly version: string;
  readonly location: string;
  /** Physically inside the environment's site-packages (or linked from there, for legacy editables). */
  readonly inEnv: boolean;
  readonly editable: boolean;
  /** Names it requires (markers of the environment's interpreter applied; a requirement behind an extra is not counted). */
  readonly needs: readonly string[];
}

export interface Inspection {
  readonly dists: readonly InspectedDist[];
  /** Canonical names of the declared roots that were found. */
  readonly roots: readonly string[];
  /** The declared roots and everything they require, visible anywhere on the environment's path. */
  readonly closure: readonly string[];
  /** Required but installed nowhere the environment can see. */
  readonly missing: readonly string[];
  /** Declared requirements whose distribution could not be identified. */
  readonly unresolved: readonly string[];
  readonly problems: readonly string[];
}

/** Runs the inspection program with the environment's interpreter (one short process). */
export async function inspect(
  ctx: Pick<ApplyContext<unknown>, 'exec'>,
  session: PipSession,
  sitePackages: string,
  roots: readonly string[],
  paths: readonly LocalPath[],
): Promise<Inspection> {
  const out = path.join(session.scratch, 'inspection.json');
  const input = JSON.stringify({
    out,
    site: sitePackages,
    requirements: roots,
    paths: paths.map((p) => ({ path: p.path, extras: p.extras, name: p.name ?? null })),
  });
  await ctx.exec(session.python, ['-c', INSPECT_SCRIPT, input], { cwd: session.scratch, env: session.environment() });
  const text = await readFile(out, 'utf8');
  await rm(out, { force: true });
  return JSON.parse(text) as Inspection;
}

/**
 * Which of `candidates` can go: those no remaining distribution in the environment needs (other
 * parts' packages included). Returns what to remove, and what is kept with the reason.
 */
export function removable(candidates: Iterable<string>, dists: readonly InspectedDist[]): { remove: string[]; kept: Map<string, string> } {
  const remove = new Set(candidates);
  const kept = new Map<string, string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const d of dists) {
      if (!d.inEnv || remove.has(d.name)) continue;
      for (const n of d.needs) {
        if (remove.delete(n)) {
          kept.set(n, d.display);
          changed = true;
        }
      }
    }
  }
  return { remove: [...remove].sort(), kept };
}


/**
 * The distributions in `sitePackages` with what they require, read from their METADATA by Node
 * (no interpreter: a removed part's may be gone). Markers cannot be evaluated without the
 * interpreter, so a requirement counts unless it is behind an extra: the check errs towards
 * keeping a distribution another one might need.
 */
export async function readMetadata(sitePackages: string): Promise<InspectedDist[]> {
  let names: string[];
  try {
    names = await readdir(sitePackages);
  } catch {
    return [];
  }
  const out: InspectedDist[] = [];
  for (const n of names.filter((x) => x.endsWith('.dist-info'))) {
    const text = await readFile(path.join(sitePackages, n, 'METADATA'), 'utf8').catch(() => '');
    const header = text.split(/\r?\n\r?\n/)[0] ?? '';
    const field = (key: string) => header.split(/\r?\n/).filter((l) => l.toLowerCase().startsWith(`${key}:`)).map((l) => l.slice(key.length + 1).trim());
    const display = field('name')[0] ?? n.slice(0, -'.dist-info'.length).split('-')[0] ?? n;
    const needs = field('requires-dist')
      .filter((r) => !/\bextra\s*==/.test(r.split(';')[1] ?? ''))
      .map((r) => canonicalName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(r)?.[1] ?? ''))
      .filter((x) => x !== '');
    out.push({ name: canonicalName(display), display, version: field('version')[0] ?? '', location: sitePackages, inEnv: true, editable: false, needs });
  }
  return out;
}
