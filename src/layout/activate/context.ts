/**
 * What every activation script needs. Scripts are rendered with the environment's absolute
 * path baked in (as venv does): an environment moved elsewhere is re-rendered by `apply`.
 */
export interface ActivationContext {
  /** Absolute path of the environment root, normalised, without a trailing slash. */
  readonly envDir: string;
  /** Shown as `(prompt) ` before the shell's prompt, and exported as VIRTUAL_ENV_PROMPT. */
  readonly prompt: string;
  /** The scripts directory, relative to `envDir`. POSIX layouts only. */
  readonly binName: 'bin';
}

/** One generated script: its file name in `binName` and its text. */
export interface ActivationScript {
  readonly fileName: string;
  readonly content: string;
}
