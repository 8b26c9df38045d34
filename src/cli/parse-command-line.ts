import { parseArgs } from 'node:util';
import { didYouMean } from '../manifest/did-you-mean.js';
import { COMMON_OPTIONS, type CommandSpec, type OptionValues } from './command-spec.js';

export interface ParsedCommandLine {
  readonly positionals: string[];
  readonly values: OptionValues;
  readonly rest: string[];
}

/** Bad usage: the CLI prints the message with the command's usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses one command's arguments against its own options. Node's strict mode words its
 * errors for programmers (and with an unbalanced quote), so unknown options, missing values
 * and stray positionals are checked here and told in the CLI's own words.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedCommandLine {
  const split = argv.indexOf('--');
  const own = split === -1 ? [...argv] : argv.slice(0, split);
  const rest = split === -1 ? [] : argv.slice(split + 1);
  if (split !== -1 && !spec.acceptsRest) throw new UsageError(`${spec.name} takes no arguments after --`);
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const { values, positionals, tokens } = parseArgs({
    args: own,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: Object.fromEntries(
      Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
    ),
  });
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    const o = options[t.name];
    if (!o) {
      const names = Object.entries(options).flatMap(([n, s]) => [`--${n}`, ...(s.short ? [`-${s.short}`] : [])]);
      const near = didYouMean(t.rawName, names);
      throw new UsageError(`unknown option ${t.rawName} for ${spec.name}${near ? ` (did you mean ${near}?)` : ''}`);
    }
    if (o.type === 'string' && t.value === undefined) throw new UsageError(`option ${t.rawName} needs a value: ${t.rawName} ${o.value ?? 'VALUE'}`);
    if (o.type === 'boolean' && t.value !== undefined) throw new UsageError(`option ${t.rawName} takes no value`);
  }
  if (!values['help']) {
    if (positionals.length < spec.positionals.min) throw new UsageError(`${spec.name} needs more arguments`);
    if (positionals.length > spec.positionals.max) throw new UsageError(`unexpected argument "${positionals[spec.positionals.max]}"`);
  }
  return { positionals, values: values as OptionValues, rest };
}
