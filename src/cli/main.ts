import path from 'node:path';
import { parseArgs } from 'node:util';
import { isUserError, InterruptedError, ManifestError } from '../errors/user-error.js';
import { ENVBUILD_VERSION } from '../version.js';
import { USAGE } from './usage.js';
import { sourceMappedStack } from './source-mapped-stack.js';
import { redactText } from '../secrets/redact.js';
import { jsonDocument } from './json-output.js';
import { COMMANDS, type Command, type Flags, type Io } from './types.js';

export type { Command, Flags, Io };


const defaultIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** The only place that decides exit codes; everything below throws or returns data. */
export async function main(argv: readonly string[], rawIo: Io = defaultIo): Promise<number> {
  // Everything shown passes through the redactor: credentials in index URLs never appear.
  const io: Io = { out: (t) => rawIo.out(redactText(t)), err: (t) => rawIo.err(redactText(t)) };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        env: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        'detailed-exitcode': { type: 'boolean' },
        destroy: { type: 'boolean' },
        wait: { type: 'boolean' },
        jobs: { type: 'string' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    io.err(`envbuild: ${(e as Error).message}\nRun 'envbuild --help' for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(ENVBUILD_VERSION);
    return 0;
  }
  const [command, manifestArg, ...extra] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return values.help || command === 'help' ? 0 : 2;
  }
  if (!COMMANDS.includes(command as Command)) {
    io.err(`envbuild: unknown command "${command}"\nRun 'envbuild --help' for usage.`);
    return 2;
  }
  if (extra.length > 0) {
    io.err(`envbuild: unexpected argument "${extra[0]}" (one manifest at a time)\nRun 'envbuild --help' for usage.`);
    return 2;
  }
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    io.err(`envbuild: --jobs takes a whole number of at least 1, not "${values.jobs}"\nRun 'envbuild --help' for usage.`);
    return 2;
  }
  const flags: Flags = {
    env: values.env ?? [],
    json: values.json ?? false,
    detailedExitcode: values['detailed-exitcode'] ?? false,
    destroy: values.destroy ?? false,
    wait: values.wait ?? false,
    debug: values.debug ?? false,
    ...(jobs !== undefined ? { jobs } : {}),
  };
  if (flags.destroy && command !== 'plan') {
    io.err(`envbuild: --destroy applies to plan only (it shows what destroy would remove)`);
    return 2;
  }
  if (flags.detailedExitcode && command !== 'plan') {
    io.err(`envbuild: --detailed-exitcode applies to plan only`);
    return 2;
  }
  const manifest = path.resolve(manifestArg ?? 'env.yaml');
  try {
    const { runCommand } = await import('./commands.js');
    return await runCommand(command as Command, manifest, flags, io);
  } catch (e) {
    return reportError(e, flags, io);
  }
}

function reportError(e: unknown, flags: Flags, io: Io): number {
  if (e instanceof InterruptedError) {
    io.err(`envbuild: ${e.message}\n  hint: ${e.hint ?? ''}`);
    return 130;
  }
  if (isUserError(e)) {
    if (flags.json) {
      io.out(jsonDocument('error', { error: { code: e.code, message: e.message, hint: e.hint ?? null, ...(e instanceof ManifestError ? { diagnostics: e.diagnostics } : {}) } }));
    }
    const text = e instanceof ManifestError ? e.message : `envbuild: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
    io.err(flags.debug && e.stack ? `${text}\n${sourceMappedStack(e.stack)}` : text);
    return 1;
  }
  const stack = e instanceof Error ? (e.stack === undefined ? e.message : sourceMappedStack(e.stack)) : String(e);
  io.err(`envbuild: internal error — this is a bug in envbuild ${ENVBUILD_VERSION}; please report it with the output below.\n${stack}`);
  return 1;
}

