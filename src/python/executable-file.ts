import type { Stats } from 'node:fs';
import { access, constants, realpath, stat } from 'node:fs/promises';

/** The real path of an executable regular file and its stat, or a sentence saying why `file` is not one. */
export async function resolveExecutable(
  file: string,
): Promise<{ ok: true; realPath: string; stats: Stats } | { ok: false; problem: string }> {
  let realPath: string;
  try {
    realPath = await realpath(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' ? 'no such file (or a dangling symlink)' : `cannot resolve it (${code})` };
  }
  let stats: Stats;
  try {
    stats = await stat(realPath);
    if (!stats.isFile()) return { ok: false, problem: realPath === file ? 'not a regular file' : `${realPath} is not a regular file` };
    await access(realPath, constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'EACCES' ? 'not executable' : `cannot read it (${code})` };
  }
  return { ok: true, realPath, stats };
}
