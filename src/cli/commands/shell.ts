import { UserError } from '../../errors/user-error.js';
import type { CommandSpec } from '../command-spec.js';
import { environmentToUse, USE_OPTIONS } from './use-shared.js';

export const shell: CommandSpec = {
  name: 'shell',
  summary: "start your shell ($SHELL) with an environment activated",
  usage: 'shell [ENV] [options]',
  description:
    "Starts $SHELL with the environment activated: for bash, zsh and fish through the\nenvironment's activation script after your own start-up files (so the prompt shows it and\n`deactivate` works); for other shells with PATH and VIRTUAL_ENV set. Leave with `exit`.\nThe environment is applied first when it is out of date (--no-sync skips that).",
  options: USE_OPTIONS,
  positionals: { min: 0, max: 1 },
  examples: ['envbuild shell app', 'SHELL=/usr/bin/fish envbuild shell'],
  async run(input) {
    const { shellInvocation } = await import('../shell-invocation.js');
    const env = await environmentToUse(input);
    const invocation = await shellInvocation(process.env['SHELL'] || '/bin/sh', env, process.env);
    input.io.err(`envbuild: starting ${invocation.file} with ${env.name} activated; type exit to leave`);
    // Loaded here: node:child_process (with net, streams, dgram) costs every other command start-up time.
    const { runChild } = await import('../run-child.js');
    try {
      return await runChild(invocation.file, invocation.args, invocation.env);
    } catch (e) {
      throw new UserError('ESPAWN', `cannot start ${invocation.file}: ${(e as Error).message}`, { hint: 'set SHELL to your shell' });
    } finally {
      await invocation.cleanup();
    }
  },
};
