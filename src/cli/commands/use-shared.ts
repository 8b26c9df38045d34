import path from 'node:path';
import type { UsableEnvironment } from '../../commands/use-environment.js';
import type { Io } from '../types.js';

/** One line on stderr when an environment was applied before use; stdout stays the command's. */
export function describeApplied(io: Io, env: UsableEnvironment): void {
  for (const o of env.applied) {
    if (o.name !== env.name) continue;
    const verb = { create: 'created', update: 'updated', replace: 'replaced', remove: 'removed', 'no-op': 'checked' }[o.action];
    io.err(`envbuild: ${verb} ${env.name} (${path.relative(process.cwd(), env.path) || env.path}) first: it was out of date`);
  }
}
