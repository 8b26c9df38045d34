/** The parts of a pip command line that come from a packages part's options, shared by install, resolve and install-from-lock. */
import path from 'node:path';
import { UserError, type RecipeEnvironment } from 'envbuild/recipe';
import type { PackagesOptions } from './declared.js';
import { bundledWheelDirs, existingDirs, findBundledWheel } from './pip.js';

export async function indexArgs(options: PackagesOptions, manifestDir: string, env: RecipeEnvironment): Promise<string[]> {
  const args: string[] = [];
  if (options['no-index']) args.push('--no-index');
  if (options['index-url'] !== undefined) args.push('--index-url', options['index-url']);
  for (const url of options['extra-index-url'] ?? []) args.push('--extra-index-url', url);
  for (const link of findLinks(options, manifestDir)) args.push('--find-links', link);
  if (options['bundled-wheels']) for (const dir of await existingDirs(bundledWheelDirs(env))) args.push('--find-links', dir);
  return args;
}

export function findLinks(options: PackagesOptions, manifestDir: string): string[] {
  return (options['find-links'] ?? []).map((l) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(l) ? l : path.resolve(manifestDir, l)));
}

export async function seedWheel(env: RecipeEnvironment): Promise<{ path: string; version: string }> {
  const wheel = await findBundledWheel(env, 'pip');
  if (wheel) return wheel;
  throw new UserError('EPACKAGES', `seed-pip: no pip wheel comes with Python ${env.base.version} (${env.base.executable})`, {
    hint: `looked in ${bundledWheelDirs(env).join(', ')}; on Debian install python3-pip-whl, or list "pip" in requirements with a find-links that has it`,
  });
}

export function failureHint(options: PackagesOptions, manifestDir: string): string {
  const links = findLinks(options, manifestDir);
  if (options['no-index']) {
    return links.length > 0
      ? `no-index is set, so pip looked only in ${links.join(', ')}${options['bundled-wheels'] ? ' and the bundled wheels' : ''}: check the names and versions, and that those directories hold them`
      : 'no-index is set and no find-links are given, so pip can only install local paths';
  }
  return 'check the names and versions of the requirements, and that the index can be reached';
}
