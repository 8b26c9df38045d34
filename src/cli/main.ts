import { userErrorFromErrno } from '../errors/errno.js';
import { isUserError, InterruptedError, ManifestError } from '../errors/user-error.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import { redactText } from '../secrets/redact.js';
import { ENVBUILD_VERSION } from '../version.js';
import type { CommandSpec } from './command-spec.js';
import { COMMAND_TABLE, findCommand } from './commands/index.js';
import { commandHelp, globalHelp, usageReminder } from './help.js';
import { parseCommandLine, UsageError } from './parse-command-line.js';
import { sourceMappedStack } from './source-mapped-stack.js';
import { jsonDocument } from './json-output.js';
import type { Io } from './types.js';

export type { Io };

const defaultIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** The only place that decides exit codes; everything below throws or returns data. */
export async function main(argv: readonly string[], rawIo: Io = defaultIo, cwd: string = process.cwd()): Promise<number> {
  // Everything shown passes through the redactor: credentials in index URLs never appear.
  const io: Io = { out: (t) => rawIo.out(redactText(t)), err: (t) => rawIo.err(redactText(t)) };
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    io.out(ENVBUILD_VERSION);
    return 0;
  }
  if (first === undefined || first === '-h' || first === '--help') {
    (first === undefined ? io.err : io.out)(globalHelp(COMMAND_TABLE));
    return first === undefined ? 2 : 0;
  }
  if (first === 'help') return help(rest, io);
  const spec = findCommand(first);
  if (!spec) {
    const option = first.startsWith('-');
    const near = didYouMean(first, option ? ['-v', '--version', '-h', '--help'] : COMMAND_TABLE.map((c) => c.name));
    const what = `unknown ${option ? 'option' : 'command'} ${option ? first : `"${first}"`}${near ? ` (did you mean ${near}?)` : ''}`;
    io.err(`envbuild: ${what}\n${usageReminder(undefined)}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseCommandLine(spec, rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return badUsage(spec, e, io);
  }
  if (parsed.values['help']) {
    io.out(commandHelp(spec));
    return 0;
  }
  const debug = parsed.values['debug'] === true;
  const stopWatch = watchForStall(io);
  try {
    return await spec.run({ ...parsed, io, cwd });
  } catch (e) {
    if (e instanceof UsageError) return badUsage(spec, e, io);
    return reportError(e, { debug, json: parsed.values['json'] === true }, io);
  } finally {
    stopWatch();
  }
}

/**
 * The last guard against a silent success: when the event loop empties while a command is
 * still awaiting something (a promise nobody will settle), Node would exit with code 0 and
 * no summary. Parts are guarded where they run (naming the part); this catches the rest.
 * Checked one turn after `beforeExit`, so that work the other listeners start (a part
 * failing, state being saved) counts as progress, not as a stall.
 */
function watchForStall(io: Io): () => void {
  const onBeforeExit = () => {
    setImmediate(() => {
      const busy = process.getActiveResourcesInfo().some((r) => r !== 'Immediate' && r !== 'TTYWrap');
      if (busy) return;
      process.off('beforeExit', onBeforeExit);
      io.err(`envbuild: internal error — this is a bug in envbuild ${ENVBUILD_VERSION}: the run stopped before finishing, waiting for something that can never happen.`);
      process.exitCode = 1;
    });
  };
  process.on('beforeExit', onBeforeExit);
  return () => process.off('beforeExit', onBeforeExit);
}

function help(topics: readonly string[], io: Io): number {
  const [topic] = topics;
  if (topic === undefined) {
    io.out(globalHelp(COMMAND_TABLE));
    return 0;
  }
  const spec = findCommand(topic);
  if (!spec) {
    io.err(`envbuild: no command "${topic}"\n${usageReminder(undefined)}`);
    return 2;
  }
  io.out(commandHelp(spec));
  return 0;
}

function badUsage(spec: CommandSpec, e: UsageError, io: Io): number {
  io.err(`envbuild ${spec.name}: ${e.message}\n${usageReminder(spec)}`);
  return 2;
}

function reportError(thrown: unknown, flags: { debug: boolean; json: boolean }, io: Io): number {
  // A full disk or a read-only mount is the machine's state, not a bug: told as a user error.
  const e = isUserError(thrown) ? thrown : (userErrorFromErrno(thrown) ?? thrown);
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
