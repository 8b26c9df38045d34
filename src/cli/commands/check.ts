import { ENV_OPTION, JSON_OPTION, type CommandSpec } from '../command-spec.js';
import { manifestOf, only, flag } from './shared.js';

export const check: CommandSpec = {
  name: 'check',
  summary: 'audit isolation: what each environment can import, leaks, and drift',
  usage: 'check [MANIFEST] [options]',
  description:
    'Asks each environment\'s own interpreter what it can import and classifies every module\n(standard library, the environment\'s own, allowed global, or a leak), and reports drift:\neverything apply would change. Exits 0 only when every environment is clean.',
  options: { env: ENV_OPTION, json: JSON_OPTION },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild check', 'envbuild check --env app --json'],
  async run(input) {
    const [{ check: audit }, { renderCheck, checkToJson }, { jsonDocument }] = await Promise.all([
      import('../../commands/check.js'),
      import('../render-check.js'),
      import('../json-output.js'),
    ]);
    const manifest = manifestOf(input);
    const result = await audit(manifest, only(input));
    input.io.out(flag(input, 'json') ? jsonDocument('check', checkToJson(result) as object) : renderCheck(manifest, result));
    return result.clean ? 0 : 1;
  },
};
