/** Where a value sits in a manifest: 1-based line and column, as editors count them. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type Severity = 'error' | 'warning';

/**
 * One problem found in user input. Manifest loading collects every diagnostic before
 * reporting, so a user fixes all of them in one pass instead of one per run.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  /** Where the offending value is; absent only when no position is known (e.g. a missing file). */
  readonly location?: SourceLocation;
  /** The key path of the value, e.g. `environments.app.python`. */
  readonly keyPath?: string;
  /** What to do about it. */
  readonly hint?: string;
}

export function formatLocation(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** `FILE:LINE:COL: message (at key.path)` plus an indented hint line, the format users grep for. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${formatLocation(d.location)}: ` : '';
  const level = d.severity === 'warning' ? 'warning: ' : '';
  const key = d.keyPath ? ` (at ${d.keyPath})` : '';
  const hint = d.hint ? `\n  hint: ${d.hint}` : '';
  return `${where}${level}${d.message}${key}${hint}`;
}
