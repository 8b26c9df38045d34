/**
 * The wheel installer as recipes see it: wheels into a part's environment through the shared
 * cache (see src/install/). Recipes import it from `envbuild/recipe`.
 */
import { installWheels, targetFor, uninstallDistribution } from '../install/index.js';
import type { InstallOptions, InstallResult, InstallTarget, UninstallResult, WheelRequest } from '../install/types.js';
import type { RecipeEnvironment } from './api.js';

export type { InstallOptions, InstallResult, InstalledDistribution, LinkMode, UninstallResult, WheelRequest, InstallProgress } from '../install/types.js';

/** Where wheels go in `env`: its scheme directories, its interpreter in script shebangs. */
export function installTarget(env: Pick<RecipeEnvironment, 'path' | 'python' | 'base' | 'bin'>): InstallTarget {
  return { ...targetFor(env.path, env.base), python: env.python, scripts: env.bin };
}

/** Installs wheels into the environment (no pip run); see `installWheels` in src/install. */
export function installWheelsInto(env: RecipeEnvironment, wheels: readonly WheelRequest[], options?: InstallOptions): Promise<InstallResult> {
  return installWheels(installTarget(env), wheels, options);
}

/** Uninstalls every installed version of `name` by its RECORD. */
export function uninstallFrom(env: RecipeEnvironment, name: string): Promise<UninstallResult[]> {
  return uninstallDistribution(installTarget(env), name);
}
