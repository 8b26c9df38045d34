/**
 * `envbuild/recipe`: everything a recipe may use, and nothing else. Built-in recipes
 * (`recipes/<name>/`) and third-party recipes import only this module. It depends on nothing
 * above it — not the engine, not the runner, not the registry of built-ins — so a recipe can
 * never reach back into envbuild, and the engine can load recipes without an import cycle.
 */
import '../ambient-globals.js';

export * from './api.js';
export { readExisting, writeIfChanged, type OnDisk } from './write-if-changed.js';
export { UserError, isUserError } from '../errors/user-error.js';
export type { PythonInfo } from '../python/interpreter.js';
export type { IsolationMode } from '../manifest/types.js';
export { installTarget, installWheelsInto, uninstallFrom, type InstallOptions, type InstallResult, type InstalledDistribution, type LinkMode, type UninstallResult, type WheelRequest, type InstallProgress } from './install.js';
export type { LockSource } from '../lock/model.js';
