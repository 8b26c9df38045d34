/**
 * RECORD files (PEP 376 / the wheel spec): CSV rows `path,sha256=<urlsafe b64, no padding>,size`.
 * A RECORD comes from an untrusted wheel or environment, so parsing only splits text; callers
 * validate each path before using it.
 */
import { createHash } from 'node:crypto';

export interface RecordRow {
  readonly path: string;
  /** `sha256=…` or '' (RECORD itself, signatures). */
  readonly hash: string;
  readonly size: string;
}

/** Parses RECORD's CSV (quoted fields with `""` escapes, as Python's csv module writes). */
export function parseRecord(text: string): RecordRow[] {
  const rows: RecordRow[] = [];
  for (const fields of parseCsv(text)) {
    if (fields.length === 0 || (fields.length === 1 && fields[0] === '')) continue;
    rows.push({ path: fields[0] ?? '', hash: fields[1] ?? '', size: fields[2] ?? '' });
  }
  return rows;
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RECORD's order: by path, as pip writes it. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One RECORD line, `\n`-terminated. */
export function recordLine(r: RecordRow): string {
  return `${csvField(r.path)},${csvField(r.hash)},${csvField(r.size)}\n`;
}

/** RECORD text: rows sorted by path as pip writes them, `\n` line ends. */
export function formatRecord(rows: readonly RecordRow[]): string {
  return [...rows].sort((a, b) => comparePaths(a.path, b.path)).map(recordLine).join('');
}

/** `sha256=<urlsafe base64 without padding>` of `data`. */
export function recordHash(data: Uint8Array): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

/** Splits `algo=digest`; digests are urlsafe base64 without padding. */
export function parseRecordHash(hash: string): { algorithm: string; digest: string } | undefined {
  const eq = hash.indexOf('=');
  if (eq <= 0) return undefined;
  return { algorithm: hash.slice(0, eq).toLowerCase(), digest: hash.slice(eq + 1).replace(/=+$/, '') };
}

/** Hash algorithms the installer accepts in a wheel's RECORD (PEP 376 forbids md5 and sha1). */
export const RECORD_ALGORITHMS = new Set(['sha256', 'sha384', 'sha512']);
