/**
 * Builds small, pure-Python wheels for tests, since no package index is reachable here.
 *
 * A wheel is a zip holding the package's files and a `<name>-<version>.dist-info` directory
 * with METADATA, WHEEL, RECORD (a sha256 and size per file) and optionally entry_points.txt.
 * The output is byte-for-byte reproducible: fixed timestamps, files in the order given, then
 * the dist-info files.
 *
 * ```ts
 * import { buildWheel } from './wheel.js';
 *
 * const wheel = await buildWheel(tmp, {
 *   name: 'hello-dist',
 *   version: '1.0',
 *   modules: { 'hello/__init__.py': 'def main():\n    print("hi")\n' },
 *   requires: ['six>=1.10'],
 *   entryPoints: { console_scripts: { hello: 'hello:main' } },
 * });
 * // → <tmp>/hello_dist-1.0-py3-none-any.whl; install it with pip install --no-index <wheel>
 * ```
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

export interface WheelSpec {
  /** The distribution name as a user writes it (`Hello.World`); normalised for file names. */
  readonly name: string;
  readonly version: string;
  /** Files of the package, by POSIX path inside the wheel: `{ 'pkg/__init__.py': 'X = 1\n' }`. */
  readonly modules: Readonly<Record<string, string | Uint8Array>>;
  /** `Requires-Dist` lines, PEP 508: `['attrs>=23', 'tomli; python_version < "3.11"']`. */
  readonly requires?: readonly string[];
  /** Entry points by group, then name: `{ console_scripts: { hello: 'pkg.cli:main' } }`. */
  readonly entryPoints?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The compatibility tag; `py3-none-any` by default. */
  readonly tag?: string;
  /** `.data` files by `<scheme>/<path>`: `{ 'scripts/run': '#!python\n…', 'data/share/x.txt': '…' }`. */
  readonly data?: Readonly<Record<string, string | Uint8Array>>;
  /** `Root-Is-Purelib` (true by default; false for a wheel with extension modules). */
  readonly rootIsPurelib?: boolean;
  /** Members (by path in the wheel, `.data` ones included) stored with mode 0755. */
  readonly executable?: readonly string[];
  /** Members added without any path check, listed in RECORD: for tests of hostile wheels. */
  readonly unsafeMembers?: Readonly<Record<string, string>>;
  /** Members whose content is replaced after RECORD was computed: a tampered wheel. */
  readonly tamper?: Readonly<Record<string, string>>;
}

/** Writes the wheel into `dir` (created if needed) and returns its absolute path. */
export async function buildWheel(dir: string, spec: WheelSpec): Promise<string> {
  const escaped = escapeName(spec.name);
  const tag = spec.tag ?? 'py3-none-any';
  const distInfo = `${escaped}-${spec.version}.dist-info`;

  const files: [string, Uint8Array][] = [];
  for (const [name, content] of Object.entries(spec.modules)) {
    checkMemberPath(name, distInfo);
    files.push([name, toBytes(content)]);
  }
  for (const [name, content] of Object.entries(spec.data ?? {})) {
    checkMemberPath(name, distInfo);
    files.push([`${escaped}-${spec.version}.data/${name}`, toBytes(content)]);
  }
  for (const [name, content] of Object.entries(spec.unsafeMembers ?? {})) files.push([name, toBytes(content)]);
  const metadata = [
    'Metadata-Version: 2.1',
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`),
  ];
  files.push([`${distInfo}/METADATA`, toBytes(`${metadata.join('\n')}\n`)]);
  files.push([
    `${distInfo}/WHEEL`,
    toBytes(`Wheel-Version: 1.0\nGenerator: envbuild-tests\nRoot-Is-Purelib: ${spec.rootIsPurelib === false ? 'false' : 'true'}\n${tag.split('-')[0]!.split('.').map((py) => `Tag: ${py}-${tag.split('-').slice(1).join('-')}\n`).join('')}`),
  ]);
  if (spec.entryPoints && Object.keys(spec.entryPoints).length > 0) {
    const sections = Object.entries(spec.entryPoints).map(
      ([group, points]) => `[${group}]\n${Object.entries(points).map(([k, v]) => `${k} = ${v}\n`).join('')}`,
    );
    files.push([`${distInfo}/entry_points.txt`, toBytes(sections.join('\n'))]);
  }
  const record = files.map(([name, data]) => `${csvField(name)},sha256=${urlsafeSha256(data)},${data.length}\n`);
  record.push(`${distInfo}/RECORD,,\n`);
  files.push([`${distInfo}/RECORD`, toBytes(record.join(''))]);
  const final = files.map(([name, data]): [string, Uint8Array] => [name, spec.tamper?.[name] === undefined ? data : toBytes(spec.tamper[name])]);

  await fs.mkdir(dir, { recursive: true });
  const file = path.resolve(dir, `${escaped}-${spec.version}-${tag}.whl`);
  await fs.writeFile(file, zip(final, new Set(spec.executable ?? [])));
  return file;
}

/** The name as wheel file names spell it: runs of `-_.` become `_`, lower case. */
export function escapeName(name: string): string {
  return name.replace(/[-_.]+/g, '_').toLowerCase();
}

function checkMemberPath(name: string, distInfo: string): void {
  const parts = name.split('/');
  if (name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`wheel member "${name}" must be a relative POSIX path without "." or ".." components`);
  }
  if (parts[0] === distInfo) throw new Error(`wheel member "${name}" is inside the generated ${distInfo}`);
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

function urlsafeSha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** RECORD is CSV: quote a path holding a comma or a quote. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

// --- a minimal zip writer: deflated members, UTF-8 names, no zip64 (test wheels are small) ---

/** 1980-01-01 00:00, the earliest time a zip can hold, for reproducible archives. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800;
/** Regular file, rw-r--r--, in the high 16 bits of the external attributes (made by Unix). */
const UNIX_FILE_MODE = (0o100644 << 16) >>> 0;

const UNIX_EXECUTABLE_MODE = (0o100755 << 16) >>> 0;

/** A zip of `files`, deflated but for the names in `stored` (kept as they are, method 0). */
export function zip(files: readonly (readonly [string, Uint8Array])[], executable: ReadonlySet<string> = new Set(), stored: ReadonlySet<string> = new Set()): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const method = stored.has(name) ? 0 : 8;
    const compressed = method === 0 ? Buffer.from(data) : deflateRawSync(data);
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8); // method: stored or deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, zip 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // extra length, comment length, disk number, internal attributes: all 0
    central.writeUInt32LE(executable.has(name) ? UNIX_EXECUTABLE_MODE : UNIX_FILE_MODE, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, end]);
}
