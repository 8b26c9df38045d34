import type { CommandSpec } from '../command-spec.js';
import { apply } from './apply.js';
import { cache } from './cache.js';
import { check } from './check.js';
import { destroy } from './destroy.js';
import { init } from './init.js';
import { lock } from './lock.js';
import { plan } from './plan.js';
import { pythons } from './pythons.js';
import { run } from './run.js';
import { shell } from './shell.js';
import { validate } from './validate.js';

/** Every command, in the order `envbuild --help` lists them. A new command is one line here. */
export const COMMAND_TABLE: readonly CommandSpec[] = [init, lock, plan, apply, run, shell, validate, check, destroy, pythons, cache];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMAND_TABLE.find((c) => c.name === name);
}
