import type { Io } from './types.js';

/** One option of a command, as `node:util` parseArgs takes it, plus what help shows. */
export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in help (`--env NAME`). */
  readonly value?: string;
  readonly help: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What a command's `run` receives once its arguments are parsed and checked. */
export interface CommandInput {
  readonly positionals: readonly string[];
  readonly values: OptionValues;
  /** Everything after `--`, untouched (the command `envbuild run` starts). */
  readonly rest: readonly string[];
  readonly io: Io;
  readonly cwd: string;
}

/**
 * A command of the CLI: its help text and options live beside what it does, so adding a
 * command is one new module plus one line in the table. `run` imports what it needs when it
 * runs, so showing help or parsing arguments loads no engine code.
 */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The synopsis after `envbuild`, e.g. `apply [MANIFEST] [options]`. */
  readonly usage: string;
  /** A paragraph or two for `envbuild help NAME`. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments accepted (before any `--`). */
  readonly positionals: { readonly min: number; readonly max: number };
  /** Whether `-- ARGS…` is accepted. */
  readonly acceptsRest?: boolean;
  readonly examples: readonly string[];
  run(input: CommandInput): Promise<number>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  debug: { type: 'boolean', help: 'print stack traces for every error' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const ENV_OPTION: OptionSpec = { type: 'string', multiple: true, value: 'NAME', help: 'limit to environment NAME (repeatable)' };
export const JSON_OPTION: OptionSpec = { type: 'boolean', help: 'machine-readable output on stdout' };
export const MANIFEST_OPTION: OptionSpec = {
  type: 'string',
  short: 'f',
  value: 'FILE',
  help: 'the manifest (default: env.yaml in this directory or the nearest parent that has one)',
};

/** How apply and plan use the lock files (`pylock.<env>.toml`). */
export const LOCK_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  locked: {
    type: 'boolean',
    help: 'install exactly what the locks pin; fail, changing nothing, if they are out of date or this machine differs',
  },
  frozen: { type: 'boolean', help: 'install from the locks as they are, without checking them against the manifest' },
};
