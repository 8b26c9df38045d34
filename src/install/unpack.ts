/**
 * Unpacks a wheel into a directory and verifies it against its RECORD, producing the cache
 * entry's description (`CachedWheel`).
 *
 * Zip reading uses yauzl: it reads the archive through a file descriptor, one entry at a time,
 * so a 2 GB wheel (torch) never sits in memory (fflate's unzip works on whole buffers), it
 * checks entry sizes against the central directory, rejects `..`/absolute names itself, and it
 * has been maintained for a decade (it is what extract-zip and electron's tooling use).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { UserError } from '../errors/user-error.js';
import { CACHE_FORMAT, ENTRY_FILE, FILES_DIR, type CachedFile, type CachedWheel } from './cached-wheel.js';
import { parseScriptEntryPoints } from './entry-points.js';
import { checkMemberPath } from './member-path.js';
import { parseRecord, parseRecordHash, RECORD_ALGORITHMS, type RecordRow } from './record.js';
import { canonicalName, parseWheelFilename } from './wheel-filename.js';
import { parseMetadataNameVersion, parseWheelFile } from './wheel-metadata.js';
import { mapLimit } from '../python/concurrency-limit.js';

interface Unpacked {
  readonly files: CachedFile[];
  readonly kept: Map<string, Buffer>;
}

/**
 * Unpacks `wheelFile` (whose sha256 is `sha256`) into `<dir>/files/`, verifies every file
 * against RECORD and writes `<dir>/entry.json` last. Throws a UserError naming the first
 * problem; the caller removes `dir` then.
 */
export async function unpackWheel(wheelFile: string, filename: string, sha256: string, dir: string, allowRecordMismatch: boolean, bytes?: Buffer): Promise<CachedWheel> {
  const parsed = parseWheelFilename(filename);
  const root = path.join(dir, FILES_DIR);
  const unpacked = bytes !== undefined ? await extractBuffer(bytes, filename, root) : await extract(wheelFile, filename, root);
  const distInfo = findDistInfo(unpacked.files, parsed.name, filename);
  const read = (name: string) => unpacked.kept.get(`${distInfo}/${name}`)?.toString('utf8');
  const wheelText = read('WHEEL');
  const metadataText = read('METADATA');
  const recordText = read('RECORD');
  if (wheelText === undefined || metadataText === undefined || recordText === undefined) {
    throw new UserError('EWHEEL', `${filename}: ${distInfo} lacks WHEEL, METADATA or RECORD`, { hint: 'the wheel is damaged' });
  }
  const info = parseWheelFile(wheelText, filename);
  const { name, version } = parseMetadataNameVersion(metadataText, filename);
  if (!allowRecordMismatch) await verifyRecord(parseRecord(recordText), unpacked.files, path.join(dir, FILES_DIR), filename);
  const entry: CachedWheel = {
    format: CACHE_FORMAT,
    filename,
    sha256,
    name,
    version,
    distInfo,
    rootIsPurelib: info.rootIsPurelib,
    tags: parsed.tags,
    files: unpacked.files,
    entryPoints: parseScriptEntryPoints(read('entry_points.txt') ?? '', filename),
  };
  await fs.writeFile(path.join(dir, ENTRY_FILE), JSON.stringify(entry));
  return entry;
}

/** Entries unpacked at once: yauzl reads with pread, so several streams can be open. */
const ENTRY_CONCURRENCY = 16;
/** Entries up to this size are inflated into memory and written in one call (most of a wheel). */
const SMALL_ENTRY = 1 << 20;

