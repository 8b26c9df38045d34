import { JSON_OPTION, type CommandSpec } from '../command-spec.js';
import { flag } from './shared.js';

export const pythons: CommandSpec = {
  name: 'pythons',
  summary: 'list the Python interpreters envbuild can find',
  usage: 'pythons [options]',
  description: 'Lists the interpreters on PATH, in pyenv and in the usual places, with their versions:\nwhat a `python:` request in a manifest can name.',
  options: { json: JSON_OPTION },
  positionals: { min: 0, max: 0 },
  examples: ['envbuild pythons', 'envbuild pythons --json'],
  async run(input) {
    const [{ formatInterpreterTable, listInterpreters }, { jsonDocument }] = await Promise.all([import('../../python/index.js'), import('../json-output.js')]);
    const found = await listInterpreters();
    input.io.out(flag(input, 'json') ? jsonDocument('pythons', { interpreters: found }) : formatInterpreterTable(found).join('\n'));
    return 0;
  },
};
