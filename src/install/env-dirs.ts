/**
 * Directories inside an environment, made on demand and checked on the disk: a directory is
 * used only when its real path (symlinks resolved) is inside the environment's real root. A
 * symlink planted in an environment (`site-packages/pkg -> /etc`) therefore stops an install
 * before anything is written through it; symlinks that stay inside (venv's `lib64 -> lib`)
 * are fine.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export class EnvDirs {
  private readonly checked = new Map<string, Promise<void>>();

  private constructor(
    readonly prefix: string,
    private readonly realPrefix: string,
  ) {}

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

  /** Makes `dir` (and its parents) inside the environment; memoised per run. */
  ensure(dir: string): Promise<void> {
    let pending = this.checked.get(dir);
    if (pending === undefined) {
      pending = this.make(dir);
      this.checked.set(dir, pending);
    }
    return pending;
  }

  private async make(dir: string): Promise<void> {
    this.assertInside(dir, 'a directory');
    if (dir !== this.prefix) {
      try {
        await this.checkReal(dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await this.ensure(path.dirname(dir));
      await fs.mkdir(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
    await this.checkReal(dir);
  }

  private async checkReal(dir: string): Promise<void> {
    const real = await fs.realpath(dir);
    if (!isInside(this.realPrefix, real)) {
      throw new UserError('EINSTALL', `refusing to write into ${dir}: it resolves to ${real}, outside the environment`, {
        hint: 'a symlink inside the environment points elsewhere; remove it and run again',
      });
    }
    if (!(await fs.stat(dir)).isDirectory()) {
      throw new UserError('EINSTALL', `refusing to write into ${dir}: it is not a directory`);
    }
  }
}
