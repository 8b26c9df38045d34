/**
 * Installs one cached wheel into an environment: links its files, writes what differs per
 * environment (entry-point scripts, rewritten `#!python` scripts, INSTALLER, REQUESTED,
 * direct_url.json) and finally RECORD, so that a distribution with a RECORD is complete.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CachedWheel } from './cached-wheel.js';
import { FILES_DIR } from './cached-wheel.js';
import { rewriteShebang, scriptText } from './entry-points.js';
import type { EnvDirs } from './env-dirs.js';
import type { Linker } from './link.js';
import { planWheel } from './placement.js';
import { formatRecord, recordHash, type RecordRow } from './record.js';
import type { InstallTarget } from './types.js';

/** How many files are linked at once: enough to keep libuv's thread pool busy. */
const FILE_CONCURRENCY = 32;

export interface WheelInstallInput {
  readonly cacheEntryDir: string;
  readonly entry: CachedWheel;
  readonly requested: boolean;
  /** PEP 610 content, or undefined for none. */
  readonly directUrl: object | undefined;
}

/** Writes `content` beside `dest` and renames it over: never writes through a link. */
async function writeFresh(dest: string, content: string | Buffer, mode: number): Promise<void> {
  const tmp = `${dest}.envbuild-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, content, { mode });
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, dest);
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** Returns every absolute path written, RECORD last. */
export async function installCachedWheel(input: WheelInstallInput, target: InstallTarget, dirs: EnvDirs, linker: Linker): Promise<string[]> {
  const { entry } = input;
  const plan = planWheel(entry, target);
  const rows: RecordRow[] = [];
  const written: string[] = [];
  const rel = (p: string) => path.relative(plan.libDir, p).split(path.sep).join('/');
  const record = (dest: string, hash: string, size: number) => {
    rows.push({ path: rel(dest), hash, size: String(size) });
    written.push(dest);
  };
  const source = (p: string) => path.join(input.cacheEntryDir, FILES_DIR, ...p.split('/'));

  await inBatches(plan.placements, FILE_CONCURRENCY, async ({ file, dest, how }) => {
    await dirs.ensure(path.dirname(dest));
    if (how === 'link') {
      await linker.link(source(file.path), dest);
      record(dest, file.hash, file.size);
      return;
    }
    const content = rewriteShebang(await fs.readFile(source(file.path)), target.python) ?? Buffer.alloc(0);
    await writeFresh(dest, content, 0o755);
    record(dest, recordHash(content), content.length);
  });
  for (const { point, dest } of plan.scripts) {
    await dirs.ensure(path.dirname(dest));
    const text = Buffer.from(scriptText(point, target.python));
    await writeFresh(dest, text, 0o755);
    record(dest, recordHash(text), text.length);
  }
  await dirs.ensure(plan.distInfoDir);
  const generated: [string, string][] = [['INSTALLER', 'envbuild\n']];
  if (input.requested) generated.push(['REQUESTED', '']);
  if (input.directUrl !== undefined) generated.push(['direct_url.json', JSON.stringify(input.directUrl)]);
  for (const [name, text] of generated) {
    const dest = path.join(plan.distInfoDir, name);
    const bytes = Buffer.from(text);
    await writeFresh(dest, bytes, 0o644);
    record(dest, recordHash(bytes), bytes.length);
  }
  const recordFile = path.join(plan.distInfoDir, 'RECORD');
  rows.push({ path: rel(recordFile), hash: '', size: '' });
  await writeFresh(recordFile, formatRecord(rows), 0o644);
  written.push(recordFile);
  return written;
}
