import { ENV_OPTION, JSON_OPTION, type CommandSpec } from '../command-spec.js';
import { progressMode, withInterrupts } from '../interrupts.js';
import { manifestOf, only, flag, jobsOf, JOBS_OPTION } from './shared.js';

export const destroy: CommandSpec = {
  name: 'destroy',
  summary: 'remove what envbuild created for the manifest (user files are kept)',
  usage: 'destroy [MANIFEST] [options]',
  description:
    'Removes the environments envbuild recorded for the manifest, and their parts. Files\nenvbuild did not create, or that changed since, are kept and listed.',
  options: {
    env: ENV_OPTION,
    json: JSON_OPTION,
    wait: { type: 'boolean', help: 'wait for a concurrent apply instead of failing' },
    jobs: JOBS_OPTION,
  },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild destroy', 'envbuild destroy --env app'],
  async run(input) {
    const [{ destroy: run }, { planToJson, renderOutcomes }, { changedAnything, jsonDocument }] = await Promise.all([
      import('../../commands/run-apply.js'),
      import('../render-plan.js'),
      import('../json-output.js'),
    ]);
    const jobs = jobsOf(input);
    const manifest = manifestOf(input, 0, { stateSuffices: true });
    const json = flag(input, 'json');
    const result = await withInterrupts(input.io, (signal) =>
      run(manifest, { ...only(input), progress: progressMode(json), wait: flag(input, 'wait'), ...jobs, signal }),
    );
    input.io.out(
      json
        ? jsonDocument('destroy', { ...(planToJson(result.plan) as object), changed: changedAnything(result.outcomes), outcomes: result.outcomes, stateWritten: result.stateWritten })
        : renderOutcomes(manifest, result.outcomes, 'destroy', result.plan.notes ?? []),
    );
    return 0;
  },
};