async function extract(wheelFile: string, filename: string, root: string): Promise<Unpacked> {
  let zip: yauzl.ZipFile;
  try {
    // autoClose off: entries are read after the directory has been listed.
    zip = await yauzl.openPromise(wheelFile, { validateEntrySizes: true, strictFileNames: true, autoClose: false });
  } catch (e) {
    throw new UserError('EWHEEL', `${filename}: not a readable zip archive (${(e as Error).message})`, { hint: 'the download may be truncated; fetch the wheel again' });
  }
  const kept = new Map<string, Buffer>();
  const dirs = new Map<string, Promise<unknown>>();
  try {
    const entries = await listEntries(zip, filename);
    // On a failure, the members still streaming finish before the zip closes and the caller
    // removes the directory: a read after the close is an uncaught error inside yauzl, and a
    // file written during the removal makes it fail with ENOTEMPTY.
    const files = await mapLimit(entries, ENTRY_CONCURRENCY, async (entry): Promise<CachedFile> => {
      const name = entry.fileName;
      const target = path.join(root, ...name.split('/'));
      const parent = path.dirname(target);
      let made = dirs.get(parent);
      if (made === undefined) {
        made = fs.mkdir(parent, { recursive: true });
        dirs.set(parent, made);
      }
      await made;
      const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
      const keep = /^[^/]+\.dist-info\/(WHEEL|METADATA|RECORD|entry_points\.txt)$/.test(name);
      const stream = await zip.openReadStreamPromise(entry);
      const { hash, size, head, content } = entry.uncompressedSize <= SMALL_ENTRY ? await writeSmall(stream, target, executable) : await writeEntry(stream, target, executable, keep);
      if (keep && content !== undefined) kept.set(name, content);
      const pythonShebang = /^[^/]+\.data\/scripts\//.test(name) && head.subarray(0, 8).toString('latin1') === '#!python';
      return { path: name, hash, size, executable, pythonShebang };
    });
    return { files, kept };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError('EWHEEL', `${filename}: cannot unpack (${(e as Error).message})`, { hint: 'the wheel is damaged or not a wheel' });
  } finally {
    zip.close();
  }
}

/**
 * A wheel already in memory (all but the largest): yauzl reads the central directory from the
 * buffer and checks every name, then each member is inflated with zlib's one-shot inflate and
 * written with one synchronous call — no stream, promise or thread-pool trip per member, which
 * is most of the CPU of streaming a few thousand small files.
 */
async function extractBuffer(bytes: Buffer, filename: string, root: string): Promise<Unpacked> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, { validateEntrySizes: true, strictFileNames: true });
  } catch (e) {
    throw new UserError('EWHEEL', `${filename}: not a readable zip archive (${(e as Error).message})`, { hint: 'the download may be truncated; fetch the wheel again' });
  }
  const kept = new Map<string, Buffer>();
  const made = new Set<string>();
  const files: CachedFile[] = [];
  try {
    const entries = await listEntries(zip, filename);
    for (const entry of entries) {
      const name = entry.fileName;
      const content = memberBytes(bytes, entry);
      if (content.length !== entry.uncompressedSize) throw new Error(`${name}: ${content.length} bytes, the directory says ${entry.uncompressedSize}`);
      const target = path.join(root, ...name.split('/'));
      const parent = path.dirname(target);
      if (!made.has(parent)) mkdirSync(parent, { recursive: true });
      made.add(parent);
      const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
      // `wx`: the directory is private and new, so an existing file means a duplicate path.
      writeFileSync(target, content, { mode: executable ? 0o755 : 0o644, flag: 'wx' });
      if (KEEP.test(name)) kept.set(name, content);
      const pythonShebang = /^[^/]+\.data\/scripts\//.test(name) && content.subarray(0, 8).toString('latin1') === '#!python';
      files.push({ path: name, hash: `sha256=${createHash('sha256').update(content).digest('base64url')}`, size: content.length, executable, pythonShebang });
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError('EWHEEL', `${filename}: cannot unpack (${(e as Error).message})`, { hint: 'the wheel is damaged or not a wheel' });
  }
  return { files, kept };
}

const KEEP = /^[^/]+\.dist-info\/(WHEEL|METADATA|RECORD|entry_points\.txt)$/;
const LOCAL_HEADER = 0x04034b50;

/** A member's uncompressed bytes, from its local header (whose name and extra lengths may differ from the directory's). */
function memberBytes(zip: Buffer, entry: yauzl.Entry): Buffer {
  if (entry.isEncrypted()) throw new Error(`${entry.fileName} is encrypted`);
  const at = entry.relativeOffsetOfLocalHeader;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL_HEADER) throw new Error(`${entry.fileName}: bad local header`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > zip.length) throw new Error(`${entry.fileName}: data past the end of the archive`);
  const data = zip.subarray(start, end);
  if (entry.compressionMethod === 0) return data;
  if (entry.compressionMethod === 8) return inflateRawSync(data, { maxOutputLength: Math.max(entry.uncompressedSize, 1) });
  throw new Error(`${entry.fileName}: compression method ${entry.compressionMethod} is not supported`);
}

/** The file entries of the central directory, names checked, duplicates refused. */
async function listEntries(zip: yauzl.ZipFile, filename: string): Promise<yauzl.Entry[]> {
  const entries: yauzl.Entry[] = [];
  const seen = new Set<string>();
  for await (const entry of zip.eachEntry()) {
    const name = entry.fileName;
    if (name.endsWith('/')) continue; // directories: made as files need them, as pip does
    checkMemberPath(name, filename);
    if (seen.has(name)) throw new UserError('EWHEEL', `${filename}: member "${name}" appears twice`, { hint: 'the wheel is malformed' });
    seen.add(name);
    entries.push(entry);
  }
  return entries;
}

