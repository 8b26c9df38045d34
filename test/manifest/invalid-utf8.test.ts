import { expect, test } from 'vitest';
import { bytePosition, findInvalidUtf8 } from '../../src/manifest/invalid-utf8.js';

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('agrees with the decoder on what is valid', () => {
  for (const text of ['', 'plain', 'café ☕ 𝄞', '\uFEFFbom']) expect(findInvalidUtf8(Buffer.from(text))).toBe(-1);
});

test('finds the lead byte of the first bad sequence', () => {
  expect(findInvalidUtf8(bytes('ab', [0xe9], 'c'))).toBe(2); // Latin-1 é
  expect(findInvalidUtf8(bytes('a', [0xc0, 0xaf]))).toBe(1); // overlong '/'
  expect(findInvalidUtf8(bytes([0xed, 0xa0, 0x80]))).toBe(0); // a surrogate
  expect(findInvalidUtf8(bytes('é', [0xe2, 0x98]))).toBe(2); // truncated at the end
  expect(findInvalidUtf8(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
});

test('positions count lines and UTF-16 columns, ignoring a BOM', () => {
  const b = bytes('\uFEFFa: 1\nb: "☕', [0xff]);
  expect(bytePosition(b, findInvalidUtf8(b))).toEqual({ line: 2, col: 6 });
  const first = bytes('\uFEFFé', [0xff]);
  expect(bytePosition(first, findInvalidUtf8(first))).toEqual({ line: 1, col: 2 });
});
