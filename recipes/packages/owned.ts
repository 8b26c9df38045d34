/** What a packages part owns, as its last apply recorded it (state is input like any other, so checked). */
import { mkdir } from 'node:fs/promises';
import type { PartRecord } from 'envbuild/recipe';

/** A recorded output that should be a mapping. */
export function recordOf(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The distributions a previous apply recorded as this part's: canonical name → version. */
export function ownedBy(previous: PartRecord | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, version] of Object.entries(recordOf(previous?.outputs['installed']))) {
    if (/^[a-z0-9][a-z0-9-]*$/.test(name) && typeof version === 'string') out.set(name, version);
  }
  return out;
}

/**
 * pip removes directories an uninstall leaves empty, site-packages itself included; it is part
 * of the environment's layout (recorded by the engine), so it is put back.
 */
export async function keepSitePackages(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
