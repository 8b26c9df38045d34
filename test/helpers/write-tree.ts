/**
 * A minimal writer of rendered tree entries, for isolation tests only (the real materialiser is
 * src/layout's): enough to put an overlay into a hand-made environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { joinInside } from '../../src/layout/safe-path.js';
import type { TreeEntry } from '../../src/layout/tree.js';

export function writeTree(root: string, entries: readonly TreeEntry[]): void {
  for (const e of entries) {
    if (path.isAbsolute(e.path) || e.path.split('/').includes('..')) throw new Error(`entry escapes the root: ${e.path}`);
    const p = joinInside(root, e.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    switch (e.kind) {
      case 'dir':
        fs.mkdirSync(p, { recursive: true });
        break;
      case 'file':
        fs.writeFileSync(p, e.content, { mode: e.mode ?? 0o644 });
        break;
      case 'symlink':
        fs.rmSync(p, { force: true });
        fs.symlinkSync(e.target, p);
        break;
      case 'copy':
        fs.copyFileSync(e.source, p);
        break;
    }
  }
}

/**
 * A PEP 405 environment written by hand, as design.md §4 describes: `bin/python` → the real
 * binary, pyvenv.cfg without system site packages, an empty site-packages.
 */
export function writeMiniVenv(root: string, python: { executable: string; version: string; sitePackages: string }): string {
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(root, python.sitePackages), { recursive: true });
  const bin = path.join(root, 'bin', 'python');
  fs.symlinkSync(python.executable, bin);
  fs.writeFileSync(
    path.join(root, 'pyvenv.cfg'),
    `home = ${path.dirname(python.executable)}\ninclude-system-site-packages = false\nversion = ${python.version}\nexecutable = ${python.executable}\n`,
  );
  return bin;
}
