import type { Diagnostic, SourceLocation } from '../errors/diagnostic.js';
import { clip } from './describe.js';
import { formatKeyPath } from './source-map.js';
import type { KeyPath } from './types.js';

export interface ProblemDetails {
  readonly keyPath?: KeyPath;
  readonly hint?: string | undefined;
}

/**
 * Past this many, problems are summarised in one closing line. A person fixes the first
 * ones and runs again; a hostile or generated file can hold hundreds of thousands, and
 * printing them all would bury the report (and cost seconds of formatting).
 */
export const MAX_REPORTED_PROBLEMS = 100;

/** A message or hint longer than this is cut (see `error`). */
const MAX_MESSAGE = 300;

/**
 * Collects every problem of one load. The same problem can be found twice (a value in
 * `defaults` is checked once per environment, a base file can be listed by two manifests),
 * so identical diagnostics are kept once. Only the first MAX_REPORTED_PROBLEMS in file
 * order are kept; the rest are counted.
 */
export class Diagnostics {
  private readonly seen = new Set<string>();
  /** The earliest problems by position, in order. */
  private readonly kept: Diagnostic[] = [];
  private omitted = 0;
  private countedUnreported = 0;
  /** The earliest of the problems not kept: where the summary line points. */
  private firstOmitted: Diagnostic | undefined;

  error(message: string, location: SourceLocation | undefined, details: ProblemDetails = {}): void {
    const keyPath = details.keyPath && details.keyPath.length > 0 ? formatKeyPath(details.keyPath) : undefined;
    const key = `${location?.file ?? ''}\0${location?.line ?? 0}\0${location?.col ?? 0}\0${message}\0${keyPath ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const diagnostic: Diagnostic = {
      severity: 'error',
      // Values quoted in messages are clipped where they are quoted; this is the backstop
      // for text built elsewhere (a parser's message quoting a megabyte-long line).
      message: printable(clip(message, MAX_MESSAGE)),
      ...(location ? { location } : {}),
      ...(keyPath ? { keyPath } : {}),
      ...(details.hint ? { hint: printable(clip(details.hint, MAX_MESSAGE)) } : {}),
    };
    const last = this.kept[this.kept.length - 1];
    if (this.kept.length >= MAX_REPORTED_PROBLEMS && last && compareDiagnostics(diagnostic, last) >= 0) {
      this.omit(diagnostic);
      return;
    }
    this.kept.splice(insertionIndex(this.kept, diagnostic), 0, diagnostic);
    if (this.kept.length > MAX_REPORTED_PROBLEMS) {
      const evicted = this.kept.pop();
      if (evicted) this.omit(evicted);
    }
  }

  /**
   * Counts a problem at `location` without composing it, when it would fall past the
   * reported ones anyway; returns false (count nothing) when it might be reported. For
   * problems that scale with the input (unknown keys by the hundred thousand), whose
   * messages cost a "did you mean" search each.
   */
  countIfUnreported(location: SourceLocation): boolean {
    const last = this.kept[this.kept.length - 1];
    if (this.kept.length < MAX_REPORTED_PROBLEMS || !last?.location) return false;
    if (compareLocations(location, last.location) <= 0) return false;
    this.omit({ severity: 'error', message: '', location });
    this.countedUnreported += 1;
    return true;
  }

  get hasErrors(): boolean {
    return this.seen.size > 0;
  }

  /** How many problems were reported so far (kept or not): a step can tell whether it added one. */
  get count(): number {
    return this.seen.size + this.countedUnreported;
  }

  /** By file, line and column, so the report reads top to bottom like the files. */
  sorted(): Diagnostic[] {
    const first = this.firstOmitted;
    if (!first) return [...this.kept];
    const more = this.omitted;
    return [
      ...this.kept,
      {
        severity: 'error',
        message: `… and ${more} more problem${more === 1 ? '' : 's'} from here on, not shown`,
        ...(first.location ? { location: first.location } : {}),
        hint: `fix the problems above first: only the first ${MAX_REPORTED_PROBLEMS} are shown`,
      },
    ];
  }

  private omit(diagnostic: Diagnostic): void {
    this.omitted += 1;
    if (!this.firstOmitted || compareDiagnostics(diagnostic, this.firstOmitted) < 0) this.firstOmitted = diagnostic;
  }
}

/**
 * A diagnostic is one line: control characters quoted from the manifest (a key written
 * `"a\\nb"`) are shown as escapes, not sent to the terminal.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function insertionIndex(sorted: readonly Diagnostic[], d: Diagnostic): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const probe = sorted[mid];
    if (probe && compareDiagnostics(probe, d) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareLocations(a: SourceLocation | undefined, b: SourceLocation | undefined): number {
  const fa = a?.file ?? '';
  const fb = b?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a?.line ?? 0) - (b?.line ?? 0) || (a?.col ?? 0) - (b?.col ?? 0);
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const byPosition = compareLocations(a.location, b.location);
  if (byPosition !== 0) return byPosition;
  const ka = `${a.message}\0${a.keyPath ?? ''}`;
  const kb = `${b.message}\0${b.keyPath ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
