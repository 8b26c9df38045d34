/**
 * Directories inside an environment, made on demand and checked on the disk: a directory is
 * used only when its real path (symlinks resolved) is inside the environment's real root. A
 * symlink planted in an environment (`site-packages/pkg -> /etc`) therefore stops an install
 * before anything is written through it; symlinks that stay inside (venv's `lib64 -> lib`)
 * are fine.
 */
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';

const DOT_STEP = /(^|[\\/])\.\.?([\\/]|$)/;

export function isInside(root: string, p: string): boolean {
  // The common case without path.relative: an absolute path under root with no `.`/`..` step.
  if (p.startsWith(root) && p.charAt(root.length) === path.sep && path.isAbsolute(root) && !DOT_STEP.test(p)) return true;
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export class EnvDirs {
  private readonly checked = new Set<string>();

  private constructor(
    readonly prefix: string,
    private readonly realPrefix: string,
  ) {
    this.checked.add(prefix);
  }

  static async open(prefix: string): Promise<EnvDirs> {
    let real: string;
    try {
      real = await fs.realpath(prefix);
    } catch (e) {
      throw new UserError('EINSTALL', `environment ${prefix} does not exist (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return new EnvDirs(path.resolve(prefix), real);
  }

  /** Refuses a path that is not lexically inside the environment. */
  assertInside(p: string, what: string): void {
    if (!isInside(this.prefix, p)) {
      throw new UserError('EINSTALL', `refusing to write ${p} (${what}): it is outside the environment ${this.prefix}`, {
        hint: 'the wheel is malformed or malicious; nothing was installed from it',
      });
    }
  }

  /**
   * Makes `dir` (and its parents) inside the environment, memoised per run: one `mkdir` per new
   * directory. A directory made here under a checked parent is inside by construction (mkdir
   * never follows a symlink in its last component), and so is an existing real directory there;
   * only a symlink costs a `realpath`.
   */
  ensureSync(dir: string): void {
    if (this.checked.has(dir)) return;
    this.assertInside(dir, 'a directory');
    this.ensureSync(path.dirname(dir));
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = lstatSync(dir);
      if (st.isSymbolicLink()) this.checkReal(dir);
      else if (!st.isDirectory()) throw new UserError('EINSTALL', `refusing to write into ${dir}: it is not a directory`);
    }
    this.checked.add(dir);
  }

  private checkReal(dir: string): void {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (e) {
      // A dangling link (or a loop) is a user's problem to fix, not a crash.
      throw new UserError('EINSTALL', `refusing to write into ${dir}: it is a symbolic link that cannot be followed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
        hint: 'remove the link and run again',
      });
    }
    if (!isInside(this.realPrefix, real)) {
      throw new UserError('EINSTALL', `refusing to write into ${dir}: it resolves to ${real}, outside the environment`, {
        hint: 'a symlink inside the environment points elsewhere; remove it and run again',
      });
    }
    if (!statSync(dir).isDirectory()) {
      throw new UserError('EINSTALL', `refusing to write into ${dir}: it is not a directory`);
    }
  }
}
