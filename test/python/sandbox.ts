import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DiscoveryOptions } from '../../src/python/index.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A temporary world for discovery tests: its own PATH directories, pyenv root and cache, so
 * that nothing depends on this machine's PATH order, pyenv shims, HOME or PYTHON* variables.
 */
export interface Sandbox {
  readonly root: string;
  /** Creates `root/<rel>` (and parents) and returns its path. */
  dir(rel: string): Promise<string>;
  /** A symlink at `root/<rel>` to `target`. */
  link(rel: string, target: string): Promise<string>;
  /** An executable file at `root/<rel>`. */
  script(rel: string, content: string): Promise<string>;
  /**
   * A shell script at `root/<rel>` that appends a line to `log` then execs `target`: every
   * run of the "interpreter" is observable, so a test can prove that none happened.
   */
  wrapper(rel: string, target: string, log: string): Promise<string>;
  /** Lines appended to a wrapper log (0 when it does not exist). */
  runs(log: string): Promise<number>;
  /** Discovery options confined to the sandbox: PATH = `pathDirs`, no pyenv, no system dirs. */
  options(pathDirs: readonly string[], extra?: DiscoveryOptions): DiscoveryOptions;
}

export function useSandbox(): () => Promise<Sandbox> {
  return async () => {
    const root = tempDir('envbuild-python-');
    const at = (rel: string): string => path.join(root, rel);
    const sandbox: Sandbox = {
      root,
      dir: async (rel) => {
        await mkdir(at(rel), { recursive: true });
        return at(rel);
      },
      link: async (rel, target) => {
        await mkdir(path.dirname(at(rel)), { recursive: true });
        await symlink(target, at(rel));
        return at(rel);
      },
      script: async (rel, content) => {
        await mkdir(path.dirname(at(rel)), { recursive: true });
        await writeFile(at(rel), content);
        await chmod(at(rel), 0o755);
        return at(rel);
      },
      wrapper: (rel, target, log) => sandbox.script(rel, `#!/bin/sh\necho "$$" >> '${log}'\nexec '${target}' "$@"\n`),
      runs: async (log) => {
        try {
          return (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '').length;
        } catch {
          return 0;
        }
      },
      options: (pathDirs, extra = {}) => ({
        env: { PATH: pathDirs.join(':'), HOME: root },
        cwd: root,
        cacheDir: at('cache'),
        pyenvRoot: null,
        systemDirs: [],
        ...extra,
      }),
    };
    return sandbox;
  };
}
