import path from 'node:path';
import type { UsableEnvironment } from '../../commands/use-environment.js';
import { MANIFEST_OPTION, type CommandInput, type OptionSpec } from '../command-spec.js';
import { withInterrupts } from '../interrupts.js';
import type { Io } from '../types.js';
import { flag, manifestOf } from './shared.js';

/** The options of the commands that use an environment (`run`, `shell`). */
export const USE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  file: MANIFEST_OPTION,
  'no-sync': { type: 'boolean', help: 'do not apply first; the environment must already exist' },
  wait: { type: 'boolean', help: 'wait for a concurrent apply instead of failing' },
};

/** The environment `run` or `shell` works in, applied first when out of date (unless --no-sync). */
export async function environmentToUse(input: CommandInput): Promise<UsableEnvironment> {
  const { useEnvironment } = await import('../../commands/use-environment.js');
  const env = await withInterrupts(input.io, (signal) =>
    useEnvironment(manifestOf(input, null), input.positionals[0], { sync: !flag(input, 'no-sync'), wait: flag(input, 'wait'), signal }),
  );
  describeApplied(input.io, env);
  return env;
}

/** One line on stderr when an environment was applied before use; stdout stays the command's. */
export function describeApplied(io: Io, env: UsableEnvironment): void {
  for (const o of env.applied) {
    if (o.name !== env.name) continue;
    const verb = { create: 'created', update: 'updated', replace: 'replaced', remove: 'removed', 'no-op': 'checked' }[o.action];
    io.err(`envbuild: ${verb} ${env.name} (${path.relative(process.cwd(), env.path) || env.path}) first: it was out of date`);
  }
}
