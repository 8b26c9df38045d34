import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './user-error.js';

/**
 * What a failed system call means to a user: a full disk, a read-only mount, a directory
 * where envbuild expects a file are facts about the machine, not bugs in envbuild. Each is
 * told as what happened, where (the path of the call), and what to do. Codes not listed
 * here stay internal errors: they may well be bugs.
 */
const MEANINGS: Readonly<Record<string, { readonly what: string; readonly hint: string }>> = {
  ENOSPC: { what: 'no space left on the device', hint: 'free some space on the disk that holds this path (or use another place), then run the same command again' },
  EDQUOT: { what: 'disk quota exceeded', hint: 'free some space within your quota (or use another place), then run the same command again' },
  EROFS: {
    what: 'the file system is read-only',
    hint: 'envbuild writes its environments and .envbuild/ beside the manifest: run it where that is writable, or remount the file system read-write',
  },
  EISDIR: {
    what: 'a directory stands where envbuild expects a file',
    hint: 'move the directory at this path away (envbuild never deletes what it did not create), then run again',
  },
  ENOTDIR: {
    what: 'a part of this path is not a directory (a file or a symbolic link to a file is in the way)',
    hint: 'move what is in the way aside; an environment directory must be a real directory, not a symbolic link',
  },
  ENAMETOOLONG: { what: 'the path is too long for the file system', hint: 'use a shorter path or file name (most file systems allow 255 bytes per name)' },
  ELOOP: { what: 'too many levels of symbolic links (a link loop?)', hint: 'fix the symbolic links on this path' },
  EACCES: { what: 'permission denied', hint: 'check the permissions of this path and its parent directories, or run as a user who may write there' },
  EPERM: { what: 'operation not permitted', hint: 'check the permissions and attributes (e.g. immutable) of this path' },
  EMFILE: { what: 'too many open files', hint: 'raise the limit of open files (ulimit -n) and run again' },
  EIO: { what: 'input/output error from the device', hint: 'check the disk (dmesg) and run again' },
  ETXTBSY: { what: 'the file is a program that is running', hint: 'stop the program using it, then run again' },
  EXDEV: { what: 'a rename across file systems', hint: 'keep the environment on the same file system as its parent directory' },
};

/** A UserError for an errno failure with a known meaning, or undefined for anything else. */
export function userErrorFromErrno(e: unknown): UserError | undefined {
  if (!(e instanceof Error)) return undefined;
  const { path, dest, syscall } = e as NodeJS.ErrnoException & { dest?: string };
  const code = realCode(e as NodeJS.ErrnoException);
  if (code === undefined) return undefined;
  const meaning = MEANINGS[code];
  if (!meaning) return undefined;
  const where = path ? (dest ? `${path} → ${dest}` : path) : undefined;
  const message = where ? `${where}: ${meaning.what}${syscall ? ` (${syscall}, ${code})` : ` (${code})`}` : `${meaning.what} (${code})`;
  return new UserError(code, message, { hint: meaning.hint, cause: e });
}

/**
 * Node's recursive mkdir reports ENOENT where the file system refused the write (EROFS,
 * EACCES): the nearest existing ancestor tells which.
 */
function realCode(e: NodeJS.ErrnoException): string | undefined {
  if (typeof e.code !== 'string') return undefined;
  if (e.code !== 'ENOENT' || e.syscall !== 'mkdir' || typeof e.path !== 'string') return e.code;
  let dir = dirname(e.path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
  } catch (denied) {
    const why = (denied as NodeJS.ErrnoException).code;
    if (why === 'EROFS' || why === 'EACCES') return why;
  }
  return e.code;
}
