import { ENV_OPTION, JSON_OPTION, LOCK_OPTIONS, type CommandSpec } from '../command-spec.js';
import { progressMode, withInterrupts } from '../interrupts.js';
import { manifestOf, only, flag, jobsOf, lockMode, JOBS_OPTION } from './shared.js';

export const apply: CommandSpec = {
  name: 'apply',
  summary: 'make the environments on disk match the manifest',
  usage: 'apply [MANIFEST] [options]',
  description:
    'Creates, updates, replaces or removes environments and their parts so that the disk\nmatches the manifest, and records what it made in .envbuild/state.json. A second apply\nwith nothing changed does nothing. Never overwrites what envbuild did not create.',
  options: {
    env: ENV_OPTION,
    json: JSON_OPTION,
    ...LOCK_OPTIONS,
    wait: { type: 'boolean', help: 'wait for a concurrent apply instead of failing' },
    jobs: JOBS_OPTION,
    'replace-foreign': {
      type: 'boolean',
      help: "move a directory envbuild did not create out of an environment's way, to .NAME.envbuild-backup-TIME beside it (never deleted)",
    },
  },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild apply', 'envbuild apply --env app', 'envbuild apply project/env.yaml --wait', 'envbuild apply --replace-foreign'],
  async run(input) {
    const [{ apply: run }, { planToJson, renderOutcomes, usageHint }, { changedAnything, jsonDocument }] = await Promise.all([
      import('../../commands/run-apply.js'),
      import('../render-plan.js'),
      import('../json-output.js'),
    ]);
    const jobs = jobsOf(input);
    const manifest = manifestOf(input);
    const json = flag(input, 'json');
    const result = await withInterrupts(input.io, (signal) =>
      run(manifest, { ...only(input), ...lockMode(input), progress: progressMode(json), wait: flag(input, 'wait'), ...jobs, signal, ...(flag(input, 'replace-foreign') ? { replaceForeign: true } : {}) }),
    );
    if (json) {
      input.io.out(jsonDocument('apply', { ...(planToJson(result.plan) as object), changed: changedAnything(result.outcomes), outcomes: result.outcomes, stateWritten: result.stateWritten }));
      return 0;
    }
    input.io.out(renderOutcomes(manifest, result.outcomes, 'apply', result.plan.notes ?? []));
    const hint = usageHint(manifest, input.cwd, result.outcomes);
    if (hint) input.io.out(hint);
    return 0;
  },
};
