/**
 * Temporary directories for tests, under the system temp dir and realpath'd (/tmp may be a
 * link, and paths are compared). Removal unlinks symlinks, never what they point to.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

export interface ScratchDir {
  readonly dir: string;
  cleanup(): void;
}

/** A fresh directory the caller removes with `cleanup` (for one shared by a file's tests). */
export function scratchDir(prefix = 'envbuild-test-'): ScratchDir {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh directory removed when the current test ends (call it inside a test). */
export function tempDir(prefix = 'envbuild-test-'): string {
  const { dir, cleanup } = scratchDir(prefix);
  onTestFinished(cleanup);
  return dir;
}
