import { ENV_OPTION, JSON_OPTION, LOCK_OPTIONS, type CommandSpec } from '../command-spec.js';
import { manifestOf, only, flag, lockMode } from './shared.js';

export const plan: CommandSpec = {
  name: 'plan',
  summary: 'show what apply would do, and why, without changing anything',
  usage: 'plan [MANIFEST] [options]',
  description: 'Compares the manifest with what is on disk and prints, per environment and part, what apply\nwould create, update, replace or remove, and why. Changes nothing.',
  options: {
    env: ENV_OPTION,
    json: JSON_OPTION,
    ...LOCK_OPTIONS,
    'detailed-exitcode': { type: 'boolean', help: 'exit 2 when changes are pending, 0 when none (1 on a conflict)' },
    destroy: { type: 'boolean', help: 'show what destroy would remove' },
    'replace-foreign': { type: 'boolean', help: 'plan as apply --replace-foreign would (directories in the way moved to a backup)' },
  },
  positionals: { min: 0, max: 1 },
  examples: ['envbuild plan', 'envbuild plan --env app --json', 'envbuild plan --destroy', 'envbuild plan --detailed-exitcode || envbuild apply'],
  async run(input) {
    const [{ prepare }, { hasChanges, hasConflicts }, { planToJson, renderPlan }, { jsonDocument }] = await Promise.all([
      import('../../commands/prepare.js'),
      import('../../plan/types.js'),
      import('../render-plan.js'),
      import('../json-output.js'),
    ]);
    const { plan: p } = await prepare(manifestOf(input), {
      ...only(input), ...lockMode(input),
      ...(flag(input, 'destroy') ? { destroy: true } : {}),
      ...(flag(input, 'replace-foreign') ? { replaceForeign: true } : {}),
    });
    input.io.out(flag(input, 'json') ? jsonDocument('plan', planToJson(p) as object) : renderPlan(p));
    // A conflict is a failure: apply would refuse it.
    if (hasConflicts(p)) return 1;
    return flag(input, 'detailed-exitcode') && hasChanges(p) ? 2 : 0;
  },
};