async function writeSmall(stream: NodeJS.ReadableStream, target: string, executable: boolean) {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const content = Buffer.concat(chunks);
  // `wx`: the directory is private and new, so an existing file means a duplicate path.
  await fs.writeFile(target, content, { mode: executable ? 0o755 : 0o644, flag: 'wx' });
  return { hash: `sha256=${createHash('sha256').update(content).digest('base64url')}`, size: content.length, head: content.subarray(0, 8), content };
}

/** A large entry: streamed to disk while hashed, never whole in memory. */
async function writeEntry(stream: NodeJS.ReadableStream, target: string, executable: boolean, keep: boolean) {
  const hasher = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const chunks: Buffer[] = [];
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hasher.update(chunk);
      size += chunk.length;
      if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8)]);
      if (keep) chunks.push(chunk);
      done(null, chunk);
    },
  });
  await pipeline(stream, tap, createWriteStream(target, { mode: executable ? 0o755 : 0o644, flags: 'wx' }));
  return { hash: `sha256=${hasher.digest('base64url')}`, size, head, content: keep ? Buffer.concat(chunks) : undefined };
}

/** pip's rule: exactly one top-level `.dist-info`, named for the wheel's distribution. */
function findDistInfo(files: readonly CachedFile[], wheelName: string, filename: string): string {
  const dirs = new Set(files.map((f) => f.path.split('/')[0] ?? '').filter((d) => d.endsWith('.dist-info')));
  if (dirs.size !== 1) {
    throw new UserError('EWHEEL', `${filename}: expected one .dist-info directory, found ${dirs.size === 0 ? 'none' : [...dirs].join(', ')}`, { hint: 'the wheel is malformed' });
  }
  const [dir = ''] = dirs;
  const distName = dir.slice(0, -'.dist-info'.length).split('-')[0] ?? '';
  if (canonicalName(distName) !== canonicalName(wheelName)) {
    throw new UserError('EWHEEL', `${filename}: .dist-info directory ${dir} does not match the wheel's name`, { hint: 'the wheel is malformed' });
  }
  return dir;
}

/**
 * Every member must be in RECORD with a matching hash and size (RECORD itself and signatures
 * excepted), as pypa/installer checks. Some wheels ship wrong RECORDs: the error names the file
 * and `allowRecordMismatch` is the way out.
 */
async function verifyRecord(rows: readonly RecordRow[], files: readonly CachedFile[], root: string, filename: string): Promise<void> {
  const byPath = new Map(rows.map((r) => [r.path, r]));
  for (const file of files) {
    const base = file.path.slice(file.path.indexOf('/') + 1);
    if (file.path.includes('.dist-info/') && ['RECORD', 'RECORD.jws', 'RECORD.p7s'].includes(base) && file.path.indexOf('/') === file.path.lastIndexOf('/')) continue;
    const row = byPath.get(file.path);
    const problem = row === undefined ? 'is not listed in RECORD' : await rowProblem(row, file, root);
    if (problem !== undefined) {
      throw new UserError('ERECORD', `${filename}: ${file.path} ${problem}`, {
        hint: 'the wheel was altered or built with a wrong RECORD; nothing was installed from it. To install it anyway, set allow-record-mismatch (envbuild then records the hashes it computed)',
      });
    }
  }
}

async function rowProblem(row: RecordRow, file: CachedFile, root: string): Promise<string | undefined> {
  const parsed = parseRecordHash(row.hash);
  if (parsed === undefined) return 'has no hash in RECORD';
  if (!RECORD_ALGORITHMS.has(parsed.algorithm)) return `has a ${parsed.algorithm} hash in RECORD, which is not accepted`;
  const actual =
    parsed.algorithm === 'sha256'
      ? file.hash.slice('sha256='.length)
      : createHash(parsed.algorithm).update(await fs.readFile(path.join(root, ...file.path.split('/')))).digest('base64url');
  if (actual !== parsed.digest) return `does not match its RECORD hash (RECORD: ${row.hash}, file: ${parsed.algorithm}=${actual})`;
  if (row.size !== '' && Number(row.size) !== file.size) return `has ${file.size} bytes, RECORD says ${row.size}`;
  return undefined;
}
