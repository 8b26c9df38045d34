import { UserError } from '../../errors/user-error.js';
import type { CommandSpec } from '../command-spec.js';
import { UsageError } from '../parse-command-line.js';
import { environmentToUse, USE_OPTIONS } from './use-shared.js';

export const run: CommandSpec = {
  name: 'run',
  summary: 'run a command inside an environment (applying it first if out of date)',
  usage: 'run [ENV] [options] -- COMMAND [ARGS...]',
  description:
    "Runs COMMAND with the environment's bin/ first on PATH and VIRTUAL_ENV set, as activation\nwould, without an activation script. The environment is applied first when it is out of\ndate (--no-sync skips that). ENV may be left out when the manifest has one environment.\nThe exit code is COMMAND's; signals sent to envbuild are passed on to it.",
  options: USE_OPTIONS,
  positionals: { min: 0, max: 1 },
  acceptsRest: true,
  examples: ['envbuild run app -- python -m pytest', 'envbuild run -- python --version', 'envbuild run --no-sync tools -f ci/env.yaml -- ruff check .'],
  async run(input) {
    const [command, ...args] = input.rest;
    if (command === undefined) throw new UsageError('run needs a command after --: envbuild run ENV -- COMMAND');
    const { activatedVariables, findExecutable } = await import('../../commands/use-environment.js');
    const env = await environmentToUse(input);
    const vars = activatedVariables(env, process.env);
    const file = findExecutable(command, vars['PATH']);
    if (file === null) {
      input.io.err(`envbuild: ${command}: command not found (looked in ${env.path}/bin and on PATH)`);
      return 127;
    }
    // Loaded here: node:child_process (with net, streams, dgram) costs every other command start-up time.
    const { runChild } = await import('../run-child.js');
    try {
      return await runChild(file, args, vars);
    } catch (e) {
      throw new UserError('ESPAWN', `cannot run ${command}: ${(e as Error).message}`);
    }
  },
};
