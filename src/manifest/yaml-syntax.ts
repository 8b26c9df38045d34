/**
 * YAML syntax: the document composed from its tokens after its nesting is measured, and yaml's
 * errors reported in words a manifest author understands, with what usually causes them.
 */
import { Composer, YAMLParseError, type CST, type Document, type YAMLError } from 'yaml';
import type { SourceLocation } from '../errors/diagnostic.js';
import { code } from './describe.js';
import type { Diagnostics } from './diagnostics.js';

/** Deeper than any real manifest, shallow enough that walking it cannot exhaust the stack. */
export const MAX_DEPTH = 64;

/** After a few, YAML syntax errors are mostly echoes of the first ones. */
const MAX_YAML_ERRORS = 10;

export function reportYamlProblems(
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
export function composeOne(tokens: readonly CST.Token[], length: number): Document.Parsed {
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

export interface SyntaxFindings {
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
export function inspectSyntax(tokens: readonly CST.Token[]): SyntaxFindings {
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
