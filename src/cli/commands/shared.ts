import type { CommandInput } from '../command-spec.js';
import { findManifest } from '../find-manifest.js';

/** The manifest from the MANIFEST positional (or `--file`), else found up the directory tree. */
export function manifestOf(input: CommandInput, positional: number | null = 0): string {
  const named = (positional === null ? undefined : input.positionals[positional]) ?? (input.values['file'] as string | undefined);
  return findManifest(named, input.cwd);
}

/** `--env` values as the engine takes them. */
export function only(input: CommandInput): { only?: string[] } {
  const env = (input.values['env'] as string[] | undefined) ?? [];
  return env.length > 0 ? { only: env } : {};
}

export const flag = (input: CommandInput, name: string): boolean => input.values[name] === true;
