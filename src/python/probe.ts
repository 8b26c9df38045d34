import { UserError } from '../errors/index.js';
import { resolveExecutable } from './executable-file.js';
import type { PythonInfo } from './interpreter.js';
import { PROBE_SCRIPT } from './probe-script.js';
import { parseProbeOutput } from './probe-output.js';
import { readFileKind, type Env } from './pyenv.js';

export interface ProbeOptions {
  /** The environment to start from (default `process.env`); every `PYTHON*` variable is dropped. */
  readonly env?: Env;
  /** Default 10 000 ms: a probe takes ~16 ms, but a cold disk or a loaded CI box can be slow. */
  readonly timeoutMs?: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * The result of one probe. `cacheable` is false for failures that may not happen next time
 * (a timeout, a signal, a spawn error such as EAGAIN): only a file's content decides the rest.
 */
export type ProbeOutcome =
  | { readonly ok: true; readonly info: PythonInfo }
  | { readonly ok: false; readonly reason: string; readonly cacheable: boolean };

/** Python 3.4+ isolates with `-I`; older ones reject it and get the flags `-I` stands for. */
const MODERN_FLAGS = ['-I', '-S'] as const;
const LEGACY_FLAGS = ['-E', '-s', '-S'] as const;

/** PYTHONHOME, PYTHONPATH and friends would change what is probed (`-E` ignores them, but a wrapper script might not). */
export function sanitizedEnv(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith('PYTHON')) out[key] = value;
  }
  return out;
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly overflow: boolean;
  readonly spawnError: NodeJS.ErrnoException | undefined;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

async function run(file: string, args: readonly string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<RunResult> {
  // Loaded on first use: a run whose interpreters are all in the probe cache never spawns.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    // cwd "/": Python 2 puts the working directory first on sys.path, and a json.py there would win.
    // detached: its own process group, so a timeout also kills what a wrapper script started.
    const child = spawn(file, args, { env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let overflow = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        overflow = true;
        kill();
      }
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      // A process that left the group may still hold the pipes: stop waiting for them.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 200).unref();
    }, timeoutMs);
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode,
        signal,
        timedOut,
        overflow,
        spawnError,
      });
    });
  });
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? ''
  );
}

/**
 * Runs the probe in `realPath` (already resolved, known to be an executable file) and never
 * throws: discovery reports failures per candidate, `probeInterpreter` turns them into errors.
 */
export async function runProbe(realPath: string, options: ProbeOptions = {}): Promise<ProbeOutcome> {
  const env = sanitizedEnv(options.env ?? process.env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  let result = await run(realPath, [...MODERN_FLAGS, '-c', PROBE_SCRIPT], env, timeoutMs);
  if (result.exitCode === 2 && /unknown option/i.test(result.stderr)) {
    result = await run(realPath, [...LEGACY_FLAGS, '-c', PROBE_SCRIPT], env, timeoutMs);
  }
  if (result.spawnError !== undefined) {
    const code = result.spawnError.code;
    // ENOEXEC: not a format the kernel runs (a text file without #!, a foreign binary).
    return { ok: false, reason: `cannot run it (${code ?? result.spawnError.message})`, cacheable: code === 'ENOEXEC' };
  }
  if (result.timedOut) return { ok: false, reason: `the probe timed out after ${timeoutMs} ms`, cacheable: false };
  if (result.overflow) return { ok: false, reason: `it printed more than ${MAX_OUTPUT / 1024 / 1024} MiB`, cacheable: true };
  if (result.signal !== null) return { ok: false, reason: `killed by ${result.signal}`, cacheable: false };
  if (result.exitCode !== 0) {
    const said = lastLine(result.stderr) || lastLine(result.stdout);
    return { ok: false, reason: `exit status ${result.exitCode}${said === '' ? '' : `: ${said.slice(0, 300)}`}`, cacheable: true };
  }
  const parsed = parseProbeOutput(result.stdout);
  return parsed.ok ? parsed : { ok: false, reason: parsed.problem, cacheable: true };
}

/**
 * Probes one interpreter, uncached. `file` may be a symlink (resolved first); a pyenv shim is
 * refused, since what it runs depends on the caller: `resolveInterpreter` resolves shims.
 * @throws UserError `EPYTHONPROBE` when `file` is not a working Python.
 */
export async function probeInterpreter(file: string, options: ProbeOptions = {}): Promise<PythonInfo> {
  const resolved = await resolveExecutable(file);
  if (!resolved.ok) throw notPython(file, resolved.problem);
  const kind = await readFileKind(resolved.realPath);
  if (kind.kind === 'pyenv-shim') {
    throw new UserError('EPYTHONPROBE', `${file} is a pyenv shim, not an interpreter`, {
      hint: 'name the interpreter under $(pyenv root)/versions/, or use resolveInterpreter, which resolves shims',
    });
  }
  const outcome = await runProbe(resolved.realPath, options);
  if (!outcome.ok) throw notPython(file, outcome.reason);
  return outcome.info;
}

export function notPython(file: string, problem: string): UserError {
  return new UserError('EPYTHONPROBE', `${file} is not a working Python interpreter: ${problem}`, {
    hint: 'check the path, or run it with "-c pass" to see what is wrong',
  });
}
