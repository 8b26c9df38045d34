/**
 * Installs one cached wheel into an environment: links its files, writes what differs per
 * environment (entry-point scripts, rewritten `#!python` scripts) and the generated metadata
 * (INSTALLER, REQUESTED, direct_url.json) and finally RECORD, so that a distribution with a
 * RECORD is complete.
 *
 * The work is synchronous, one wheel at a time: a warm install is a few thousand `link` calls,
 * and on the main thread each costs one syscall, where the thread pool adds a round trip, a
 * promise and a wake-up per file (measured: about half the CPU of the whole install).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { CachedWheel } from './cached-wheel.js';
import { FILES_DIR } from './cached-wheel.js';
import { rewriteShebang, scriptText } from './entry-points.js';
import type { EnvDirs } from './env-dirs.js';
import type { GeneratedStore } from './generated-store.js';
import type { Linker } from './link.js';
import { planWheel, rootTemplate, type RootTemplate } from './placement.js';
import { comparePaths, recordHash, recordLine, type RecordRow } from './record.js';
import type { InstallTarget } from './types.js';

export interface WheelInstallInput {
  readonly cacheEntryDir: string;
  readonly entry: CachedWheel;
  readonly requested: boolean;
  /** PEP 610 content, or undefined for none. */
  readonly directUrl: object | undefined;
}

const UMASK = process.umask();

/** Creates `dest` with `content`; never writes through a file or link already there (renames over it). */
export function writeFresh(dest: string, content: string | Uint8Array, mode: number): void {
  let fd: number;
  try {
    fd = openSync(dest, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const tmp = `${dest}.envbuild-${randomBytes(4).toString('hex')}`;
    writeFresh(tmp, content, mode);
    renameSync(tmp, dest);
    return;
  }
  try {
    if ((mode & UMASK) !== 0) fchmodSync(fd, mode);
    if (content.length > 0) writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
  } finally {
    closeSync(fd);
  }
}

/** Returns every absolute path written, RECORD last. */
export function installCachedWheel(input: WheelInstallInput, target: InstallTarget, dirs: EnvDirs, linker: Linker, store: GeneratedStore | undefined): string[] {
  const { entry } = input;
  const plan = planWheel(entry, target);
  const template = rootTemplate(entry);
  const rows: RecordRow[] = [];
  const written: string[] = [];
  const rel = (p: string) => path.relative(plan.libDir, p).split(path.sep).join('/');
  const source = `${input.cacheEntryDir}${path.sep}${FILES_DIR}${path.sep}`;
  const lib = `${plan.libDir}${path.sep}`;
  const native = (posix: string) => (path.sep === '/' ? posix : posix.split('/').join(path.sep));
  // Only wheels whose every file is the same in every environment have a shareable RECORD.
  let perEnvironment = plan.scripts.length > 0;

  dirs.ensureSync(plan.libDir);
  for (const d of template.dirs) dirs.ensureSync(lib + native(d));
  for (const { file } of template.files) {
    const dest = lib + native(file.path);
    linker.linkSync(source + file.path, dest);
    written.push(dest);
  }
  let lastDir = '';
  for (const { file, dest, how } of plan.placements) {
    const dir = path.dirname(dest);
    if (dir !== lastDir) dirs.ensureSync(dir);
    lastDir = dir;
    if (how === 'link') {
      linker.linkSync(source + file.path, dest);
      rows.push({ path: rel(dest), hash: file.hash, size: String(file.size) });
    } else {
      perEnvironment = true;
      const original = readFileSync(source + file.path);
      const content = rewriteShebang(original, target.python) ?? original;
      writeFresh(dest, content, 0o755);
      rows.push({ path: rel(dest), hash: recordHash(content), size: String(content.length) });
    }
    written.push(dest);
  }
  for (const { point, dest } of plan.scripts) {
    dirs.ensureSync(path.dirname(dest));
    const text = Buffer.from(scriptText(point, target.python));
    writeFresh(dest, text, 0o755);
    rows.push({ path: rel(dest), hash: recordHash(text), size: String(text.length) });
    written.push(dest);
  }
  dirs.ensureSync(plan.distInfoDir);
  const generated: [string, string][] = [['INSTALLER', 'envbuild\n']];
  if (input.requested) generated.push(['REQUESTED', '']);
  if (input.directUrl !== undefined) generated.push(['direct_url.json', JSON.stringify(input.directUrl)]);
  const distInfoRel = rel(plan.distInfoDir);
  // Shared only when the files are shared too: `copy` promises each environment its own bytes.
  const shared = linker.used === 'hardlink' ? store : undefined;
  for (const [name, text] of generated) {
    const dest = path.join(plan.distInfoDir, name);
    const bytes = Buffer.from(text);
    place(shared, dest, bytes);
    rows.push({ path: `${distInfoRel}/${name}`, hash: recordHash(bytes), size: String(bytes.length) });
    written.push(dest);
  }
  const recordFile = path.join(plan.distInfoDir, 'RECORD');
  rows.push({ path: `${distInfoRel}/RECORD`, hash: '', size: '' });
  place(perEnvironment ? undefined : shared, recordFile, Buffer.from(mergeRecord(template, rows)));
  written.push(recordFile);
  return written;
}

/** RECORD text: the template's sorted lines merged with this environment's few rows. */
function mergeRecord(template: RootTemplate, rows: RecordRow[]): string {
  rows.sort((a, b) => comparePaths(a.path, b.path));
  const out: string[] = [];
  let i = 0;
  for (const { file, line } of template.files) {
    while (i < rows.length && comparePaths((rows[i] as RecordRow).path, file.path) < 0) out.push(recordLine(rows[i++] as RecordRow));
    out.push(line);
  }
  while (i < rows.length) out.push(recordLine(rows[i++] as RecordRow));
  return out.join('');
}

/** A generated file: hard-linked from the content-addressed store when there is one, else written. */
function place(store: GeneratedStore | undefined, dest: string, bytes: Buffer): void {
  if (store === undefined || !store.linkSync(bytes, dest)) writeFresh(dest, bytes, 0o644);
}
