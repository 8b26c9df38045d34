import fs from 'node:fs/promises';
import path from 'node:path';

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
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  return staging;
}

/** rename(2) replaces an empty directory atomically; a non-empty one makes it fail (never merged). */
export async function promoteStaging(staging: string, root: string): Promise<void> {
  await fs.rename(staging, root);
}
