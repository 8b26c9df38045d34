/**
 * `${...}` references in option strings. Three forms:
 *   ${environments.app.path}           a field of the resolved manifest
 *   ${parts.deps.installed}            an output of a part of the same environment
 *   ${env:HOME}  ${env:TOKEN:-none}    an environment variable, optionally with a default
 * `$${` writes a literal `${`. A string that is exactly one reference takes the referenced
 * value as it is (a list stays a list); inside a longer string the value must be a scalar.
 */
export type Reference =
  | { readonly kind: 'env-var'; readonly name: string; readonly fallback?: string; readonly raw: string }
  | { readonly kind: 'path'; readonly segments: readonly string[]; readonly raw: string };

export type Segment = string | Reference;

export interface TemplateError {
  readonly message: string;
  /** Offset in the string where the problem starts. */
  readonly index: number;
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_.-]+)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseTemplate(text: string): Segment[] | TemplateError {
  const out: Segment[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i++;
      continue;
    }
    const end = text.indexOf('}', i + 2);
    if (end < 0) return { message: 'unterminated "${": add the closing "}" (write "$${" for a literal "${")', index: i };
    const body = text.slice(i + 2, end).trim();
    const raw = text.slice(i, end + 1);
    const ref = parseReference(body, raw);
    if ('message' in ref) return { message: ref.message, index: i };
    if (literal) out.push(literal);
    literal = '';
    out.push(ref);
    i = end + 1;
  }
  if (literal || out.length === 0) out.push(literal);
  return out;
}

function parseReference(body: string, raw: string): Reference | { message: string } {
  if (body.startsWith('env:')) {
    const rest = body.slice(4);
    const sep = rest.indexOf(':-');
    const name = sep < 0 ? rest : rest.slice(0, sep);
    if (!ENV_NAME.test(name)) return { message: `"${raw}": "${name}" is not an environment variable name` };
    return sep < 0 ? { kind: 'env-var', name, raw } : { kind: 'env-var', name, fallback: rest.slice(sep + 2), raw };
  }
  if (!PATH.test(body)) {
    return { message: `"${raw}" is not a reference: use \${environments.NAME.FIELD}, \${parts.PART.OUTPUT} or \${env:VAR}` };
  }
  return { kind: 'path', segments: body.split('.'), raw };
}

/** Every reference in a value (strings inside lists and mappings too), with where it sits. */
export function collectReferences(value: unknown, at: ReadonlyArray<string | number> = []): Array<{ path: Array<string | number>; ref: Reference }> {
  if (typeof value === 'string') {
    const parsed = parseTemplate(value);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((s): s is Reference => typeof s !== 'string').map((ref) => ({ path: [...at], ref }));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => collectReferences(v, [...at, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => collectReferences(v, [...at, k]));
  }
  return [];
}
