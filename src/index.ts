/**
 * envbuild's public API: what the CLI uses, for other build tools to drive envbuild directly.
 * Data flows one way: load → resolve → plan (pure) → apply → state.
 */
import './ambient-globals.js';

export { loadManifest as load } from './manifest/index.js';
export { prepare as plan, type EngineOptions, type Prepared } from './commands/prepare.js';
export { apply, destroy, type ApplyOptions, type ApplyResult, type ProgressMode } from './commands/run-apply.js';
export { check, type CheckResult, type EnvironmentCheck } from './commands/check.js';
export { resolveEnvironments } from './resolve/resolve-environments.js';
export { planEnvironments, type PlanOptions } from './plan/planner.js';
export type * from './plan/types.js';
export type * from './manifest/types.js';
export type * from './state/types.js';
export type * from './layout/tree.js';
export type { PythonInfo } from './python/interpreter.js';
export { listInterpreters, resolveInterpreter } from './python/index.js';
export * from './errors/index.js';
export { ENVBUILD_VERSION as version } from './version.js';
export type { EnvironmentOutcome } from './apply/execute-environment.js';

import { loadManifest } from './manifest/index.js';
import { resolveEnvironments } from './resolve/resolve-environments.js';

/**
 * Validates a manifest fully — schema, then interpreters — without touching the disk.
 * Resolves to nothing; throws ManifestError with every problem, located.
 */
export async function validate(manifestFile: string): Promise<void> {
  await resolveEnvironments(await loadManifest(manifestFile));
}
// The recipe API, re-exported so recipes written as `import … from 'envbuild'` keep working;
// new recipes import 'envbuild/recipe', which loads none of the engine.
export * from './recipe-api/api.js';
export { readExisting, writeIfChanged, type OnDisk } from './recipe-api/write-if-changed.js';

/** The wheel installer (src/install/): wheels into an environment through the shared cache. */
export { installWheels, uninstallDistribution, targetFor, supportedTags } from './install/index.js';
export type * from './install/types.js';
