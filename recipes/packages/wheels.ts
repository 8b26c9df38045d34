/**
 * The locked wheels of a packages part, installed by envbuild's own installer (through the
 * shared cache, no pip run), and the uninstalling of distributions it installed. pip stays for
 * what only it can do: building sdists and local projects, and removing what it installed.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { installWheelsInto, type ApplyContext, type LockedPackage, type LockSource, type WheelRequest } from 'envbuild/recipe';
import { canonicalName } from './declared.js';

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

/** Installs every locked wheel in `todo` into the part's environment; the rest is left to pip. */
export async function installLockedWheels(ctx: Pick<ApplyContext<unknown>, 'env' | 'signal' | 'log'>, todo: readonly LockedPackage[]): Promise<number> {
  const wheels = todo.filter(isLockedWheel);
  if (wheels.length === 0) return 0;
  const { installed, replaced } = await installWheelsInto(ctx.env, wheels.map(requestOf), { signal: ctx.signal });
  for (const r of replaced) ctx.log(`replaced ${r.name} ${r.version}`);
  const modes = [...new Set(installed.map((d) => d.linkMode))].join(', ');
  ctx.log(`envbuild installed ${installed.map((d) => `${d.name}-${d.version}`).join(' ')} (${modes})`);
  return installed.length;
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
