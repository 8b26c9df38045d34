import { Parser } from 'yaml';
import { code } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import type { MapNode } from './source-tree.js';
import { MIN_ALIAS_EXPANSION, measureAliases } from './yaml-aliases.js';
import { composeOne, inspectSyntax, MAX_DEPTH, reportYamlProblems } from './yaml-syntax.js';
import { checkCharacters, decodeUtf8, positions } from './yaml-text.js';
import { TreeBuilder } from './yaml-tree.js';

export { MIN_ALIAS_EXPANSION } from './yaml-aliases.js';

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
