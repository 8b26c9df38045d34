import { formatDiagnostic, type Diagnostic } from './diagnostic.js';

/**
 * A problem the user can fix: bad input, a missing interpreter, a path that is in the way.
 * The CLI prints the message and hint without a stack trace and exits 1.
 */
export class UserError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /**
   * For a recipe's error: the key path of the offending option within the part's options
   * (`['path']`), so the runner can point at it in the manifest (`file:line:col`).
   */
  readonly option: ReadonlyArray<string | number> | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown; option?: ReadonlyArray<string | number> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.hint = options.hint;
    this.option = options.option;
  }
}

/** Every problem found in a manifest, reported together; nothing is written when this is thrown. */
export class ManifestError extends UserError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      'EMANIFEST',
      `${errors.length} problem${errors.length === 1 ? '' : 's'} in the manifest:\n` +
        diagnostics.map((d) => formatDiagnostic(d)).join('\n'),
    );
    this.name = 'ManifestError';
    this.diagnostics = diagnostics;
  }
}

/** The run was interrupted (Ctrl-C); state up to the last finished step has been saved. */
export class InterruptedError extends UserError {
  constructor(signal: string) {
    super('EINTERRUPTED', `interrupted by ${signal}; state saved up to the last completed step`, {
      hint: 'run the same command again to finish',
    });
    this.name = 'InterruptedError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
