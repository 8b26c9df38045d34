import { constants, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../errors/diagnostic.js';
import { code, describeValue } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import { checkFormatVersion } from './format-version.js';
import { parseManifestFile } from './read-yaml.js';
import { mergeNodes, type MapEntry, type MapNode } from './source-tree.js';
import type { TreeCache } from './tree-cache.js';
import type { KeyPath } from './types.js';

/** An `extends` entry: which file, and where it is asked for (to report a missing base there). */
interface BaseReference {
  readonly file: string;
  readonly at: SourceLocation;
  readonly keyPath: KeyPath;
}

/**
 * Loads a manifest and, recursively, the manifests it `extends`, and merges them: bases in
 * the order listed (later wins), then the file itself on top; mappings merge deeply, lists
 * and scalars replace. Every node keeps the file it came from, so problems are reported in
 * the file that holds the offending value.
 *
 * Contract decisions: every file, bases included, needs `envbuild: 1` (a base is a manifest
 * that may be used on its own, and the header says how to read it); `environments` and each
 * environment's `python` are required only of the merged result, so a base may hold only
 * `defaults` or a few shared parts. `extends` paths are relative to the file that lists them;
 * every other path (an environment's `path`, `search-paths`, allowlisted directories)
 * is relative to the top manifest's directory, as buildout resolves paths in extended files
 * against the buildout directory: a base describes settings, the top manifest places them.
 *
 * Returns undefined when some file could not be interpreted at all (unreadable, broken
 * YAML, an unsupported format, a cycle): validating what is left would only report
 * consequences of that problem.
 */
export async function loadLayers(
  file: string,
  bytes: Uint8Array,
  diagnostics: Diagnostics,
  cache?: TreeCache,
): Promise<MapNode | undefined> {
  const loader = new LayerLoader(path.dirname(file), diagnostics, cache);
  const merged = await loader.layered(file, bytes, [], undefined);
  return loader.complete ? merged : undefined;
}

class LayerLoader {
  complete = true;
  /** Each file's own tree by real path: a base reached twice (a diamond) is parsed and reported once. */
  private readonly trees = new Map<string, MapNode | undefined>();
  /**
   * Each file's merged layers by real path. A base reached by many paths (a diamond, or a
   * chain of them: 2^depth paths) is merged once; its result does not depend on the way in.
   * A cycle through a memoised file was already reported when it was first merged.
   */
  private readonly layers = new Map<string, MapNode | undefined>();

  constructor(
    private readonly topDir: string,
    private readonly diagnostics: Diagnostics,
    private readonly cache?: TreeCache,
  ) {}

  async layered(
    file: string,
    bytes: Uint8Array | undefined,
    chain: readonly string[],
    via: BaseReference | undefined,
  ): Promise<MapNode | undefined> {
    // Identity by real path, so a cycle through a symlink is still a cycle.
    const real = await realpath(file).catch(() => file);

    if (chain.includes(real)) {
      const names = [...chain, real].slice(chain.indexOf(real)).map((f) => this.displayName(f));
      this.diagnostics.error(`\`extends\` cycle: ${names.join(' → ')}`, via?.at, {
        ...(via ? { keyPath: via.keyPath } : {}),
        hint: 'a manifest cannot extend itself, directly or through its bases; remove one of these `extends` entries',
      });
      return this.incomplete();
    }

    if (this.layers.has(real)) return this.layers.get(real) ?? this.incomplete();
    const merged = await this.merge(file, real, bytes, chain, via);
    this.layers.set(real, merged);
    return merged;
  }

  private async merge(file: string, real: string, bytes: Uint8Array | undefined, chain: readonly string[], via: BaseReference | undefined): Promise<MapNode | undefined> {
    if (!this.trees.has(real)) {
      const contents = bytes ?? (await this.readBase(file, via));
      this.trees.set(real, contents && this.parse(file, contents));
    }
    const root = this.trees.get(real);
    if (!root) return this.incomplete();

    const bases = this.baseReferences(file, root);
    if (!bases) return this.incomplete();
    let below: MapNode | undefined;
    for (const base of bases) {
      const layer = await this.layered(base.file, undefined, [...chain, real], base);
      if (layer) below = below ? mergeMaps(below, layer) : layer;
    }
    const own = withoutHeader(root);
    return below ? mergeMaps(below, own) : own;
  }

  private parse(file: string, contents: Uint8Array): MapNode | undefined {
    const before = this.diagnostics.count;
    let root = this.cache?.get(file, contents);
    if (!root) {
      root = parseManifestFile(file, contents, this.diagnostics);
      if (root && this.diagnostics.count === before) this.cache?.remember(file, contents, root);
    }
    if (!root) return undefined;
    return checkFormatVersion(root, this.diagnostics) ? root : undefined;
  }

  private async readBase(file: string, via: BaseReference | undefined): Promise<Uint8Array | undefined> {
    try {
      return await readRegularFile(file);
    } catch (error) {
      if (error instanceof NotAFile) {
        const hint = error.kind === 'directory' ? 'name the YAML file inside it' : '`extends` names manifest files (YAML), never a pipe, device or socket';
        this.diagnostics.error(`base manifest ${code(this.displayName(file))} is ${error.kind === 'directory' ? 'a directory' : `not a regular file but a ${error.kind}`}`, via?.at, {
          ...(via ? { keyPath: via.keyPath } : {}),
          hint,
        });
        return undefined;
      }
      const reason = (error as NodeJS.ErrnoException).code;
      const name = code(this.displayName(file));
      const [message, hint] =
        reason === 'ENOENT'
          ? [`base manifest ${name} not found`, `\`extends\` paths are relative to the file that lists them; looked for ${file}`]
          : reason === 'EISDIR'
            ? [`base manifest ${name} is a directory`, 'name the YAML file inside it']
            : [`cannot read base manifest ${name}: ${(error as Error).message}`, 'check the file\'s permissions'];
      this.diagnostics.error(message, via?.at, { ...(via ? { keyPath: via.keyPath } : {}), hint });
      return undefined;
    }
  }

  /** The `extends` entries of one file, or undefined when the key is malformed. */
  private baseReferences(file: string, root: MapNode): BaseReference[] | undefined {
    const entry = root.entries.get('extends');
    if (!entry) return [];
    const dir = path.dirname(file);
    const one = (node: MapEntry['value'], keyPath: KeyPath): BaseReference | undefined => {
      if (node.kind === 'scalar' && typeof node.value === 'string' && node.value !== '') {
        return { file: path.resolve(dir, node.value), at: node.at, keyPath };
      }
      const got = node.kind === 'scalar' ? describeValue(node.value) : node.kind === 'seq' ? 'a list' : 'a mapping';
      this.diagnostics.error(`expected the path of a base manifest, got ${got}`, node.at, {
        keyPath,
        hint: 'write `extends: base.yaml` or `extends: [a.yaml, b.yaml]`',
      });
      return undefined;
    };
    const listed = entry.value.kind === 'seq'
      ? entry.value.items.map((item, i) => one(item, ['extends', i]))
      : [one(entry.value, ['extends'])];
    const valid = listed.filter((b): b is BaseReference => b !== undefined);
    return valid.length === listed.length ? valid : undefined;
  }

  private displayName(file: string): string {
    const relative = path.relative(this.topDir, file);
    return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  }

  private incomplete(): undefined {
    this.complete = false;
    return undefined;
  }
}

/** A base that is not a regular file: reading a FIFO would block forever, a device may never end. */
class NotAFile extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

/** Bigger than any hand-written manifest; a base this large is something else. */
const MAX_BASE_BYTES = 8 * 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/**
 * Reads a base manifest only if it is a regular file: checked before opening (a device is
 * never opened), and again on the open handle (opened non-blocking, so a FIFO swapped in
 * between cannot hang the run).
 */
async function readRegularFile(file: string): Promise<Uint8Array> {
  const before = await stat(file);
  if (!before.isFile()) throw new NotAFile(kindOf(before));
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotAFile(kindOf(st));
    if (st.size > MAX_BASE_BYTES) throw new Error(`it is ${st.size} bytes, more than a manifest can be (${MAX_BASE_BYTES})`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function mergeMaps(lower: MapNode, upper: MapNode): MapNode {
  const merged = mergeNodes(lower, upper);
  return merged.kind === 'map' ? merged : upper;
}

/** `envbuild` and `extends` describe one file, not the merged manifest. */
function withoutHeader(root: MapNode): MapNode {
  const entries = new Map(root.entries);
  entries.delete('envbuild');
  entries.delete('extends');
  return { kind: 'map', at: root.at, entries };
}
