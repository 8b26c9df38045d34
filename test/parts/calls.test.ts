/**
 * How a recipe's calls end, as the user sees it: a part's `timeout:` stops it with a message
 * naming the part and the time, a run's Ctrl-C is passed on, and a command a recipe runs shows
 * its progress, its output on failure (the end of it, redacted) and dies with the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { execForPart, KEPT_BYTES, KILL_GRACE_MS } from '../../src/parts/exec.js';
import { settleRecipeCall } from '../../src/parts/settle.js';
import { tempDir } from '../helpers/temp-dir.js';

const never = new AbortController().signal;

describe('settleRecipeCall', () => {
  it('returns what the call returns, and passes on what it throws', async () => {
    await expect(settleRecipeCall('part a.p (r)', 'apply', never, undefined, async () => 7)).resolves.toBe(7);
    await expect(settleRecipeCall('part a.p (r)', 'apply', never, 1000, async () => 8)).resolves.toBe(8);
    await expect(settleRecipeCall('part a.p (r)', 'apply', never, undefined, () => { throw new Error('sync'); })).rejects.toThrow('sync');
    await expect(settleRecipeCall('part a.p (r)', 'apply', never, undefined, async () => { throw new Error('async'); })).rejects.toThrow('async');
  });

  it.for([
    [50, '50ms'],
    [2000, '2s'],
    [120_000, '2m'],
    [7_200_000, '2h'],
    [90_000, '90s'],
    [1500, '1500ms'],
  ] as const)('stops a call past its timeout of %i ms, saying "%s", and aborts its signal', async ([ms, shown]) => {
    let seen: AbortSignal | undefined;
    // A call that ends only once its signal is aborted, as a recipe running a command does
    // (a fake clock would not let the real timer of a long timeout be checked quickly).
    const call = (signal: AbortSignal) => {
      seen = signal;
      return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    const started = settleRecipeCall('part app.deps (packages)', 'remove', never, ms, call);
    if (ms > 100) {
      // Only the short ones are waited for; the long ones are checked for their message.
      const outer = new AbortController();
      const p = settleRecipeCall('part app.deps (packages)', 'remove', outer.signal, ms, call);
      outer.abort(new Error('ctrl-c'));
      await expect(p).rejects.toThrow('ctrl-c');
      void started.catch(() => undefined);
      return;
    }
    const e = (await started.catch((err: unknown) => err)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('ETIMEOUT');
    expect(e.message).toBe(`part app.deps (packages): remove did not finish within ${shown} (its timeout); it was stopped`);
    expect(e.hint).toBe("raise the part's `timeout:` if it needs longer, or find what it waits for");
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(e);
  });

  it('passes on an abort of the run, also one that came before the call', async () => {
    const outer = new AbortController();
    outer.abort(new Error('interrupted'));
    let aborted: boolean | undefined;
    await settleRecipeCall('p', 'apply', outer.signal, undefined, async (signal) => {
      aborted = signal.aborted;
    });
    expect(aborted).toBe(true);
  });

  it('leaves no listener behind on the run’s signal', async () => {
    const outer = new AbortController();
    const exitHooks = process.listenerCount('beforeExit');
    for (let i = 0; i < 20; i++) await settleRecipeCall('p', 'apply', outer.signal, 1000, async () => i);
    await settleRecipeCall('p', 'apply', outer.signal, 1000, async () => { throw new Error('x'); }).catch(() => undefined);
    let called = 0;
    const probe = new AbortController();
    const spy = probe.signal;
    const add = spy.addEventListener.bind(spy);
    const remove = spy.removeEventListener.bind(spy);
    let live = 0;
    spy.addEventListener = ((...a: Parameters<typeof add>) => { live++; return add(...a); }) as typeof add;
    spy.removeEventListener = ((...a: Parameters<typeof remove>) => { live--; return remove(...a); }) as typeof remove;
    await settleRecipeCall('p', 'apply', spy, 1000, async () => { called++; });
    expect(called).toBe(1);
    expect(live).toBe(0);
    expect(process.listenerCount('beforeExit')).toBe(exitHooks);
  });
});

describe('settleRecipeCall on a fake clock', () => {
  afterEach(() => void vi.useRealTimers());

  // Long timeouts checked to the millisecond: the call is still running 1 ms before its
  // timeout and is stopped at it, with the time as the manifest would write it.
  it.for([
    [7_200_000, '2h'],
    [120_000, '2m'],
    [90_000, '90s'],
    [2000, '2s'],
    [1500, '1500ms'],
    [3_660_000, '61m'],
  ] as const)('stops a call of timeout %i ms exactly then, saying "%s"', async ([ms, shown]) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let seen: AbortSignal | undefined;
    const started = settleRecipeCall('part app.deps (packages)', 'apply', never, ms, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    });
    const outcome = started.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(ms - 1);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const e = (await outcome) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`part app.deps (packages): apply did not finish within ${shown} (its timeout); it was stopped`);
    expect(seen?.reason).toBe(e);
  });

  it('clears its timer once the call ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await expect(settleRecipeCall('p', 'apply', never, 60_000, async () => 1)).resolves.toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('settleRecipeCall when nothing can settle the call', () => {
  it('fails naming the part and phase once Node has nothing left to wait for', async () => {
    const stuck = settleRecipeCall('part app.deps (packages)', 'remove', never, undefined, () => new Promise<never>(() => undefined));
    const outcome = stuck.catch((err: unknown) => err);
    // What Node emits when the event loop is empty and the call's promise is still pending.
    process.emit('beforeExit', 0);
    const e = (await outcome) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('ESTALLED');
    expect(e.message).toBe("part app.deps (packages): the recipe's remove() never finished: it waits for something that will never happen (a promise nobody settles)");
    expect(e.hint).toBe('this is a bug in the recipe: report it to its author; a `timeout:` on the part bounds how long it may take');
  });
});

describe('settleRecipeCall after the call', () => {
  it("no longer passes the run's abort on to a call that has ended", async () => {
    const outer = new AbortController();
    let inner: AbortSignal | undefined;
    await settleRecipeCall('p', 'apply', outer.signal, undefined, async (signal) => void (inner = signal));
    outer.abort(new Error('ctrl-c'));
    expect(inner?.aborted).toBe(false);
  });
});

/** Whether a process still runs: gone, or dead and waiting to be reaped (a zombie), is not running. */
function isRunning(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('execForPart', () => {
  const run = (args: string[], options = {}, signal = never, progress: string[] = []) =>
    execForPart('part app.p (paths)', '/bin/sh', ['-c', ...args], options, signal, (l) => void progress.push(l));

  it('returns the output of a command that succeeds, and shows its last line as progress', async () => {
    const progress: string[] = [];
    const r = await run(['printf "one\\ntwo\\n"; printf "warn" >&2'], {}, never, progress);
    expect(r).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: 'warn' });
    expect(progress[0]).toBe('two');
  });

  it('passes input, working directory and environment (a variable set, one removed)', async () => {
    const dir = tempDir();
    process.env['ENVBUILD_TEST_DROPPED'] = 'was-set';
    process.env['ENVBUILD_TEST_KEPT'] = 'kept';
    try {
      const r = await run(['cat; pwd; echo "[$ADDED][${ENVBUILD_TEST_DROPPED-unset}][$ENVBUILD_TEST_KEPT]"'], { input: 'from stdin\n', cwd: dir, env: { ADDED: 'yes', ENVBUILD_TEST_DROPPED: undefined } });
      expect(r.stdout).toBe(`from stdin\n${dir}\n[yes][unset][kept]\n`);
    } finally {
      delete process.env['ENVBUILD_TEST_DROPPED'];
      delete process.env['ENVBUILD_TEST_KEPT'];
    }
  });

  it('fails with the command, its exit code and the end of its output, redacted', async () => {
    const e = (await run(['echo "fetching https://u:Exec-S3cret@h/"; echo "it broke" >&2; exit 3', 'sh', 'https://u:Exec-S3cret@h/x']).catch((err: unknown) => err)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('EEXEC');
    expect(e.message).toBe(
      `part app.p (paths): /bin/sh -c echo "fetching https://u:***@h/"; echo "it broke" >&2; exit 3 sh https://u:***@h/x exited with code 3:\n    fetching https://u:***@h/\n    it broke`,
    );
    expect(e.hint).toBe("the output above is the command's own; fix the cause and apply again");
  });

  it('says a command failed without output, and one killed by a signal', async () => {
    await expect(run(['exit 2'])).rejects.toThrow(/^part app\.p \(paths\): \/bin\/sh -c exit 2 exited with code 2$/);
    await expect(run(['kill -TERM $$'])).rejects.toThrow(/ was killed by SIGTERM$/);
  });

  it('returns a failure when told to allow it', async () => {
    expect(await run(['echo out; exit 5'], { allowFailure: true })).toEqual({ code: 5, stdout: 'out\n', stderr: '' });
    expect((await run(['kill -KILL $$'], { allowFailure: true })).code).toBe(128);
  });

  it('shows only the last 40 lines of a long output, and cuts a very long line', async () => {
    const e = (await run(['for i in $(seq 1 45); do echo "line $i"; done; head -c 1500 /dev/zero | tr "\\0" x; echo; exit 1']).catch((err: unknown) => err)) as UserError;
    const lines = e.message.split('\n');
    expect(lines[1]).toBe('    …');
    expect(lines[2]).toBe('    line 7');
    expect(lines.at(-2)).toBe('    line 45');
    expect(lines.at(-1)).toBe(`    ${'x'.repeat(1000)} […500 more characters]`);
    expect(lines).toHaveLength(2 + 40);
    const exact = (await run(['for i in $(seq 1 40); do echo "l$i"; done; exit 1']).catch((err: unknown) => err)) as UserError;
    expect(exact.message.split('\n')[1]).toBe('    l1');
    const edge = (await run([`head -c 1000 /dev/zero | tr "\\0" y; exit 1`]).catch((err: unknown) => err)) as UserError;
    expect(edge.message.split('\n')[1]).toBe(`    ${'y'.repeat(1000)}`);
  });

  it('keeps only the last MiB of a flood of output, cut at a line start', async () => {
    const r = await run([`yes ${'a'.repeat(999)} | head -n 3000; echo last`]);
    const [note, ...rest] = r.stdout.split('\n');
    expect(note).toMatch(/^\[… \d+ earlier bytes of output not kept\]$/);
    const dropped = Number(/\d+/.exec(note!)![0]);
    const kept = rest.join('\n');
    expect(dropped + Buffer.byteLength(kept)).toBe(3000 * 1000 + 5);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(KEPT_BYTES);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(KEPT_BYTES - 1000);
    expect(rest.slice(0, -2).every((l) => l === 'a'.repeat(999))).toBe(true);
    expect(rest.at(-2)).toBe('last');
  });

  it('gives a command no input unless told to: one reading its input ends at once', async () => {
    expect(await run(['cat; echo done'])).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
  });

  it('shows progress as the last non-blank line of what a command printed, trimmed and cut to 160 characters', async () => {
    const progress: string[] = [];
    await run([`printf '  ${'p'.repeat(200)}  \n\n\n'`], {}, never, progress);
    expect(progress).toEqual(['p'.repeat(160)]);
    const blank: string[] = [];
    await run(['printf "\n   \n"'], {}, never, blank);
    expect(blank).toEqual([]);
  });

  it('shows at most one progress line every 100 ms, however fast a command prints', async () => {
    const at: number[] = [];
    await execForPart('part app.p (paths)', '/bin/sh', ['-c', 'for i in $(seq 1 40); do echo "step $i"; sleep 0.005; done'], {}, never, () => void at.push(performance.now()));
    expect(at.length).toBeGreaterThan(0);
    // Measured here, after the runner's own clock reading: a margin for the time in between.
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThan(50);
  });

  /**
   * Starts a command whose grandchild ignores SIGTERM, as a build backend busy in C code may,
   * and interrupts the run once the grandchild is up; returns the grandchild's pid. It ends by
   * itself after 30 s or more: a mutant (or a runner killed on timeout) that never reaches a
   * test's cleanup leaves no process behind for good.
   */
  async function interruptDeaf(killGraceMs?: number): Promise<number> {
    const pidFile = path.join(tempDir(), 'pid');
    const controller = new AbortController();
    const script = `sh -c 'trap "" TERM; echo $$ > ${pidFile}; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done' & wait`;
    const running = execForPart('part app.p (paths)', '/bin/sh', ['-c', script], {}, controller.signal, () => undefined, killGraceMs);
    for (let i = 0; i < 250 && !(fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 20));
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    controller.abort(new Error('ctrl-c'));
    await expect(running).rejects.toThrow('ctrl-c');
    return grandchild;
  }

  it('kills what ignores the stop signal of an interrupted run, a moment later', async () => {
    // The grace made short here (its default is asserted below): the test need not wait 2 s.
    const grandchild = await interruptDeaf(150);
    const stopped = performance.now();
    while (isRunning(grandchild) && performance.now() - stopped < 6000) await new Promise((r) => setTimeout(r, 20));
    const survived = isRunning(grandchild);
    // Never left running, whatever the outcome.
    if (survived) process.kill(grandchild, 'SIGKILL');
    expect(survived).toBe(false);
  });

  it('gives what ignores the stop signal its grace, 2 s by default, before killing it', async () => {
    expect(KILL_GRACE_MS).toBe(2000);
    const grandchild = await interruptDeaf();
    // Timers never fire early: 300 ms after the stop, well inside the grace, it still runs.
    await new Promise((r) => setTimeout(r, 300));
    const running = isRunning(grandchild);
    process.kill(grandchild, 'SIGKILL');
    expect(running).toBe(true);
  });

  it('keeps the last MiB exactly, from the line start that begins it', async () => {
    // 100 bytes (a line), then exactly a MiB less one byte: the kept MiB starts with the newline.
    const r = await run([`head -c 99 /dev/zero | tr "\\0" a; echo; head -c ${KEPT_BYTES - 2} /dev/zero | tr "\\0" b; echo`]);
    expect(r.stdout).toBe(`[… 100 earlier bytes of output not kept]\n${'b'.repeat(KEPT_BYTES - 2)}\n`);
  });

  it("leaves no listener on the run's signal once a command has ended or could not start", async () => {
    const probe = new AbortController();
    const live = new Map<string, number>();
    const add = probe.signal.addEventListener.bind(probe.signal);
    const remove = probe.signal.removeEventListener.bind(probe.signal);
    probe.signal.addEventListener = ((type: string, ...rest: unknown[]) => (live.set(type, (live.get(type) ?? 0) + 1), (add as (...a: unknown[]) => void)(type, ...rest))) as typeof add;
    probe.signal.removeEventListener = ((type: string, ...rest: unknown[]) => (live.set(type, (live.get(type) ?? 0) - 1), (remove as (...a: unknown[]) => void)(type, ...rest))) as typeof remove;
    await run(['true'], {}, probe.signal);
    await execForPart('p', '/nonexistent/prog', [], {}, probe.signal, () => undefined).catch(() => undefined);
    expect(Object.fromEntries(live)).toEqual({ abort: 0 });
  });

  it('says a program cannot be run', async () => {
    const e = (await execForPart('part app.p (paths)', '/nonexistent/prog', ['--token=x'], {}, never, () => undefined).catch((err: unknown) => err)) as UserError;
    expect(e).toMatchObject({ code: 'EEXEC', message: 'part app.p (paths): cannot run /nonexistent/prog: ENOENT', hint: 'is the program installed and on PATH?' });
  });

  it('stops the command and what it started when the run is interrupted', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'pid');
    const controller = new AbortController();
    const running = run([`sleep 30 & echo $! > ${pidFile}; wait`], {}, controller.signal);
    for (let i = 0; i < 200 && !(fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 20));
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    controller.abort(new Error('ctrl-c'));
    await expect(running).rejects.toThrow('ctrl-c');
    // SIGTERM stops it at once: well before the SIGKILL that follows a 2 s grace.
    const stopped = performance.now();
    while (isRunning(grandchild) && performance.now() - stopped < 1000) await new Promise((r) => setTimeout(r, 20));
    expect(isRunning(grandchild)).toBe(false);
    // Already interrupted: nothing is started.
    await expect(run([`touch ${path.join(dir, 'started')}`], {}, controller.signal)).rejects.toThrow('ctrl-c');
    const plain = new AbortController();
    plain.abort();
    await expect(run(['true'], {}, plain.signal)).rejects.toThrow();
    expect(fs.existsSync(path.join(dir, 'started'))).toBe(false);
  });
});
