/**
 * The `python:` value of a manifest, parsed without touching the disk so the manifest code can
 * reject a malformed request together with every other problem, before anything runs.
 *
 * Three forms:
 * - a version range: `3`, `3.11`, `3.12.1`, `3.11.*`, `>=3.10 <3.13`, `>=3.10,<3.13`, `~=3.11`,
 *   `==3.11.*`, `!=3.12.*`. Clauses (separated by spaces and/or commas) must all hold.
 *   Comparisons follow PEP 440 on the release numbers: `==3.11` means exactly 3.11.0 and
 *   `<=3.12` excludes 3.12.1, as pip reads them; a bare `3.11` means any 3.11.x.
 *   An interpreter's pre-release (3.14.0a1) is matched as its release (3.14.0).
 * - a command name looked up on PATH: `python3.12`, `pypy3`.
 * - an absolute path: `/usr/bin/python3`.
 */

export type VersionOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '~=';

export interface VersionClause {
  readonly op: VersionOperator;
  /** 1 to 3 release numbers, e.g. `[3, 11]`. */
  readonly release: readonly number[];
  /** `==3.11.*` / `!=3.11.*`: compare only the numbers given. */
  readonly wildcard: boolean;
}

export type PythonRequest =
  | {
      readonly kind: 'range';
      /** The request as written, trimmed, runs of spaces collapsed: shown in messages. */
      readonly text: string;
      readonly clauses: readonly VersionClause[];
    }
  | { readonly kind: 'command'; readonly text: string; readonly name: string }
  | { readonly kind: 'path'; readonly text: string; readonly path: string };

export type RangeRequest = Extract<PythonRequest, { kind: 'range' }>;

export type RequestParseResult =
  | { readonly ok: true; readonly request: PythonRequest }
  | { readonly ok: false; readonly message: string; readonly hint: string };

const FORMS_HINT =
  'write a version range ("3.11", ">=3.10 <3.13"), a command on PATH ("python3.12") or an absolute path ("/usr/bin/python3")';

const COMMAND = /^[A-Za-z_][A-Za-z0-9_.+-]*$/;
const OPERATOR = /(===|~=|==|!=|<=|>=|<|>|=)/y;
const VERSION_TOKEN = /[^\s,<>=!~]+/y;
const RELEASE = /^(\d+(?:\.\d+)*)(\.\*)?$/;
const PRE_RELEASE = /^\d+(?:\.\d+)*(?:a|b|c|rc|alpha|beta|pre|preview|\.?dev|\.?post|-)/i;

function fail(message: string, hint = FORMS_HINT): RequestParseResult {
  return { ok: false, message, hint };
}

/** Parses a `python:` request. Pure: never touches the disk. */
export function parseRequest(input: string): RequestParseResult {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text === '') return fail('the python request is empty');
  if (text.startsWith('/')) {
    if (text.includes('\0')) return fail(`${JSON.stringify(text)} is not a valid path`);
    return { ok: true, request: { kind: 'path', text, path: text } };
  }
  if (/^~(?!=)/.test(text)) {
    return fail(
      `"${text}": "~" is not expanded in a python path`,
      'write the absolute path, e.g. "${env:HOME}/.local/bin/python3"',
    );
  }
  if (text.includes('/') || text.startsWith('.')) {
    return fail(`"${text}" is a relative path`, 'write the interpreter\'s absolute path');
  }
  if (/^[A-Za-z_]/.test(text)) {
    if (!COMMAND.test(text)) return fail(`"${text}" is not a valid command name`);
    return { ok: true, request: { kind: 'command', text, name: text } };
  }
  return parseRange(text);
}

function parseRange(text: string): RequestParseResult {
  const clauses: VersionClause[] = [];
  let pos = 0;
  let bare = false;
  const skipSpace = (): void => {
    while (text[pos] === ' ') pos++;
  };
  skipSpace();
  while (pos < text.length) {
    OPERATOR.lastIndex = pos;
    const opMatch = OPERATOR.exec(text);
    let op: VersionOperator | undefined;
    if (opMatch) {
      const written = opMatch[1] ?? '';
      if (written === '=') return fail(`"${text}": "=" is not an operator`, 'write "==" (or just the version, e.g. "3.11")');
      if (written === '===') return fail(`"${text}": arbitrary equality "===" is not supported`, 'write "==" with a version');
      op = written as VersionOperator;
      pos += written.length;
      skipSpace();
    }
    VERSION_TOKEN.lastIndex = pos;
    const tokenMatch = VERSION_TOKEN.exec(text);
    const token = tokenMatch?.[0];
    if (token === undefined) {
      const after = op === undefined ? '' : ` after "${op}"`;
      return fail(`"${text}": expected a version${after} at column ${pos + 1}`);
    }
    pos += token.length;
    const clause = parseClause(text, op, token);
    if (typeof clause === 'string') return fail(clause);
    if (op === undefined) bare = true;
    clauses.push(clause);
    skipSpace();
    if (text[pos] === ',') {
      pos++;
      skipSpace();
      if (pos >= text.length) return fail(`"${text}": trailing comma`);
    }
  }
  if (bare && clauses.length > 1) {
    return fail(
      `"${text}": a bare version can't be combined with other clauses`,
      'give every clause an operator, e.g. "==3.11.* !=3.11.4" or ">=3.10 <3.13"',
    );
  }
  return { ok: true, request: { kind: 'range', text, clauses } };
}

