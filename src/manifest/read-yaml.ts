import {
  Composer,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Parser,
  Scalar,
  YAMLParseError,
  type Alias,
  type CST,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import type { SourceLocation } from '../errors/diagnostic.js';
import { code } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import { bytePosition, findInvalidUtf8 } from './invalid-utf8.js';
import type { MapEntry, MapNode, ScalarValue, SourceNode } from './source-tree.js';

/**
 * How many values aliases may add to a document beyond those written in it, whatever its
 * size: a hand-written manifest repeating a few settings stays far below. Past that, the
 * aliases may add at most as many values as are written, so expanding a manifest can at
 * most double it. This measures what yaml's own guard (`maxAliasCount`, a count of alias
 * uses) misses: ninety aliases of a list of 200 000 numbers pass that guard and expand a
 * 1.5 MB file into 18 million values, which exhausts the heap.
 */
export const MIN_ALIAS_EXPANSION = 10_000;

/** Deeper than any real manifest, shallow enough that walking it cannot exhaust the stack. */
const MAX_DEPTH = 64;

/**
 * Parses one manifest file into a source tree, reporting every problem to `diagnostics`.
 * Returns undefined when the file cannot be interpreted at all (bad encoding, broken YAML,
 * an alias bomb, not a mapping), so that no schema errors pile up on top of a syntax error.
 */
export function parseManifestFile(file: string, bytes: Uint8Array, diagnostics: Diagnostics): MapNode | undefined {
  const text = decodeUtf8(file, bytes, diagnostics);
  if (text === undefined) return undefined;
  if (!checkCharacters(file, text, diagnostics)) return undefined;

  const at = positions(file, text);
  // What parseDocument does, in two steps: yaml builds its syntax tree iteratively but
  // composes values recursively, so nesting is measured in between, before a pathological
  // document can overflow the stack.
  const tokens = [...new Parser().parse(text)];
  const syntax = inspectSyntax(tokens);
  if (syntax.tooDeep !== undefined) {
    diagnostics.error(`values are nested more than ${MAX_DEPTH} levels deep`, at(syntax.tooDeep), {
      hint: 'a manifest needs a few levels of nesting, not dozens: flatten the value',
    });
    return undefined;
  }
  const doc = composeOne(tokens, text.length);

  const problems = [...doc.errors, ...doc.warnings];
  reportYamlProblems(problems, syntax.unclosed, at, diagnostics);
  // An unresolved tag is only a warning to yaml, which then reads the value untagged; here
  // it is as fatal as a syntax error, rather than a value of another type than written.
  if (doc.errors.length > 0 || problems.some((p) => p.code === 'TAG_RESOLVE_FAILED')) return undefined;

  if (doc.contents === null) {
    diagnostics.error('the manifest is empty', { file, line: 1, col: 1 }, {
      hint: 'a manifest starts with `envbuild: 1` and declares its environments under `environments:`',
    });
    return undefined;
  }

  const aliases = measureAliases(doc);
  if (aliases.expanded - aliases.written > Math.max(MIN_ALIAS_EXPANSION, aliases.written)) {
    const worst = aliases.largest;
    diagnostics.error(
      `YAML aliases expand too much${worst ? ` (${code(`*${worst.alias.source}`)} alone stands for ${worst.size} values)` : ''}: refusing what looks like an alias bomb`,
      at(worst?.alias.range?.[0]),
      { hint: 'aliases may repeat a value, not multiply it; write the values out, or share settings with `defaults` or `extends`' },
    );
    return undefined;
  }

  const builder = new TreeBuilder(text, at, diagnostics);
  const root = builder.build(doc.contents, { file, line: 1, col: 1 }, 0);
  // A value lost to a bad alias or an unsupported node would only come back as a misleading
  // "expected a string, got nothing" from the schema.
  if (builder.lostValues) return undefined;
  if (root.kind !== 'map') {
    diagnostics.error(
      `the manifest must be a mapping of keys to values, got ${root.kind === 'seq' ? 'a list' : 'a single value'}`,
      root.at,
      { hint: 'a manifest starts with `envbuild: 1` and declares its environments under `environments:`' },
    );
    return undefined;
  }
  return root;
}

/**
 * Offset → line and column, from the text itself. Not yaml's LineCounter: it learns line
 * breaks from the lexer, which does not report those inside a plain value it reads while
 * recovering from an error, so the lines of later errors came out too low (a column then
 * pointed past the end of its line).
 */
function positions(file: string, text: string): (offset: number | undefined) => SourceLocation {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset = 0) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  };
}

