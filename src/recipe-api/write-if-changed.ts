/**
 * Writes a file only when its content or mode differ, atomically (a temporary file beside it,
 * then a rename), so a no-op re-apply rewrites nothing and a reader never sees half a file.
 * Part of the recipe API: built-in recipes (file, scripts) and third-party ones share it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface OnDisk {
  readonly content: Uint8Array & { equals(other: Uint8Array): boolean };
  readonly mode: number;
}

/** The regular file at `file`, or undefined when there is none (a directory or link is an error). */
export async function readExisting(file: string): Promise<OnDisk | undefined> {
  let st;
  try {
    st = await lstat(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) throw new Error(`${file} exists and is not a regular file`);
  return { content: await readFile(file), mode: st.mode & 0o7777 };
}

export async function writeIfChanged(file: string, content: string, mode: number): Promise<'written' | 'mode' | 'unchanged'> {
  const existing = await readExisting(file);
  if (existing && existing.content.equals(Buffer.from(content))) {
    if (existing.mode === mode) return 'unchanged';
    await chmod(file, mode);
    return 'mode';
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { mode });
    await chmod(tmp, mode); // writeFile's mode is filtered by the umask
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return 'written';
}
