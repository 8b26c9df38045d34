import { JSON_OPTION, type CommandSpec } from '../command-spec.js';
import { flag } from './shared.js';

export const cache: CommandSpec = {
  name: 'cache',
  summary: 'the shared wheel cache: where it is (dir), its size (size), empty it (clean)',
  usage: 'cache dir|size|clean [options]',
  description:
    'envbuild unpacks each wheel once into a content-addressed cache shared by every project\n' +
    '(${ENVBUILD_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/envbuild}) and links its files into\n' +
    'environments. Cleaning it is always safe: environments hold hard links or copies, never\n' +
    'references into the cache.',
  options: { json: JSON_OPTION },
  positionals: { min: 1, max: 1 },
  examples: ['envbuild cache dir', 'envbuild cache size --json', 'envbuild cache clean'],
  async run(input) {
    const { runCacheCommand } = await import('../cache-command.js');
    return runCacheCommand(input.positionals, flag(input, 'json'), input.io);
  },
};
