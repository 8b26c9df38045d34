import fs from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../fault-injection.js';
import { UserError } from '../errors/user-error.js';
import { CLASSIC_MARKER, readEnvironmentId, VENV_MARKER } from '../layout/identity.js';

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

/**
 * Removes a staging directory left by a killed run, if any — only when it is envbuild's: empty,
 * or carrying an environment marker (written first into every staging directory). Anything
 * else under that name is somebody's, and is reported, not deleted.
 */
export async function clearStaging(root: string): Promise<void> {
  const staging = stagingPathFor(root);
  const st = await fs.lstat(staging).catch(() => null);
  if (!st) return;
  const mine = st.isDirectory() && ((await onlyMarkerTemporaries(staging)) || (await readEnvironmentId(staging)) !== null);
  if (!mine) {
    throw new UserError('EPATH', `refusing to remove ${staging}: it is named like envbuild's staging directory but is not one (it carries no envbuild marker)`, {
      hint: 'envbuild reserves .<name>.envbuild-staging beside each environment; move it away and run again',
    });
  }
  // The marker goes last: a run killed part-way (by anything: with --jobs, another
  // environment's step may stop the process in the middle of this) leaves a directory that
  // still carries it, or an empty one — both cleared by the next run, never refused.
  const markers = new Set([VENV_MARKER, CLASSIC_MARKER]);
  for (const name of await fs.readdir(staging)) {
    if (markers.has(name)) continue;
    await fs.rm(path.join(staging, name), { recursive: true, force: true });
    faultPoint(`clear ${path.join(staging, name)}`);
  }
  for (const name of markers) await fs.rm(path.join(staging, name), { force: true });
  await fs.rmdir(staging);
  faultPoint(`rm ${staging}`);
}

/** The temporary a marker is written to before its rename (layout/materialize.ts writeEntry). */
const MARKER_TEMPORARY = /^(pyvenv|envbuild)\.cfg\.envbuild-[0-9a-f]{8}\.tmp$/;

/**
 * Empty, or holding nothing but a marker's temporary file: a run killed while writing the marker
 * (with --jobs, another environment's step may be what stops the process at that moment).
 */
async function onlyMarkerTemporaries(staging: string): Promise<boolean> {
  for (const name of await fs.readdir(staging)) {
    if (!MARKER_TEMPORARY.test(name)) return false;
    const st = await fs.lstat(path.join(staging, name));
    if (!st.isFile()) return false;
  }
  return true;
}

/** rename(2) replaces an empty directory atomically; a non-empty one makes it fail (never merged). */
export async function promoteStaging(staging: string, root: string): Promise<void> {
  await fs.rename(staging, root);
  faultPoint(`promote ${root}`);
}
