import { ENV_OPTION, JSON_OPTION, type CommandSpec } from '../command-spec.js';
import { manifestOf, only, flag } from './shared.js';

export const lock: CommandSpec = {
  name: 'lock',
  summary: 'resolve every environment and write its lock (pylock.<env>.toml, PEP 751)',
  usage: 'lock [MANIFEST] [options]',
  description:
    'Resolves each environment — its interpreter, its allowlisted system packages, and the\n' +
    "packages its parts install (with pip's resolver, offline-capable) — and writes one PEP 751\n" +
    'lock file per environment beside the manifest (or in its lock-dir). Commit them: apply then\n' +
    'installs exactly what they pin on every machine, and apply --locked refuses any difference.\n' +
    'Re-locking with nothing changed writes byte-identical files.',
  options: { env: ENV_OPTION, json: JSON_OPTION },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild lock', 'envbuild lock --env app', 'git add pylock.*.toml'],
  async run(input) {
    const [{ lock: run }, { renderLocks }, { jsonDocument }] = await Promise.all([
      import('../../commands/lock.js'),
      import('../render-plan.js'),
      import('../json-output.js'),
    ]);
    const manifest = manifestOf(input);
    const result = await run(manifest, only(input));
    input.io.out(flag(input, 'json') ? jsonDocument('lock', result) : renderLocks(manifest, result));
    return 0;
  },
};
