/** The CLI's vocabulary, shared by the argument parser (main.ts) and the commands it runs. */
export const COMMANDS = ['apply', 'plan', 'validate', 'destroy', 'check', 'pythons'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Flags {
  readonly env: string[];
  readonly json: boolean;
  readonly detailedExitcode: boolean;
  /** plan: show what `destroy` would remove instead of what `apply` would do. */
  readonly destroy: boolean;
  readonly wait: boolean;
  readonly debug: boolean;
  /** apply/destroy: environments at once (`--jobs N`); undefined: one per core. */
  readonly jobs?: number;
}

/** Output sinks, injectable so tests and embedders can capture what a person would see. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}
