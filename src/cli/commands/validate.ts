import { ENV_OPTION, JSON_OPTION, type CommandSpec } from '../command-spec.js';
import { manifestOf, only, flag } from './shared.js';

export const validate: CommandSpec = {
  name: 'validate',
  summary: 'check the manifest and find its interpreters; changes nothing',
  usage: 'validate [MANIFEST] [options]',
  description:
    'Reports every problem at once, each at its file:line:col: the manifest\'s shape, and\ninterpreters, distributions, Debian packages and recipes that cannot be found.',
  options: { env: ENV_OPTION, json: JSON_OPTION },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild validate', 'envbuild validate project/env.yaml --json'],
  async run(input) {
    const [{ prepare }, { jsonDocument }] = await Promise.all([import('../../commands/prepare.js'), import('../json-output.js')]);
    // Validation changes nothing and needs no index: locks are read as they are, never resolved.
    // Nor does it look at the environments on disk (see prepare's `validate`).
    const { manifest: m, desired } = await prepare(manifestOf(input), { ...only(input), lockMode: 'check', validate: true });
    if (flag(input, 'json')) {
      input.io.out(jsonDocument('validate', { valid: true, manifest: m.file, environments: desired.map((d) => ({ name: d.name, python: d.inputs.python })) }));
    } else {
      input.io.out(`${m.file} is valid: ${desired.map((d) => `${d.name} (python ${d.inputs.python.version})`).join(', ')}`);
    }
    return 0;
  },
};
