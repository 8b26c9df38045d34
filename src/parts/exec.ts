import { UserError } from '../errors/user-error.js';
import type { ExecOptions, ExecResult } from '../recipe-api/api.js';
import { redactText } from '../secrets/redact.js';

const TAIL_LINES = 40;
/** A line of output longer than this is cut in an error message (a minified file, a binary). */
const MAX_LINE = 1000;
const PROGRESS_INTERVAL_MS = 100;
/** How long a stopped command's group has to exit on SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2000;
/**
 * What is kept of each output stream: its last MiB. A command printing hundreds of MB must
 * not exhaust memory (or exceed V8's longest string); what recipes read from output (pip's
 * last lines) and what an error shows (its last lines) are at the end.
 */
export const KEPT_BYTES = 1024 * 1024;

/** The last `limit` bytes of a stream, and how many came before them. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= this.limit * 2) return;
    // Compacted now and then, not per chunk: amortised linear in the output.
    const all = Buffer.concat(this.chunks);
    const keep = all.subarray(all.length - this.limit);
    this.dropped += all.length - keep.length;
    this.chunks = [Buffer.from(keep)];
    this.size = keep.length;
  }

  text(): string {
    let all = Buffer.concat(this.chunks);
    if (all.length > this.limit) {
      this.dropped += all.length - this.limit;
      all = all.subarray(all.length - this.limit);
    }
    if (this.dropped === 0) return all.toString();
    // Cut at a line start so no multi-byte character or line is shown half.
    const nl = all.indexOf(10);
    const tail = nl >= 0 ? all.subarray(nl + 1) : all;
    return `[… ${this.dropped + (all.length - tail.length)} earlier bytes of output not kept]\n${tail.toString()}`;
  }
}

/**
 * Runs a program for a recipe: output captured (and its last line passed to `progress`), the
 * child killed when `signal` aborts, a non-zero exit turned into an error that shows the
 * command and the end of its output, so a pip failure reads like pip's own message.
 */
/** Process groups of commands still running, killed if envbuild exits before them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(group: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-group, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM to the whole group, SIGKILL to what is left of it a moment later. */
function stopGroup(group: number, graceMs: number): void {
  killGroup(group, 'SIGTERM');
  setTimeout(() => killGroup(group, 'SIGKILL'), graceMs).unref();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A second Ctrl-C exits at once (process.exit): its commands must not outlive it.
  process.on('exit', () => {
    for (const group of liveGroups) killGroup(group, 'SIGKILL');
  });
}

export async function execForPart(
  label: string,
  command: string,
  args: readonly string[],
  options: ExecOptions,
  signal: AbortSignal,
  progress: (line: string) => void,
  // A parameter only so that a test need not wait the whole grace; recipes get the default.
  killGraceMs = KILL_GRACE_MS,
): Promise<ExecResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  // Loaded on first use: a plan, a no-op or a run without commands never spawns.
  const { spawn } = await import('node:child_process');
  installExitHook();
  return new Promise((resolve, reject) => {
    const aborted = () => (signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    if (signal.aborted) return reject(aborted());
    // Its own process group (detached), so that stopping it stops what it started too: a
    // shell's `sleep`, pip's build backends. Killed as a group on abort and when envbuild exits.
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const group = child.pid;
    if (group !== undefined) liveGroups.add(group);
    let settled = false;
    const onAbort = () => {
      if (group !== undefined) stopGroup(group, killGraceMs);
      // Not waiting for 'close': a grandchild that ignores SIGTERM may hold the pipes open.
      settled = true;
      reject(aborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('exit', () => {
      signal.removeEventListener('abort', onAbort);
      if (group !== undefined) liveGroups.delete(group);
    });
    const out = new OutputTail(KEPT_BYTES);
    const err = new OutputTail(KEPT_BYTES);
    let shownAt = 0;
    const onData = (chunk: Buffer, sink: OutputTail) => {
      sink.add(chunk);
      // At most ten progress lines a second: a flood of output is not echoed line by line.
      const now = performance.now();
      if (now - shownAt < PROGRESS_INTERVAL_MS) return;
      // Only the end of a chunk is shown: a megabyte-long chunk is not split into lines.
      const last = chunk.subarray(-2048).toString().trimEnd().split('\n').at(-1)?.trim();
      if (last) {
        shownAt = now;
        progress(redactText(last).slice(0, 160));
      }
    };
    child.stdout?.on('data', (c: Buffer) => onData(c, out));
    child.stderr?.on('data', (c: Buffer) => onData(c, err));
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('error', (e: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      if (settled) return;
      reject(new UserError('EEXEC', redactText(`${label}: cannot run ${command}: ${e.code ?? e.message}`), { hint: 'is the program installed and on PATH?' }));
    });
    child.on('close', (code, sig) => {
      if (settled) return;
      const stdout = out.text();
      const stderr = err.text();
      const result: ExecResult = { code: code ?? 128, stdout, stderr };
      if (signal.aborted) return reject(aborted());
      if ((code === 0 && !sig) || options.allowFailure) return resolve(result);
      const printed = `${stdout}${stderr}`.trimEnd();
      const output = printed === '' ? [] : printed.split('\n');
      const tail = output.slice(-TAIL_LINES).map((l) => `    ${l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)} […${l.length - MAX_LINE} more characters]` : l}`).join('\n');
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(
        // Arguments and output may carry an index URL's credentials.
        new UserError('EEXEC', redactText(`${label}: ${[command, ...args].join(' ')} ${how}${tail ? `:\n${output.length > TAIL_LINES ? '    …\n' : ''}${tail}` : ''}`), {
          hint: 'the output above is the command\'s own; fix the cause and apply again',
        }),
      );
    });
  });
}
