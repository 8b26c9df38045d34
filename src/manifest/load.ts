import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../errors/diagnostic.js';
import { ManifestError, UserError } from '../errors/user-error.js';
import { normaliseEnvironments } from './defaults.js';
import { Diagnostics } from './diagnostics.js';
import { loadLayers } from './extends.js';
import type { PendingSpecifier } from './normalise-context.js';
import { TreeSourceMap } from './source-map.js';
import { TreeCache } from './tree-cache.js';
import { ENVBUILD_VERSION } from '../version.js';
import type { Manifest } from './types.js';
import { validateShape } from './validate.js';
import { checkVersionSpecifiers } from './version-specifier.js';

export interface LoadManifestOptions {
  /** Environment for `${env:NAME}` references (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Use the parsed files kept in this directory when a file's bytes are unchanged (see
   * tree-cache.ts); `keepParsed` in the result stores the ones parsed now. Without it (the
   * default) nothing but the manifests is touched.
   */
  readonly treeCache?: { readonly dir: string; readonly secret: Uint8Array | null };
}

/**
 * Reads, validates and normalises a manifest (with its `extends` bases). Throws
 * ManifestError carrying every problem found, each located at the offending value, or a
 * UserError when the file itself cannot be read. Touches nothing on disk but the manifests.
 */
export async function loadManifest(file: string, options: LoadManifestOptions = {}): Promise<Manifest> {
  const { manifest, diagnostics } = await loadManifestWithProblems(file, options);
  if (diagnostics.some((d) => d.severity === 'error') || !manifest) throw new ManifestError(diagnostics);
  return manifest;
}

/**
 * Like loadManifest, but a manifest with problems is returned too, as far as it could be
 * read (environments the schema rejected in part keep what was valid), with the problems
 * beside it: so that later stages can add theirs and a user sees every problem at once.
 * `manifest` is null only when the YAML itself could not be read.
 */
export async function loadManifestWithProblems(
  file: string,
  options: LoadManifestOptions = {},
): Promise<{ manifest: Manifest | null; diagnostics: Diagnostic[]; keepParsed?: (secret?: Uint8Array) => boolean }> {
  // `${...}` interpolation, the consumer of `env`, is a later stage; the option is part of
  // the signature already so callers do not change when it lands.
  void options;
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const bytes = await readManifest(absolute);

  const diagnostics = new Diagnostics();
  const cache = options.treeCache === undefined ? undefined : new TreeCache(options.treeCache.dir, ENVBUILD_VERSION, options.treeCache.secret);
  const root = await loadLayers(absolute, bytes, diagnostics, cache);
  if (!root) return { manifest: null, diagnostics: diagnostics.sorted() };

  const source = new TreeSourceMap(root);
  await validateShape(root, source, diagnostics);
  const specifiers: PendingSpecifier[] = [];
  const environments = normaliseEnvironments(root, { dir, source, diagnostics, specifiers });
  await checkVersionSpecifiers(specifiers, diagnostics);
  const lockDir = root.entries.get('lock-dir')?.value;
  const locks = root.entries.get('locks')?.value;
  return {
    manifest: {
      file: absolute,
      dir,
      format: 1,
      environments,
      source,
      locks: {
        dir: lockDir?.kind === 'scalar' && typeof lockDir.value === 'string' ? path.resolve(dir, lockDir.value) : dir,
        write: !(locks?.kind === 'scalar' && locks.value === false),
      },
    },
    diagnostics: diagnostics.sorted(),
    // With `treeCache`: stores the files parsed afresh, for a caller whose whole run succeeded
    // (true: they wait for a key to sign them with).
    ...(cache && !diagnostics.hasErrors ? { keepParsed: (secret?: Uint8Array) => cache.keep(secret) } : {}),
  };
}

async function readManifest(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const hints: Readonly<Record<string, string>> = {
      ENOENT: 'check the path; a manifest is usually `env.yaml` at the root of a project',
      EISDIR: 'pass the manifest file inside that directory, e.g. `env.yaml`',
      EACCES: 'check the file\'s permissions',
    };
    const reason = errno === 'ENOENT' ? 'not found' : errno === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new UserError(errno, `cannot read manifest ${file}: ${reason}`, {
      hint: hints[errno] ?? 'check that the file is readable',
      cause: error,
    });
  }
}
