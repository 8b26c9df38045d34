/** Words for JSON types and values in diagnostics: users wrote YAML, not JSON. */

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'nothing',
};

export function typeWord(type: string): string {
  return TYPE_WORDS[type] ?? type;
}

/** `a mapping or nothing`, `a string`: for `type` given as one name or a list. */
export function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : typeof type === 'string' ? type.split(',') : [];
  // `null` is accepted where an empty value is harmless; mentioning it would only distract.
  const shown = types.length > 1 ? types.filter((t) => t !== 'null') : types;
  return orList(shown.map(typeWord));
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(clip(value))}`;
    case 'number':
      return `the number ${String(value)}`;
    case 'boolean':
      return `\`${String(value)}\``;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

export function code(text: string | number): string {
  return `\`${clip(String(text))}\``;
}

/** Longer than this, a value quoted in a message is cut: a message names a value, it does not echo it. */
export const MAX_QUOTED = 60;

/** `text` itself, or its beginning and `…` when it is longer than `max`. */
export function clip(text: string, max = MAX_QUOTED): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1] ?? ''}`;
}
