/**
 * The one way tests make temporary directories: under the system temp dir, realpath'd (/tmp
 * may be a link, and paths are compared), and always removed. One made inside a test (or its
 * beforeEach) goes when that test ends; one made at file level or in beforeAll goes when the
 * file's tests are done. Removal unlinks symlinks, never what they point to.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

const remove = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

// Each test file evaluates this module afresh (vitest isolates files), so this hook belongs to
// the file that imported it.
const forTheFile: string[] = [];
afterAll(() => forTheFile.splice(0).forEach(remove));

/** A fresh directory, removed after the current test, or after the file outside a test. */
export function tempDir(prefix = 'envbuild-test-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  try {
    onTestFinished(() => remove(dir));
  } catch {
    // Not inside a test (file level, describe, beforeAll): the file's afterAll removes it.
    forTheFile.push(dir);
  }
  return dir;
}
