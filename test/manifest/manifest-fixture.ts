import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Diagnostic, SourceLocation } from '../../src/errors/diagnostic.js';
import { ManifestError } from '../../src/errors/user-error.js';
import { loadManifest } from '../../src/manifest/index.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A temp directory holding manifest files, written as given (strings as UTF-8, bytes as is). */
export function manifestDir(files: Record<string, string | Uint8Array>): {
  readonly dir: string;
  path(name: string): string;
  at(name: string, line: number, col: number): SourceLocation;
} {
  const dir = tempDir('envbuild-manifest-');
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return {
    dir,
    path: (name) => path.join(dir, name),
    at: (name, line, col) => ({ file: path.join(dir, name), line, col }),
  };
}

/** Loads a manifest expected to be invalid and returns its diagnostics. */
export async function problemsOf(file: string): Promise<readonly Diagnostic[]> {
  const error: unknown = await loadManifest(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestError);
  return (error as ManifestError).diagnostics;
}

/** The one diagnostic a manifest with one problem must produce: cascades are bugs. */
export async function onlyProblemOf(file: string): Promise<Diagnostic> {
  const problems = await problemsOf(file);
  expect(problems, problems.map((p) => p.message).join('\n')).toHaveLength(1);
  return problems[0] as Diagnostic;
}
