import { UserError } from '../errors/user-error.js';
import type { ExecOptions, ExecResult } from '../recipe-api/api.js';
import { redactText } from '../secrets/redact.js';

const TAIL_LINES = 40;

/**
 * Runs a program for a recipe: output captured (and its last line passed to `progress`), the
 * child killed when `signal` aborts, a non-zero exit turned into an error that shows the
 * command and the end of its output, so a pip failure reads like pip's own message.
 */
export async function execForPart(
  label: string,
  command: string,
  args: readonly string[],
  options: ExecOptions,
  signal: AbortSignal,
  progress: (line: string) => void,
): Promise<ExecResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  // Loaded on first use: a plan, a no-op or a run without commands never spawns.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env,
      signal,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const onData = (chunk: Buffer, sink: 'out' | 'err') => {
      const text = chunk.toString();
      if (sink === 'out') stdout += text;
      else stderr += text;
      const last = text.trimEnd().split('\n').at(-1)?.trim();
      if (last) progress(redactText(last).slice(0, 160));
    };
    child.stdout?.on('data', (c: Buffer) => onData(c, 'out'));
    child.stderr?.on('data', (c: Buffer) => onData(c, 'err'));
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') return reject(e);
      reject(new UserError('EEXEC', redactText(`${label}: cannot run ${command}: ${e.code ?? e.message}`), { hint: 'is the program installed and on PATH?' }));
    });
    child.on('close', (code, sig) => {
      const result: ExecResult = { code: code ?? 128, stdout, stderr };
      if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
      if ((code === 0 && !sig) || options.allowFailure) return resolve(result);
      const output = `${stdout}${stderr}`.trimEnd().split('\n');
      const tail = output.slice(-TAIL_LINES).map((l) => `    ${l}`).join('\n');
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
