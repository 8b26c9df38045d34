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
    const { formatInterpreterTable, listInterpreters } = await import('../../python/index.js');
    const found = await listInterpreters();
    input.io.out(flag(input, 'json') ? JSON.stringify(found, null, 2) : formatInterpreterTable(found).join('\n'));
    return 0;
  },
};
