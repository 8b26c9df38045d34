/**
 * The email-header files of a wheel's `.dist-info`: WHEEL (`Wheel-Version`, `Root-Is-Purelib`,
 * `Tag`) and METADATA (`Name`, `Version`). Only headers are read: a METADATA body (the long
 * description) is ignored.
 */
import { UserError } from '../errors/user-error.js';

/** Headers before the first blank line, continuation lines joined; repeated headers kept in order. */
export function parseHeaders(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: string[] | undefined;
  // The headers end at the first blank line: the body (a long description, often most of a
  // large METADATA) is never split into lines.
  const blank = text.search(/\r?\n\r?\n/);
  for (const line of (blank === -1 ? text : text.slice(0, blank)).split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && last !== undefined) {
      last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(key, values);
    last = values;
  }
  return headers;
}

export interface WheelInfo {
  readonly wheelVersion: string;
  readonly rootIsPurelib: boolean;
  readonly tags: readonly string[];
}

/** Reads WHEEL; refuses a major `Wheel-Version` this installer does not know (only 1.x exists). */
export function parseWheelFile(text: string, wheel: string): WheelInfo {
  const h = parseHeaders(text);
  const version = h.get('wheel-version')?.[0];
  if (version === undefined || !/^\d+\.\d+$/.test(version)) {
    throw new UserError('EWHEEL', `${wheel}: WHEEL has no valid Wheel-Version`, { hint: 'the wheel is damaged or not a wheel' });
  }
  if (!version.startsWith('1.')) {
    throw new UserError('EWHEEL', `${wheel}: Wheel-Version ${version} is not supported (only 1.x)`, { hint: 'install it with a newer installer' });
  }
  return {
    wheelVersion: version,
    rootIsPurelib: (h.get('root-is-purelib')?.[0] ?? '').toLowerCase() === 'true',
    tags: h.get('tag') ?? [],
  };
}

/** Name and Version from METADATA. */
export function parseMetadataNameVersion(text: string, wheel: string): { name: string; version: string } {
  const h = parseHeaders(text);
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (name === undefined || version === undefined || name === '' || version === '') {
    throw new UserError('EWHEEL', `${wheel}: METADATA has no Name or Version`, { hint: 'the wheel is damaged' });
  }
  return { name, version };
}