function parseClause(text: string, op: VersionOperator | undefined, token: string): VersionClause | string {
  const m = RELEASE.exec(token);
  if (!m) {
    if (PRE_RELEASE.test(token)) {
      return `"${text}": pre-release and post-release versions ("${token}") can't be requested as a range; request that interpreter by command or absolute path`;
    }
    return `"${text}": "${token}" is not a version`;
  }
  const release = (m[1] ?? '').split('.').map(Number);
  const wildcard = m[2] !== undefined;
  if (release.length > 3) return `"${text}": "${token}" has more than three numbers`;
  if (op === undefined) {
    // A bare `3` or `3.11` names a series; a bare `3.12.1` names one release.
    return { op: '==', release, wildcard: wildcard || release.length < 3 };
  }
  if (wildcard && op !== '==' && op !== '!=') return `"${text}": ".*" is only allowed after == or !=`;
  if (op === '~=' && release.length < 2) return `"${text}": "~=" needs at least two numbers (e.g. "~=3.11")`;
  return { op, release, wildcard };
}

function compareRelease(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function prefixEquals(version: readonly number[], prefix: readonly number[]): boolean {
  return prefix.every((n, i) => (version[i] ?? 0) === n);
}

function clauseHolds(c: VersionClause, v: readonly number[]): boolean {
  switch (c.op) {
    case '==':
      return c.wildcard ? prefixEquals(v, c.release) : compareRelease(v, c.release) === 0;
    case '!=':
      return c.wildcard ? !prefixEquals(v, c.release) : compareRelease(v, c.release) !== 0;
    case '<':
      return compareRelease(v, c.release) < 0;
    case '<=':
      return compareRelease(v, c.release) <= 0;
    case '>':
      return compareRelease(v, c.release) > 0;
    case '>=':
      return compareRelease(v, c.release) >= 0;
    case '~=':
      return compareRelease(v, c.release) >= 0 && prefixEquals(v, c.release.slice(0, -1));
  }
}

/** Whether an interpreter's `versionInfo` satisfies every clause of a range. */
export function rangeMatches(request: RangeRequest, versionInfo: readonly number[]): boolean {
  return request.clauses.every((c) => clauseHolds(c, versionInfo));
}

/**
 * A hint for a range that is probably not what its author meant: `==3.11` (exactly 3.11.0 in
 * PEP 440) or `<=3.12` (excludes 3.12.1). Undefined when nothing looks suspicious.
 */
export function rangePitfall(request: RangeRequest): string | undefined {
  for (const c of request.clauses) {
    const v = c.release.join('.');
    if (c.op === '==' && !c.wildcard && c.release.length < 3) {
      return `"==${v}" means exactly ${v}${'.0'.repeat(3 - c.release.length)} (PEP 440); write "${v}" or "==${v}.*" for any ${v}.x`;
    }
    if (c.op === '<=' && c.release.length < 3) {
      return `"<=${v}" excludes later ${v}.x releases (PEP 440); write "<${bump(c.release)}" to include them`;
    }
  }
  return undefined;
}

function bump(release: readonly number[]): string {
  const next = [...release];
  next[next.length - 1] = (next[next.length - 1] ?? 0) + 1;
  return next.join('.');
}

const PHASES: Record<string, number> = { a: 0, b: 1, rc: 2 };

/**
 * Orders `platform.python_version()` strings: `3.13.0a1 < 3.13.0rc1 < 3.13.0 < 3.13.0+`
 * (a trailing `+` marks a build from a checkout after that release). Only what CPython and
 * PyPy print is understood; anything else sorts by its release numbers alone.
 */
export function compareVersionStrings(a: string, b: string): number {
  const pa = parseVersionString(a);
  const pb = parseVersionString(b);
  return compareRelease(pa.release, pb.release) || Math.sign(pa.phase - pb.phase) || Math.sign(pa.serial - pb.serial);
}

function parseVersionString(v: string): { release: number[]; phase: number; serial: number } {
  const m = /^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(\+)?/.exec(v);
  if (!m) return { release: [], phase: 3, serial: 0 };
  const release = (m[1] ?? '').split('.').map(Number);
  if (m[2] !== undefined) return { release, phase: PHASES[m[2]] ?? 3, serial: Number(m[3]) };
  return { release, phase: m[4] === undefined ? 3 : 4, serial: 0 };
}
