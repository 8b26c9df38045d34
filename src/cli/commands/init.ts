import { type CommandSpec } from '../command-spec.js';
import { flag } from './shared.js';

export const init: CommandSpec = {
  name: 'init',
  summary: 'write a commented env.yaml for this directory',
  usage: 'init [DIR] [options]',
  description:
    "Writes DIR/env.yaml (default: the current directory) with one environment: the newest\ninterpreter found (or the version of an existing .venv), a requirements.txt picked up as a\npackages part, and comments that explain each key. Refuses to overwrite an env.yaml.",
  options: { force: { type: 'boolean', help: 'overwrite an existing env.yaml' } },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild init', 'envbuild init path/to/project && envbuild plan path/to/project/env.yaml'],
  async run(input) {
    const { writeInitManifest } = await import('../write-init-manifest.js');
    const file = await writeInitManifest(input.positionals[0] ?? '.', input.cwd, flag(input, 'force'));
    input.io.out(`wrote ${file}\nnext: review it, then run envbuild plan and envbuild apply`);
    return 0;
  },
};