function decodeUtf8(file: string, bytes: Uint8Array, diagnostics: Diagnostics): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = Math.max(0, findInvalidUtf8(bytes));
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    diagnostics.error(`the file is not valid UTF-8 (byte 0x${byte})`, { file, ...bytePosition(bytes, offset) }, {
      hint: 'save the manifest as UTF-8 (it was probably written as Latin-1 or another legacy encoding)',
    });
    return undefined;
  }
}

/**
 * Characters YAML does not allow in a stream (outside its `c-printable` set): C0 controls
 * but tab, line feed and carriage return; DEL; C1 controls but NEL; U+FFFE and U+FFFF. yaml
 * itself lets them through, into keys and values, where they print as nothing or garble a
 * terminal. A NUL byte usually means a binary or corrupted file.
 */
const NOT_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

function checkCharacters(file: string, text: string, diagnostics: Diagnostics): boolean {
  const match = NOT_PRINTABLE.exec(text);
  if (!match) return true;
  const codePoint = `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  diagnostics.error(
    `the file contains a control character (${codePoint}${codePoint === 'U+0000' ? ', a NUL byte' : ''}), which YAML does not allow`,
    positions(file, text)(match.index),
    { hint: 'remove it; to put a special character in a value, write it as an escape in double quotes, e.g. "\\t" or "\\x1b"' },
  );
  return false;
}

/** After a few, YAML syntax errors are mostly echoes of the first ones. */
const MAX_YAML_ERRORS = 10;

function reportYamlProblems(
  problems: readonly YAMLError[],
  unclosed: Unclosed | undefined,
  at: (offset: number) => SourceLocation,
  diagnostics: Diagnostics,
): void {
  // yaml's composer recurses per nesting level and turns the stack overflow of a
  // pathologically nested document into one error per remaining character. inspectSyntax
  // refuses such documents first; this stays as the guard should a deep one get through.
  const overflow = problems.find((p) => /call stack/i.test(p.message));
  if (overflow) {
    diagnostics.error('values are nested too deeply to read', at(overflow.pos[0]));
    return;
  }
  // A quote or bracket left open swallows what follows it: what yaml then finds wrong
  // there (often far below, at the end of the file) is an echo of it. Reported at the
  // opening instead, with what came before.
  const relevant = unclosed ? problems.filter((p) => p.pos[0] < unclosed.offset) : problems;
  if (unclosed) reportUnclosed(unclosed, at, diagnostics);
  // One problem per line: yaml often finds two or three ways in which one line is wrong.
  const lines = new Set<number>();
  // Once yaml has closed the document early (a line indented less than the document's
  // first), it reports each later token as unexpected "in YAML stream": the first says it.
  let streamEnded = false;
  const sorted = [...relevant]
    .sort((a, b) => a.pos[0] - b.pos[0])
    .filter((p) => {
      const afterEnd = isAfterDocumentEnd(p);
      if (afterEnd && streamEnded) return false;
      streamEnded ||= afterEnd;
      const line = at(p.pos[0]).line;
      if (lines.has(line)) return false;
      lines.add(line);
      return true;
    });
  for (const problem of sorted.slice(0, MAX_YAML_ERRORS)) reportYamlProblem(problem, at(problem.pos[0]), diagnostics);
  const rest = sorted.slice(MAX_YAML_ERRORS);
  if (rest[0]) {
    diagnostics.error(`… and ${rest.length} more YAML problem${rest.length === 1 ? '' : 's'} after this point`, at(rest[0].pos[0]), {
      hint: 'fix the first ones: the rest often follow from them',
    });
  }
}

function reportYamlProblem(problem: YAMLError, at: SourceLocation, diagnostics: Diagnostics): void {
  const message = problem.message.split('\n')[0] ?? problem.message;
  switch (problem.code) {
    case 'MULTIPLE_DOCS':
      diagnostics.error('a manifest is one YAML document, but a second one starts here', at, {
        hint: 'remove the `---` line; to combine manifests, use `extends`',
      });
      return;
    case 'TAG_RESOLVE_FAILED':
      // yaml names `!!x` by its full form; the user wrote `!!x`.
      diagnostics.error(`unsupported YAML tag: ${message.replace(/^Unresolved tag:\s*/, '').replace(/^tag:yaml\.org,2002:/, '!!')}`, at, {
        hint: 'a manifest holds plain strings, numbers, booleans, lists and mappings; remove the tag',
      });
      return;
    default: {
      const { words, hint } = explainYamlProblem(problem, message);
      diagnostics.error(`YAML syntax error: ${words}`, at, hint ? { hint } : {});
    }
  }
}

/** yaml's message (in words, where it names its tokens instead) and what usually causes it. */
function explainYamlProblem(problem: YAMLError, message: string): { words: string; hint: string | undefined } {
  if (isAfterDocumentEnd(problem)) {
    return {
      words: message,
      hint: 'the document ended above this line: is a line before it indented more than it should be? (the top level starts in column 1)',
    };
  }
  if (/^Unexpected block-seq-ind on same line with key$/.test(message)) {
    return {
      words: 'a list item (`- `) cannot start on the line of a key',
      hint: 'a list goes on the lines below its key, each item starting with `- `',
    };
  }
  return { words: message, hint: YAML_HINTS[problem.code] };
}

/** yaml's sign that it closed the document before this token, and reads it as stray. */
function isAfterDocumentEnd(problem: YAMLError): boolean {
  return problem.code === 'UNEXPECTED_TOKEN' && /in YAML stream|at node end/.test(problem.message);
}

/** What usually causes yaml's errors in a hand-written manifest. */
const YAML_HINTS: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'indent with spaces',
  BAD_INDENT: 'indent the keys of one mapping by the same number of spaces, and nested values by more than their key',
  BLOCK_AS_IMPLICIT_KEY:
    'a value holding `: ` (or a list item on a key\'s line) must be quoted, e.g. `key: "a: b"`; a list goes on the lines below its key',
  MULTILINE_IMPLICIT_KEY: 'a key and its `:` are on one line, and `:` is followed by a space: `key: value`',
  BAD_SCALAR_START: 'quote a value that starts with a special character, e.g. `prompt: "@app"`',
  BAD_DQ_ESCAPE: 'in double quotes a backslash starts an escape; write `\\\\` for a backslash, or use single quotes',
  BAD_DIRECTIVE: 'remove the `%` line: a manifest needs no YAML directives',
  KEY_OVER_1024_CHARS: 'a key is at most 1024 characters long; if this is a value, is a `:` missing on the line above?',
};

/** A quote or a flow collection (`[`, `{`) never closed. */
interface Unclosed {
  readonly offset: number;
  readonly opening: string;
  readonly closing: string;
}

function reportUnclosed(unclosed: Unclosed, at: (offset: number) => SourceLocation, diagnostics: Diagnostics): void {
  const { opening, closing } = unclosed;
  const what = opening === '"' || opening === "'" ? `the ${opening} quote opened here` : `the ${code(opening)} opened here`;
  diagnostics.error(`YAML syntax error: ${what} is never closed`, at(unclosed.offset), {
    hint:
      opening === '"' || opening === "'"
        ? `add the closing ${closing}: as written, the value runs on over the lines below`
        : `close it with ${code(closing)}; a value in brackets may span lines, but then its lines are indented more than its key`,
  });
}

/**
 * The first document of the stream, as parseDocument returns it: a second document is an
 * error (a manifest is one document). Duplicate keys are found while building the tree
 * instead, where `1:` and `"1":` (one key once converted) are caught too and the message can
 * name the key.
 */
function composeOne(tokens: readonly CST.Token[], length: number): Document.Parsed {
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) {
      doc = next;
    } else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  // compose(…, forceDoc = true) always yields at least one document.
  if (!doc) throw new Error('yaml composed no document');
  return doc;
}

interface SyntaxFindings {
  /** Offset of the first collection nested more than MAX_DEPTH deep. */
  readonly tooDeep: number | undefined;
  /** The first quote or bracket never closed. */
  readonly unclosed: Unclosed | undefined;
}

/**
 * What yaml's syntax tree shows before values are composed: nesting too deep to compose,
 * and quotes or brackets left open (whose errors yaml reports where it gives up, not where
 * the mistake is). Walked with an explicit stack: the point is to survive any depth.
 */
function inspectSyntax(tokens: readonly CST.Token[]): SyntaxFindings {
  const stack: Array<{ token: CST.Token | null | undefined; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  stack.reverse();
  let tooDeep: number | undefined;
  let unclosed: Unclosed | undefined;
  const open = (found: Unclosed): void => {
    if (!unclosed || found.offset < unclosed.offset) unclosed = found;
  };
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { token, depth } = item;
    if (!token) continue;
    switch (token.type) {
      case 'document':
        stack.push({ token: token.value, depth });
        break;
      case 'double-quoted-scalar':
      case 'single-quoted-scalar': {
        const quote = token.type === 'double-quoted-scalar' ? '"' : "'";
        if (token.source.length < 2 || !token.source.endsWith(quote)) open({ offset: token.offset, opening: quote, closing: quote });
        break;
      }
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > MAX_DEPTH) {
          if (tooDeep === undefined || token.offset < tooDeep) tooDeep = token.offset;
          break;
        }
        if (token.type === 'flow-collection' && !token.end.some((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end')) {
          const opening = token.start.source;
          open({ offset: token.offset, opening, closing: opening === '{' ? '}' : ']' });
        }
        for (const entry of token.items) {
          stack.push({ token: 'value' in entry ? entry.value : undefined, depth: depth + 1 });
          stack.push({ token: 'key' in entry ? entry.key : undefined, depth: depth + 1 });
        }
        break;
      }
      default:
        break;
    }
  }
  return { tooDeep, unclosed };
}

interface AliasMeasure {
  /** Nodes as written, each alias counted once. */
  readonly written: number;
  /** Nodes once every alias is replaced by what it names. */
  readonly expanded: number;
  /** The alias that stands for the most values, to point the user at the bomb's fuse. */
  readonly largest: { readonly alias: Alias; readonly size: number } | undefined;
}

/**
 * Counts the document's values as written and as expanded, without expanding anything:
 * one post-order walk with an explicit stack, each alias taking the size of its anchor
 * (an anchor is always complete before an alias to it, except an alias inside its own
 * anchor, which counts once). Sizes are floats: a billion laughs is only a big number here.
 */
function measureAliases(doc: Document): AliasMeasure {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let written = 0;
  let largest: AliasMeasure['largest'];
  interface Frame {
    readonly node: Node;
    readonly children: readonly unknown[];
    next: number;
    total: number;
  }
  const stack: Frame[] = [];
  /** The size of a leaf, or undefined when a frame was opened for a collection. */
  const enter = (node: unknown): number | undefined => {
    written += 1;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const size = (target && sizes.get(target)) ?? 1;
      if (!largest || size > largest.size) largest = { alias: node, size };
      return size;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return 1;
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      sizes.set(node, 1);
      return 1;
    }
    const children: unknown[] = isMap(node) ? node.items.flatMap((pair) => [pair.key, pair.value]) : node.items;
    stack.push({ node, children, next: 0, total: 1 });
    return undefined;
  };

  let expanded = enter(doc.contents) ?? 0;
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if (frame.next < frame.children.length) {
      const size = enter(frame.children[frame.next]);
      frame.next += 1;
      if (size !== undefined) frame.total += size;
      continue;
    }
    stack.pop();
    sizes.set(frame.node, frame.total);
    const parent = stack.at(-1);
    if (parent) parent.total += frame.total;
    else expanded = frame.total;
  }
  return { written, expanded, largest };
}

/**
 * Converts yaml's nodes into a SourceNode tree. Aliases are expanded (the tree has no
 * sharing, so merging can never alter two places at once); values reached through an alias
 * keep the position where the anchored value is written.
 */
class TreeBuilder {
  private readonly anchors = new Map<string, Node>();
  /** Each alias resolves to the anchor defined before it, even when replayed later. */
  private readonly aliasTargets = new Map<Alias, Node | undefined>();
  private readonly expanding = new Set<Node>();
  private replaying = 0;
  /** Set when some value could not be represented and was replaced by null. */
  lostValues = false;

  constructor(
    private readonly text: string,
    private readonly at: (offset: number | undefined) => SourceLocation,
    private readonly diagnostics: Diagnostics,
  ) {}

  build(node: unknown, fallback: SourceLocation, depth: number): SourceNode {
    if (node === null || node === undefined) return { kind: 'scalar', at: fallback, value: null };
    const at = isAlias(node) || isScalar(node) || isMap(node) || isSeq(node) ? this.position(node, fallback) : fallback;

    if (depth > MAX_DEPTH) {
      if (!this.lostValues) this.diagnostics.error(`values are nested more than ${MAX_DEPTH} levels deep`, at);
      return this.lost(at);
    }

    if (isAlias(node)) return this.expandAlias(node, at, depth);
    if (this.replaying === 0 && (isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) {
      this.anchors.set(node.anchor, node);
    }

    if (isScalar(node)) return this.scalar(node, at, fallback);
    if (isSeq(node)) {
      return { kind: 'seq', at, items: node.items.map((item) => this.build(item, at, depth + 1)) };
    }
    if (isMap(node)) {
      const entries = new Map<string, MapEntry>();
      for (const pair of node.items) {
        // `: value` (a stray colon, or a key lost to a typo): yaml reads an empty key, which
        // would be reported as an unknown key `null`.
        if (pair.key === null || (isScalar(pair.key) && pair.key.value === null && pair.key.type === Scalar.PLAIN && pair.key.source === '')) {
          // An empty key's range starts where its line does; the `:` is what to point at.
          const start = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
          const colon = start === undefined ? -1 : this.text.indexOf(':', start);
          const node: unknown = pair.value;
          const where = colon >= 0 ? this.at(colon) : isScalar(node) || isMap(node) || isSeq(node) ? this.position(node, at) : at;
          this.diagnostics.error('a key is missing before this `:`', where, { hint: 'write `name: value`; a line cannot start with `:`' });
          continue;
        }
        const keyNode = isAlias(pair.key) ? this.build(pair.key, at, depth + 1) : undefined;
        const key = keyNode ?? (isScalar(pair.key) ? this.scalar(pair.key, this.position(pair.key, at), at) : undefined);
        const keyAt = key?.at ?? (isMap(pair.key) || isSeq(pair.key) ? this.position(pair.key, at) : at);
        if (!key || key.kind !== 'scalar') {
          this.diagnostics.error('a mapping key must be a plain value such as a name, not a list or a mapping', keyAt);
          this.lostValues = true;
          continue;
        }
        const name = keyText(key.value, key.source);
        const first = entries.get(name);
        if (first) {
          this.diagnostics.error(
            `duplicate key ${code(name)}: it is already set at line ${first.keyAt.line}, col ${first.keyAt.col}`,
            keyAt,
            { hint: 'a key can appear once in a mapping; remove or merge one of them' },
          );
          continue;
        }
        entries.set(name, { keyAt, value: this.build(pair.value, keyAt, depth + 1) });
      }
      return { kind: 'map', at, entries };
    }
    this.diagnostics.error('unsupported YAML node', at);
    return this.lost(at);
  }

  private expandAlias(alias: Alias, at: SourceLocation, depth: number): SourceNode {
    if (!this.aliasTargets.has(alias)) this.aliasTargets.set(alias, this.anchors.get(alias.source));
    const target = this.aliasTargets.get(alias);
    if (!target) {
      this.diagnostics.error(`unknown alias ${code(`*${alias.source}`)}`, at, {
        hint: `define the anchor ${code(`&${alias.source}`)} on a value before the alias that repeats it`,
      });
      return this.lost(at);
    }
    if (this.expanding.has(target)) {
      this.diagnostics.error(`alias ${code(`*${alias.source}`)} is used inside the value it names`, at, {
        hint: 'a value cannot contain itself; an alias may only repeat a value written before it, outside it',
      });
      return this.lost(at);
    }
    this.expanding.add(target);
    this.replaying += 1;
    try {
      return this.build(target, at, depth);
    } finally {
      this.replaying -= 1;
      this.expanding.delete(target);
    }
  }

  private scalar(node: Scalar, at: SourceLocation, fallback: SourceLocation): SourceNode {
    const value: unknown = node.value;
    const plain = node.type === Scalar.PLAIN ? node.source : undefined;
    // `key:` with nothing after it: yaml places the empty value after the colon, but the
    // line to point at is the key's.
    const where = value === null && plain === '' ? fallback : at;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { kind: 'scalar', at: where, value: value satisfies ScalarValue, ...(plain ? { source: plain } : {}) };
    }
    if (typeof value === 'bigint') return { kind: 'scalar', at, value: Number(value) };
    this.diagnostics.error(`unsupported YAML value${node.tag ? ` (tag ${code(node.tag)})` : ''}`, at, {
      hint: 'a manifest holds plain strings, numbers, booleans, lists and mappings',
    });
    return this.lost(at);
  }

  private lost(at: SourceLocation): SourceNode {
    this.lostValues = true;
    return { kind: 'scalar', at, value: null };
  }

  private position(node: { range?: readonly [number, number, number] | null | undefined }, fallback: SourceLocation): SourceLocation {
    return node.range ? this.at(node.range[0]) : fallback;
  }
}

/** Keys are compared as the names users see: `1:` and `"1":` are the same key. */
function keyText(value: ScalarValue, source: string | undefined): string {
  if (typeof value === 'string') return value;
  return source ?? String(value);
}
