/**
 * The wheel installer as recipes see it: wheels into a part's environment through the shared
 * cache (see src/install/). Recipes import it from `envbuild/recipe`.
 */
import { installWheels, targetFor, uninstallDistribution } from '../install/index.js';
import type { InstallOptions, InstallResult, InstallTarget, UninstallResult, WheelRequest } from '../install/types.js';
import path from 'node:path';
import type { RecipeEnvironment, RemovalEnvironment } from './api.js';

export type { InstallOptions, InstallResult, InstalledDistribution, LinkMode, UninstallResult, WheelRequest, InstallProgress } from '../install/types.js';

/** Where wheels go in `env`: its scheme directories, its interpreter in script shebangs. */
export function installTarget(env: Pick<RecipeEnvironment, 'path' | 'python' | 'base' | 'bin'>): InstallTarget {
  return { ...targetFor(env.path, env.base), python: env.python, scripts: env.bin };
}

/** Installs wheels into the environment (no pip run); see `installWheels` in src/install. */
export function installWheelsInto(env: RecipeEnvironment, wheels: readonly WheelRequest[], options?: InstallOptions): Promise<InstallResult> {
  return installWheels(installTarget(env), wheels, options);
}

/**
 * Uninstalls every installed version of `name` by its RECORD. Works for a removed part's
 * environment too (no base interpreter): its scheme directories come from the recorded paths.
 */
export function uninstallFrom(env: RemovalEnvironment | RecipeEnvironment, name: string): Promise<UninstallResult[]> {
  if ('base' in env) return uninstallDistribution(installTarget(env), name);
  const lib = env.sitePackages;
  // <prefix>/lib/pythonX.Y/site-packages: pip's venv scheme puts headers in include/site/pythonX.Y.
  const headers = path.join(env.path, 'include', 'site', path.basename(path.dirname(lib)));
  return uninstallDistribution({ prefix: env.path, purelib: lib, platlib: lib, scripts: env.bin, headers, data: env.path }, name);
}
