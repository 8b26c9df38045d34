/**
 * Parsed manifest files kept between runs. Reading YAML with positions is the slowest step
 * of loading a large manifest (a third of a second for 1,000 environments), and most runs
 * (plan, a no-op apply, validate) read bytes the previous run already read. A file's source
 * tree depends on nothing but its bytes, its path and this version of envbuild, so the tree is
 * stored under a digest of the three and used only when all three match; it then passes
 * through every check a freshly parsed tree does (format version, schema, defaults). Trees
 * are stored only once a run found no problem at all: a file with problems is read afresh, so
 * its diagnostics are always the parser's own, and a failing run writes nothing.
 *
 * A cache: one slot per manifest path (an edited file replaces its entry), never an error —
 * a missing, unreadable or malformed entry is a miss, a failed write is ignored.
 *
 * An entry stands in for what the user wrote, so it is believed only when signed: each entry
 * starts with an HMAC of the rest under the user's state key (the one that signs the state).
 * Anyone can compute the digest that binds a tree to its file's bytes; only this user's
 * envbuild can sign a tree, so a tree planted in the cache directory is a miss, never a
 * manifest the user did not write. A manifest holding a credential is never stored.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '../errors/diagnostic.js';
import { redactText } from '../secrets/redact.js';
import type { MapEntry, MapNode, ScalarValue, SourceNode } from './source-tree.js';

const FORMAT = 'envbuild-manifest-tree-1';

export class TreeCache {
  private readonly parsed: Array<{ file: string; bytes: Uint8Array; tree: MapNode }> = [];

  constructor(
    /** The directory of the entries (`manifest-trees/` in envbuild's cache directory). */
    private readonly dir: string,
    /** Part of every key: another version may read the same bytes differently. */
    private readonly version: string,
    /**
     * The user's state key: entries are signed with it, and believed only when they verify.
     * Null before the first apply has made it: nothing is read, and `keep` waits for a key.
     */
    private readonly secret: Uint8Array | null,
  ) {}

  /** The tree stored for these bytes at `file`, if any. */
  get(file: string, bytes: Uint8Array): MapNode | undefined {
    if (this.secret === null) return undefined;
    try {
      const text = readFileSync(this.slot(file), 'utf8');
      const newline = text.indexOf('\n');
      if (newline < 0) return undefined;
      const mac = Buffer.from(text.slice(0, newline), 'hex');
      const body = text.slice(newline + 1);
      const expected = mac256(this.secret, body);
      if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
      const stored = JSON.parse(body) as { format?: unknown; key?: unknown; files?: unknown; tree?: unknown };
      if (stored.format !== FORMAT || stored.key !== this.key(file, bytes) || !isStringArray(stored.files)) return undefined;
      const root = decode(stored.tree, stored.files, 0);
      return root.kind === 'map' ? root : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Notes a tree parsed in this run, stored by `keep` — called once the whole command has
   * found nothing wrong, so that a run reporting a problem writes nothing anywhere.
   */
  remember(file: string, bytes: Uint8Array, tree: MapNode): void {
    this.parsed.push({ file, bytes, tree });
  }

  /**
   * Stores the trees `remember` noted, signed with `secret` (default: the key this cache was
   * opened with). Without a key they stay noted, and it returns true: the apply that creates
   * the key stores them once it has (see run-apply.ts), so its first no-op writes nothing.
   */
  keep(secret: Uint8Array | null = this.secret): boolean {
    if (secret === null) return this.parsed.length > 0;
    for (const { file, bytes, tree } of this.parsed.splice(0)) this.set(file, bytes, tree, secret);
    return false;
  }

  /** Stores the tree parsed from these bytes at `file` (atomically: a reader sees the old entry or the new). */
  set(file: string, bytes: Uint8Array, tree: MapNode, secret: Uint8Array): void {
    const slot = this.slot(file);
    const tmp = `${slot}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      const files: string[] = [];
      const encoded = encode(tree, files);
      const body = JSON.stringify({ format: FORMAT, key: this.key(file, bytes), files, tree: encoded });
      // A manifest that holds a credential (an index URL with a password or token) is not
      // copied anywhere: it is parsed afresh each time instead.
      if (redactText(body) !== body) return;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, `${mac256(secret, body).toString('hex')}\n${body}`, { mode: 0o600 });
      renameSync(tmp, slot);
    } catch {
      rmSync(tmp, { force: true });
    }
  }

  private slot(file: string): string {
    return path.join(this.dir, `${digest(file).slice(0, 32)}.json`);
  }

  private key(file: string, bytes: Uint8Array): string {
    // This module's URL as well: a build names its chunks by their content, so a changed
    // parser in a development build does not read trees an earlier build stored.
    return digest(`${FORMAT}\0${this.version}\0${import.meta.url}\0${file}\0`, bytes);
  }
}

function mac256(secret: Uint8Array, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

function digest(...parts: Array<string | Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// The stored form: compact arrays, each location's file as an index into a table.
//   scalar  [0, at, value, source?]    map  [1, at, [key, keyAt, node]...]    seq  [2, at, node...]
//   at      [file index, line, col]    a non-finite or negative-zero number: { n: "NaN" | ... }

type Encoded = unknown[];

function encode(node: SourceNode, files: string[]): Encoded {
  const at = encodeAt(node.at, files);
  switch (node.kind) {
    case 'scalar':
      return node.source === undefined ? [0, at, encodeValue(node.value)] : [0, at, encodeValue(node.value), node.source];
    case 'map':
      return [1, at, ...[...node.entries].flatMap(([key, e]) => [key, encodeAt(e.keyAt, files), encode(e.value, files)])];
    case 'seq':
      return [2, at, ...node.items.map((item) => encode(item, files))];
  }
}

function encodeAt(at: SourceLocation, files: string[]): [number, number, number] {
  let index = files.indexOf(at.file);
  if (index < 0) index = files.push(at.file) - 1;
  return [index, at.line, at.col];
}

function encodeValue(value: ScalarValue): unknown {
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return { n: Object.is(value, -0) ? '-0' : String(value) };
  return value;
}

/** Throws on anything but the stored form (the caller treats that as a miss). */
function decode(value: unknown, files: readonly string[], depth: number): SourceNode {
  if (!Array.isArray(value) || depth > 1000) throw new Error('malformed');
  const at = decodeAt(value[1], files);
  switch (value[0]) {
    case 0: {
      const scalar = decodeValue(value[2]);
      if (value.length === 3) return { kind: 'scalar', at, value: scalar };
      if (value.length === 4 && typeof value[3] === 'string') return { kind: 'scalar', at, value: scalar, source: value[3] };
      throw new Error('malformed');
    }
    case 1: {
      const entries = new Map<string, MapEntry>();
      if ((value.length - 2) % 3 !== 0) throw new Error('malformed');
      for (let i = 2; i < value.length; i += 3) {
        const key: unknown = value[i];
        if (typeof key !== 'string' || entries.has(key)) throw new Error('malformed');
        entries.set(key, { keyAt: decodeAt(value[i + 1], files), value: decode(value[i + 2], files, depth + 1) });
      }
      return { kind: 'map', at, entries };
    }
    case 2:
      return { kind: 'seq', at, items: value.slice(2).map((item: unknown) => decode(item, files, depth + 1)) };
    default:
      throw new Error('malformed');
  }
}

function decodeAt(value: unknown, files: readonly string[]): SourceLocation {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((n) => Number.isInteger(n))) throw new Error('malformed');
  const file = files[value[0] as number];
  if (file === undefined) throw new Error('malformed');
  return { file, line: value[1] as number, col: value[2] as number };
}

function decodeValue(value: unknown): ScalarValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  const n = (value as { n?: unknown } | undefined)?.n;
  if (n === '-0') return -0;
  if (n === 'NaN' || n === 'Infinity' || n === '-Infinity') return Number(n);
  throw new Error('malformed');
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}
