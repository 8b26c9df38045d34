/**
 * The `command` recipe: runs a command when the part is applied, unless `creates` exists or
 * `unless` succeeds; runs `remove-command` when the part goes away. See README.md beside this file.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { defineRecipe, type ApplyContext, type PartDecision } from 'envbuild/recipe';

export type CommandLine = string | readonly string[];

export interface CommandOptions {
  readonly command: CommandLine;
  readonly creates?: string;
  readonly unless?: CommandLine;
  readonly 'remove-command'?: CommandLine;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

const commandLine = (description: string) =>
  ({
    description,
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { type: 'string' }, minItems: 1 },
    ],
  }) as const;

const OPTIONS = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: commandLine('What to run: a string is run by /bin/sh -c; a list is a program and its arguments, run directly.'),
    creates: {
      type: 'string',
      minLength: 1,
      description: 'A path (relative to the manifest directory) the command creates: when it exists the command is not run, and when it goes missing the part is applied again.',
    },
    unless: commandLine('A command run first: when it exits with 0, the command is not run.'),
    'remove-command': commandLine('A command run when the part is removed from the manifest.'),
    cwd: { type: 'string', minLength: 1, description: 'Directory the commands run in, relative to the manifest directory (default: the manifest directory).' },
    env: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string' },
      description: 'Environment variables added for the commands.',
    },
  },
} as const;

export default defineRecipe<CommandOptions>({
  name: 'command',
  version: '1',
  description: 'Runs a command, guarded by creates or unless; optionally another when removed.',
  options: OPTIONS,

  async plan({ options, previous, changes, manifestDir }): Promise<PartDecision> {
    if (previous === null) return { action: 'create', reasons: [`run ${show(options.command)}`] };
    const reasons = [...changes];
    if (options.creates !== undefined) {
      const creates = path.resolve(manifestDir, options.creates);
      if (!(await exists(creates))) reasons.push(`${options.creates} is missing`);
    }
    return reasons.length > 0 ? { action: 'update', reasons } : { action: 'no-op', reasons: [] };
  },

  async apply(ctx) {
    const { options, manifestDir } = ctx;
    if (options.creates !== undefined && (await exists(path.resolve(manifestDir, options.creates)))) {
      ctx.log(`skipped: ${options.creates} exists`);
      return { outputs: { ran: false } };
    }
    if (options.unless !== undefined) {
      const guard = await run(ctx, options.unless, options, true);
      if (guard.code === 0) {
        ctx.log(`skipped: ${show(options.unless)} succeeded`);
        return { outputs: { ran: false } };
      }
    }
    ctx.log(`running ${show(options.command)}`);
    await run(ctx, options.command, options, false);
    return { outputs: { ran: true } };
  },

  async remove(ctx) {
    const options = ctx.previous.options as Partial<CommandOptions>;
    const removal = options['remove-command'];
    if (removal !== undefined) {
      ctx.log(`running ${show(removal)}`);
      await run(ctx, removal, options, false);
    }
    await ctx.removeCreated();
  },
});

function run(ctx: Pick<ApplyContext<unknown>, 'exec' | 'manifestDir'>, line: CommandLine, options: Partial<CommandOptions>, allowFailure: boolean) {
  const cwd = path.resolve(ctx.manifestDir, options.cwd ?? '.');
  const execOptions = { cwd, ...(options.env ? { env: options.env } : {}), allowFailure };
  if (typeof line === 'string') return ctx.exec('/bin/sh', ['-c', line], execOptions);
  const [program, ...args] = line;
  return ctx.exec(program as string, args, execOptions);
}

function show(line: CommandLine): string {
  const text = typeof line === 'string' ? line : line.join(' ');
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
