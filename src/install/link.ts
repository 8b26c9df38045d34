/**
 * Putting a cached file into an environment: a copy-on-write clone where the file system can
 * (btrfs, XFS, APFS), else a hard link, else a copy — uv's order. Either way the environment's
 * file has the cache's content without a byte copied, and needs no cache to keep working.
 *
 * The hard-link caveat: a hard-linked file IS the cache's file. Editing one in place (an
 * editor that writes into the same inode, `sed -i` does not) changes it in every environment
 * that links it. pip and envbuild replace files rather than edit them, and files whose content
 * differs per environment (scripts, RECORD, INSTALLER, direct_url.json) are always written, so
 * only a person patching an installed package by hand can hit this; `install-mode: copy`
 * (or ENVBUILD_LINK_MODE=copy) gives each environment its own bytes.
 */
import { constants, copyFileSync, linkSync, unlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import { UserError } from '../errors/user-error.js';
import type { LinkMode } from './types.js';

export type ConcreteLinkMode = Exclude<LinkMode, 'auto'>;

const ORDER: readonly ConcreteLinkMode[] = ['clone', 'hardlink', 'copy'];
/** Errors meaning "this file system (pair) cannot do that", as opposed to a real failure. */
const UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'EPERM', 'EMLINK', 'ENOTTY']);

async function linkOnce(mode: ConcreteLinkMode, src: string, dst: string): Promise<void> {
  // EXCL: never write through a file or symlink already at `dst` (the caller unlinks it).
  if (mode === 'clone') return fs.copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
  if (mode === 'hardlink') return fs.link(src, dst);
  return fs.copyFile(src, dst, constants.COPYFILE_EXCL);
}

function linkOnceSync(mode: ConcreteLinkMode, src: string, dst: string): void {
  if (mode === 'clone') copyFileSync(src, dst, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
  else if (mode === 'hardlink') linkSync(src, dst);
  else copyFileSync(src, dst, constants.COPYFILE_EXCL);
}

/** Reads `install-mode` / `ENVBUILD_LINK_MODE`; undefined when unset. */
export function parseLinkMode(value: string | undefined, source: string): LinkMode | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'auto' || value === 'clone' || value === 'hardlink' || value === 'copy') return value;
  throw new UserError('ELINKMODE', `${source} is "${value}"; expected auto, clone, hardlink or copy`);
}

/**
 * Links files with one mode, found on the first file when `auto` and kept afterwards (a
 * failed clone costs one syscall per run, not per file).
 */
export class Linker {
  private mode: ConcreteLinkMode;
  private readonly forced: boolean;

  constructor(requested: LinkMode) {
    this.forced = requested !== 'auto';
    this.mode = requested === 'auto' ? 'clone' : requested;
  }

  get used(): ConcreteLinkMode {
    return this.mode;
  }

  /** Puts `src` at `dst`, replacing a file (or symlink) already there. */
  async link(src: string, dst: string): Promise<void> {
    let replaced = false;
    for (;;) {
      const mode = this.mode;
      try {
        await linkOnce(mode, src, dst);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST' && !replaced) {
          // unlink, not write-through: `dst` may itself be a hard link into the cache.
          await fs.unlink(dst);
          replaced = true;
          continue;
        }
        this.fallBack(e, mode);
      }
    }
  }

  /**
   * The synchronous form, for linking a whole wheel in one go: one syscall per file on the
   * main thread costs a fraction of the CPU of a thread-pool round trip and a promise per file.
   */
  linkSync(src: string, dst: string): void {
    let replaced = false;
    for (;;) {
      const mode = this.mode;
      try {
        linkOnceSync(mode, src, dst);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && !replaced) {
          unlinkSync(dst);
          replaced = true;
          continue;
        }
        this.fallBack(e, mode);
      }
    }
  }

  /** Moves to the next mode after an "unsupported" error, or rethrows. */
  private fallBack(e: unknown, mode: ConcreteLinkMode): void {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!UNSUPPORTED.has(code)) throw e;
    if (this.forced) {
      throw new UserError('ELINKMODE', `install mode "${mode}" is not supported here (${code})`, {
        hint: mode === 'clone' ? 'clones need btrfs, XFS with reflink or APFS; use hardlink or copy' : 'the cache and the environment must be on one file system for hard links; use copy',
      });
    }
    if (this.mode === mode) this.mode = ORDER[ORDER.indexOf(mode) + 1] ?? 'copy';
    if (mode === 'copy') throw e;
  }
}
