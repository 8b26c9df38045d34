import fs from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../fault-injection.js';

/**
 * New environments are built beside their final place and renamed into it when complete, so
 * an interrupted run never leaves a half-built environment at the real path. The name is
 * reserved for envbuild: a leftover from a killed run is ours and is cleared before reuse.
 */
export function stagingPathFor(root: string): string {
  return path.join(path.dirname(root), `.${path.basename(root)}.envbuild-staging`);
}

export async function prepareStaging(root: string): Promise<string> {
  const staging = stagingPathFor(root);
  await clearStaging(root);
  await fs.mkdir(staging, { recursive: true });
  faultPoint(`mkdir ${staging}`);
  return staging;
}

/** Removes a staging directory left by a killed run, if any. */
export async function clearStaging(root: string): Promise<void> {
  const staging = stagingPathFor(root);
  const st = await fs.lstat(staging).catch(() => null);
  if (!st) return;
  await fs.rm(staging, { recursive: true, force: true });
  faultPoint(`rm ${staging}`);
}

/** rename(2) replaces an empty directory atomically; a non-empty one makes it fail (never merged). */
export async function promoteStaging(staging: string, root: string): Promise<void> {
  await fs.rename(staging, root);
  faultPoint(`promote ${root}`);
}
