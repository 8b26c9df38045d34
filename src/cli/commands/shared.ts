import type { CommandInput } from '../command-spec.js';
import { findManifest } from '../find-manifest.js';
import { UsageError } from '../parse-command-line.js';

/** The manifest from the MANIFEST positional (or `--file`), else found up the directory tree. */
export function manifestOf(input: CommandInput, positional: number | null = 0, options: { stateSuffices?: boolean } = {}): string {
  const named = (positional === null ? undefined : input.positionals[positional]) ?? (input.values['file'] as string | undefined);
  return findManifest(named, input.cwd, options);
}

/** `--env` values as the engine takes them. */
export function only(input: CommandInput): { only?: string[] } {
  const env = (input.values['env'] as string[] | undefined) ?? [];
  return env.length > 0 ? { only: env } : {};
}

export const flag = (input: CommandInput, name: string): boolean => input.values[name] === true;

/** `--locked` / `--frozen` as the engine takes them; the two exclude each other. */
export function lockMode(input: CommandInput): { lockMode?: 'locked' | 'frozen' } {
  if (input.values['locked'] === true && input.values['frozen'] === true) throw new UsageError('--locked and --frozen exclude each other');
  if (input.values['locked'] === true) return { lockMode: 'locked' };
  if (input.values['frozen'] === true) return { lockMode: 'frozen' };
  return {};
}
