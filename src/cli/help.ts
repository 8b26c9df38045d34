import type { CommandSpec } from './command-spec.js';
import { COMMON_OPTIONS } from './command-spec.js';

/** `envbuild --help`: the commands, and where to read more. */
export function globalHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `envbuild — build isolated Python environments from a declarative manifest

Usage:
  envbuild <command> [arguments] [options]
  envbuild help <command>       show a command's options and examples

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join('\n')}

MANIFEST defaults to env.yaml in the current directory or the nearest parent that has one.

Options for every command:
  --debug               print stack traces for every error
  -h, --help            show the command's help
  -v, --version         print the version

Exit codes: 0 success, 1 failure (including an invalid manifest), 2 bad usage,
130 interrupted (state is saved; run the command again to finish).
`;
}

function optionLines(spec: CommandSpec): string[] {
  const all = { ...spec.options, ...COMMON_OPTIONS };
  const left = Object.entries(all).map(([name, o]) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(20, ...left.map((l) => l.length));
  return Object.values(all).map((o, i) => `  ${left[i]!.padEnd(width)}  ${o.help}`);
}

/** `envbuild help NAME` and `envbuild NAME --help`. */
export function commandHelp(spec: CommandSpec): string {
  return [
    `Usage: envbuild ${spec.usage}`,
    '',
    spec.description,
    '',
    'Options:',
    ...optionLines(spec),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** What bad usage prints after the problem: the synopsis and where the rest is. */
export function usageReminder(spec: CommandSpec | undefined): string {
  return spec ? `Usage: envbuild ${spec.usage}\nRun 'envbuild help ${spec.name}' for its options and examples.` : `Run 'envbuild --help' for the list of commands.`;
}
