/**
 * `${name}` substitution inside a template file. The runner resolves `${...}` in a part's
 * options, but cannot see inside a file the options only name; so the part passes values in
 * `variables` (which the runner does resolve: `dir: ${environments.app.path}`) and the template
 * uses `${dir}`. `$${` writes a literal `${`. Every unknown name is reported, located.
 */

export type Variables = Readonly<Record<string, string | number | boolean>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export interface RenderResult {
  readonly text: string;
  /** `file:line:col: message`, one per problem. */
  readonly problems: readonly string[];
}

export function renderTemplate(source: string, variables: Variables, file: string): RenderResult {
  const problems: string[] = [];
  let out = '';
  let i = 0;
  while (i < source.length) {
    const at = source.indexOf('$', i);
    if (at < 0) {
      out += source.slice(i);
      break;
    }
    out += source.slice(i, at);
    if (source.startsWith('$${', at)) {
      out += '${';
      i = at + 3;
    } else if (source.startsWith('${', at)) {
      const end = source.indexOf('}', at + 2);
      const where = `${file}:${position(source, at)}`;
      if (end < 0) {
        problems.push(`${where}: "\${" is not closed by "}" (write "$\${" for a literal "\${")`);
        out += source.slice(at);
        break;
      }
      const name = source.slice(at + 2, end).trim();
      const value = variables[name];
      if (!NAME.test(name)) problems.push(`${where}: "\${${name}}" is not a variable name`);
      else if (value === undefined) {
        const known = Object.keys(variables).sort();
        problems.push(`${where}: \${${name}} is not in variables (${known.length > 0 ? `variables: ${known.join(', ')}` : 'none are given'})`);
      } else out += String(value);
      i = end + 1;
    } else {
      out += '$';
      i = at + 1;
    }
  }
  return { text: out, problems };
}

/** `line:col`, both from 1, of a character offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}
