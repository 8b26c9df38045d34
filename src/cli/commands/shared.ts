import type { CommandInput, OptionSpec } from '../command-spec.js';
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

/** apply/destroy: how many environments are worked on at once. */
export const JOBS_OPTION: OptionSpec = {
  type: 'string',
  value: 'N',
  help: 'environments worked on at once, at most the number of cores (default: as many as are independent, up to the cores; 1 goes one by one, in order)',
};

/** `--jobs N` as the engine takes it: a whole number of at least 1, else a usage error. */
export function jobsOf(input: CommandInput): { jobs?: number } {
  const raw = input.values['jobs'];
  if (raw === undefined) return {};
  const jobs = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new UsageError(`--jobs takes a whole number of at least 1, not "${String(raw)}"`);
  return { jobs };
}

/** `--locked` / `--frozen` as the engine takes them; the two exclude each other. */
export function lockMode(input: CommandInput): { lockMode?: 'locked' | 'frozen' } {
  if (input.values['locked'] === true && input.values['frozen'] === true) throw new UsageError('--locked and --frozen exclude each other');
  if (input.values['locked'] === true) return { lockMode: 'locked' };
  if (input.values['frozen'] === true) return { lockMode: 'frozen' };
  return {};
}
