/**
 * The manifest as text: bytes decoded as UTF-8 (invalid sequences located), characters YAML
 * forbids refused, and offsets turned into lines and columns.
 */
import type { SourceLocation } from '../errors/diagnostic.js';
import type { Diagnostics } from './diagnostics.js';
import { bytePosition, findInvalidUtf8 } from './invalid-utf8.js';

/**
 * Offset → line and column, from the text itself. Not yaml's LineCounter: it learns line
 * breaks from the lexer, which does not report those inside a plain value it reads while
 * recovering from an error, so the lines of later errors came out too low (a column then
 * pointed past the end of its line).
 */
export function positions(file: string, text: string): (offset: number | undefined) => SourceLocation {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset = 0) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  };
}

export function decodeUtf8(file: string, bytes: Uint8Array, diagnostics: Diagnostics): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = Math.max(0, findInvalidUtf8(bytes));
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    diagnostics.error(`the file is not valid UTF-8 (byte 0x${byte})`, { file, ...bytePosition(bytes, offset) }, {
      hint: 'save the manifest as UTF-8 (it was probably written as Latin-1 or another legacy encoding)',
    });
    return undefined;
  }
}

/**
 * Characters YAML does not allow in a stream (outside its `c-printable` set): C0 controls
 * but tab, line feed and carriage return; DEL; C1 controls but NEL; U+FFFE and U+FFFF. yaml
 * itself lets them through, into keys and values, where they print as nothing or garble a
 * terminal. A NUL byte usually means a binary or corrupted file.
 */
const NOT_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

export function checkCharacters(file: string, text: string, diagnostics: Diagnostics): boolean {
  const match = NOT_PRINTABLE.exec(text);
  if (!match) return true;
  const codePoint = `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  diagnostics.error(
    `the file contains a control character (${codePoint}${codePoint === 'U+0000' ? ', a NUL byte' : ''}), which YAML does not allow`,
    positions(file, text)(match.index),
    { hint: 'remove it; to put a special character in a value, write it as an escape in double quotes, e.g. "\\t" or "\\x1b"' },
  );
  return false;
}
