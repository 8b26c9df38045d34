import type { Diagnostic, SourceLocation } from '../errors/diagnostic.js';
import { formatKeyPath } from './source-map.js';
import type { KeyPath } from './types.js';

export interface ProblemDetails {
  readonly keyPath?: KeyPath;
  readonly hint?: string | undefined;
}

/**
 * Collects every problem of one load. The same problem can be found twice (a value in
 * `defaults` is checked once per environment, a base file can be listed by two manifests),
 * so identical diagnostics are kept once.
 */
export class Diagnostics {
  private readonly byKey = new Map<string, Diagnostic>();

  error(message: string, location: SourceLocation | undefined, details: ProblemDetails = {}): void {
    const keyPath = details.keyPath && details.keyPath.length > 0 ? formatKeyPath(details.keyPath) : undefined;
    const diagnostic: Diagnostic = {
      severity: 'error',
      message,
      ...(location ? { location } : {}),
      ...(keyPath ? { keyPath } : {}),
      ...(details.hint ? { hint: details.hint } : {}),
    };
    const key = JSON.stringify([location?.file, location?.line, location?.col, message, keyPath]);
    if (!this.byKey.has(key)) this.byKey.set(key, diagnostic);
  }

  get hasErrors(): boolean {
    return this.byKey.size > 0;
  }

  /** By file, line and column, so the report reads top to bottom like the files. */
  sorted(): Diagnostic[] {
    return [...this.byKey.values()].sort(compareDiagnostics);
  }
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.location?.file ?? '';
  const fb = b.location?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  const byPosition =
    (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
  if (byPosition !== 0) return byPosition;
  const ka = `${a.message}\0${a.keyPath ?? ''}`;
  const kb = `${b.message}\0${b.keyPath ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
