import { apply, destroy, type ProgressMode } from '../commands/run-apply.js';
import { prepare } from '../commands/prepare.js';
import { hasChanges } from '../plan/types.js';
import { formatInterpreterTable, listInterpreters } from '../python/index.js';
import type { Command, Flags, Io } from './types.js';
import { planToJson, renderOutcomes, renderPlan } from './render-plan.js';
import { changedAnything, jsonDocument } from './json-output.js';

export async function runCommand(command: Command, manifest: string, flags: Flags, io: Io): Promise<number> {
  const only = flags.env.length > 0 ? { only: flags.env } : {};
  switch (command) {
    case 'plan': {
      const { plan } = await prepare(manifest, { ...only, ...(flags.destroy ? { destroy: true } : {}) });
      io.out(flags.json ? jsonDocument('plan', planToJson(plan) as object) : renderPlan(plan));
      return flags.detailedExitcode && hasChanges(plan) ? 2 : 0;
    }
    case 'validate': {
      const { manifest: m, desired } = await prepare(manifest, { ...only, validate: true });
      if (flags.json) {
        io.out(jsonDocument('validate', { valid: true, manifest: m.file, environments: desired.map((d) => ({ name: d.name, python: d.inputs.python })) }));
      } else {
        io.out(`${m.file} is valid: ${desired.map((d) => `${d.name} (python ${d.inputs.python.version})`).join(', ')}`);
      }
      return 0;
    }
    case 'apply':
    case 'destroy': {
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        // First Ctrl-C: finish the current step and save state. Second: leave at once.
        if (++interrupts > 1) process.exit(130);
        io.err(`\nenvbuild: ${signal} received, stopping after the current step (press Ctrl-C again to quit at once)`);
        controller.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const run = command === 'apply' ? apply : destroy;
        const result = await run(manifest, {
          ...only,
          progress: progressMode(flags),
          wait: flags.wait,
          ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
          signal: controller.signal,
        });
        if (flags.json) {
          io.out(jsonDocument(command, { ...(planToJson(result.plan) as object), changed: changedAnything(result.outcomes), outcomes: result.outcomes, stateWritten: result.stateWritten }));
        } else {
          io.out(renderOutcomes(manifest, result.outcomes));
        }
        return 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    case 'check': {
      const { check } = await import('../commands/check.js');
      const { renderCheck } = await import('./render-check.js');
      const result = await check(manifest, only);
      io.out(flags.json ? jsonDocument('check', result) : renderCheck(manifest, result));
      return result.clean ? 0 : 1;
    }
    case 'pythons': {
      const found = await listInterpreters();
      io.out(flags.json ? jsonDocument('pythons', { interpreters: found }) : formatInterpreterTable(found).join('\n'));
      return 0;
    }
  }
}

function progressMode(flags: Flags): ProgressMode {
  if (flags.json) return 'silent';
  return process.stdout.isTTY && !process.env['CI'] ? 'interactive' : 'plain';
}
