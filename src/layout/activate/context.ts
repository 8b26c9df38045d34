/**
 * What every activation script needs. Scripts are rendered with the environment's absolute
 * path baked in (as venv does): an environment moved elsewhere is re-rendered by `apply`.
 */
export interface ActivationContext {
  /** Absolute path of the environment root, normalised, without a trailing slash. */
  readonly envDir: string;
  /** Shown as `(prompt) ` before the shell's prompt. */
  readonly prompt: string;
  /**
   * How VIRTUAL_ENV_PROMPT is exported, as the environment's own Python's venv does it (see
   * `venvPromptVariable`); absent: the newest venv's way (the bare prompt, always).
   */
  readonly promptVariable?: PromptVariable | null;
  /** The scripts directory, relative to `envDir`. POSIX layouts only. */
  readonly binName: 'bin';
}

/** One generated script: its file name in `binName` and its text. */
export interface ActivationScript {
  readonly fileName: string;
  readonly content: string;
}

/** VIRTUAL_ENV_PROMPT's value, and whether it is set always or only when the prompt is changed. */
export interface PromptVariable {
  readonly value: string;
  readonly when: 'always' | 'prompting';
}

/**
 * VIRTUAL_ENV_PROMPT as the `venv` of Python `major.minor` sets it in its POSIX scripts
 * (bash/zsh, csh, fish): not at all before 3.10; `(prompt) ` and only when the prompt is
 * changed (VIRTUAL_ENV_DISABLE_PROMPT unset) in 3.10–3.12; the bare prompt, always, from 3.13.
 * Tools that show the environment (starship, oh-my-zsh themes) read it, and expect venv's form.
 */
export function venvPromptVariable(versionInfo: readonly number[], prompt: string): PromptVariable | null {
  const [major = 3, minor = 0] = versionInfo;
  if (major < 3 || (major === 3 && minor < 10)) return null;
  if (major === 3 && minor < 13) return { value: `(${prompt}) `, when: 'prompting' };
  return { value: prompt, when: 'always' };
}

/** The context's VIRTUAL_ENV_PROMPT rule, the default filled in. */
export function promptVariableOf(ctx: ActivationContext): PromptVariable | null {
  return ctx.promptVariable === undefined ? { value: ctx.prompt, when: 'always' } : ctx.promptVariable;
}
