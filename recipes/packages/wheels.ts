/**
 * The locked wheels of a packages part, installed by envbuild's own installer (through the
 * shared cache, no pip run), and the uninstalling of distributions it installed. pip stays for
 * what only it can do: building sdists and local projects, and removing what it installed.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { installWheelsInto, uninstallFrom, type ApplyContext, type InstallOptions, type LockedPackage, type LockSource, type WheelRequest } from 'envbuild/recipe';
import { canonicalName } from './declared.js';
import { listSitePackages, sameVersion } from './installed.js';
import { keepSitePackages } from './owned.js';
import { pipFailure, type PipSession } from './pip.js';

type WheelSource = Extract<LockSource, { kind: 'wheel' }>;

/** A locked package installed from a wheel file (local path, `file://` or `http(s)` URL with its sha256). */
export function isLockedWheel(p: LockedPackage): p is LockedPackage & { source: WheelSource } {
  return p.source.kind === 'wheel';
}

/**
 * The request for one locked wheel. No `direct_url.json`: pip, given the same lock, found these
 * files through --find-links or an index and wrote none either.
 */
function requestOf(p: LockedPackage & { source: WheelSource }): WheelRequest {
  const s = p.source;
  const where = s.path !== undefined ? { path: s.path } : s.url !== undefined ? { url: s.url } : {};
  return { ...where, sha256: s.sha256, requested: p.requested };
}

export interface WheelsInstalled {
  /** Every file written, for compile-bytecode. */
  readonly files: readonly string[];
  /** Canonical name → version as the wheel's metadata spells it. */
  readonly versions: ReadonlyMap<string, string>;
}

/** Installs every locked wheel in `todo` into the part's environment; the rest is left to pip. */
export async function installLockedWheels(ctx: Pick<ApplyContext<unknown>, 'env' | 'signal' | 'log'>, todo: readonly LockedPackage[], options: InstallOptions = {}): Promise<WheelsInstalled> {
  const wheels = todo.filter(isLockedWheel);
  if (wheels.length === 0) return { files: [], versions: new Map() };
  const { installed, replaced } = await installWheelsInto(ctx.env, wheels.map(requestOf), { ...options, signal: ctx.signal });
  for (const r of replaced) ctx.log(`replaced ${r.name} ${r.version}`);
  const modes = [...new Set(installed.map((d) => d.linkMode))].join(', ');
  ctx.log(`envbuild installed ${installed.map((d) => `${d.name}-${d.version}`).join(' ')} (${modes})`);
  return { files: installed.flatMap((d) => d.files), versions: new Map(installed.map((d) => [canonicalName(d.name), d.version])) };
}

/**
 * Whether `name`'s metadata in site-packages says envbuild installed it (`INSTALLER` is
 * `envbuild`); such a distribution is uninstalled by envbuild, by its RECORD, without pip.
 */
export async function installedByEnvbuild(sitePackages: string, name: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(sitePackages);
  } catch {
    return false;
  }
  const wanted = canonicalName(name);
  const infos = names.filter((n) => n.endsWith('.dist-info') && canonicalName(n.slice(0, -'.dist-info'.length).split('-')[0] ?? '') === wanted);
  if (infos.length === 0) return false;
  for (const info of infos) {
    const installer = await readFile(path.join(sitePackages, info, 'INSTALLER'), 'utf8').catch(() => '');
    if (installer.trim() !== 'envbuild') return false;
  }
  return true;
}

/**
 * Uninstalls `names` (as their metadata spells them): what envbuild installed by its RECORD,
 * the rest with one pip run, which only then starts.
 */
export async function uninstallDropped(ctx: Pick<ApplyContext<unknown>, 'env' | 'exec'>, session: PipSession, names: readonly string[], hint: string): Promise<void> {
  const { env } = ctx;
  const byPip: string[] = [];
  for (const name of names) {
    if (await installedByEnvbuild(env.sitePackages, name)) await uninstallFrom(env, name);
    else byPip.push(name);
  }
  if (byPip.length === 0) return;
  const result = await session.run(ctx, 'uninstall', byPip, session.scratch);
  await keepSitePackages(env.sitePackages);
  if (result.code !== 0) throw pipFailure(`uninstall ${byPip.join(', ')}`, result, hint);
}

/**
 * seed-pip: links pip from its bundled wheel into the environment with envbuild's installer
 * (no ensurepip, no pip run), unless that version is already there. Returns `pip-<version>`
 * when it installed it.
 */
export async function seedPip(ctx: Pick<ApplyContext<unknown>, 'env' | 'signal' | 'log'>, wheel: { path: string; version: string }, options: InstallOptions = {}): Promise<string | undefined> {
  const present = (await listSitePackages(ctx.env.sitePackages)).get('pip');
  if (present !== undefined && present !== '' && sameVersion(present, wheel.version)) return undefined;
  const { installed } = await installWheelsInto(ctx.env, [{ path: wheel.path, requested: true }], { ...options, signal: ctx.signal });
  const pip = installed[0];
  ctx.log(`seeded pip ${pip?.version ?? wheel.version} from ${wheel.path} (${pip?.linkMode ?? 'linked'})`);
  return `pip-${pip?.version ?? wheel.version}`;
}
