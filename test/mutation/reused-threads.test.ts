/**
 * The thread-keeping pool behind `npm run mutate` (test/mutation/reused-threads.mjs): a run
 * that follows a parked one runs in the same thread, yet evaluates the project's modules
 * afresh and applies its own test filter; with parking off, every run gets a new thread.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const driver = fileURLToPath(new URL('./reused-threads-driver.mjs', import.meta.url));

/** One line of the log: a test, the thread it ran in, and its module's evaluation count. */
interface Logged {
  test: string;
  thread: number;
  evaluation: number;
}

/** A project whose tests log their thread and how many times their module was evaluated. */
function project(): { root: string; logged: () => Logged[] } {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'src'));
  fs.mkdirSync(path.join(root, 'test'));
  // The count lives on globalThis, which a kept thread keeps; the module's own binding is
  // only as old as its last evaluation.
  fs.writeFileSync(
    path.join(root, 'src', 'counter.mjs'),
    'globalThis.evaluations = (globalThis.evaluations ?? 0) + 1;\nexport const evaluation = globalThis.evaluations;\n',
  );
  fs.writeFileSync(
    path.join(root, 'test', 'log.test.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      "import { threadId } from 'node:worker_threads';",
      "import { test } from 'vitest';",
      "import { evaluation } from '../src/counter.mjs';",
      "const log = (test) => appendFileSync(new URL('../log', import.meta.url), JSON.stringify({ test, thread: threadId, evaluation }) + '\\n');",
      "test('first', () => log('first'));",
      "test('second', () => log('second'));",
      '',
    ].join('\n'),
  );
  const logged = () =>
    fs
      .readFileSync(path.join(root, 'log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Logged);
  return { root, logged };
}

function drive(root: string, steps: [boolean, string | null][]): string[][] {
  const out = execFileSync(process.execPath, [driver, root, JSON.stringify(steps)], { cwd: path.dirname(driver), encoding: 'utf8', timeout: 50_000 });
  // vitest prints its summary too; the driver's answer is the last line.
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[][];
}

describe('the reused-threads pool', () => {
  it('runs the next run in the parked thread, with modules evaluated again and its own test filter', () => {
    const { root, logged } = project();
    expect(drive(root, [[true, null], [true, 'second']])).toEqual([['first', 'second'], ['second']]);
    const [first, second, again] = logged();
    expect(first).toMatchObject({ test: 'first', evaluation: 1 });
    expect(second).toEqual({ ...first, test: 'second' });
    // Same thread (globalThis kept its count), module evaluated afresh.
    expect(again).toEqual({ test: 'second', thread: first!.thread, evaluation: 2 });
  }, 60_000);

  it('gives every run a new thread while parking is off', () => {
    const { root, logged } = project();
    expect(drive(root, [[true, 'first'], [false, 'first'], [true, 'first'], [true, 'first']])).toEqual([['first'], ['first'], ['first'], ['first']]);
    const runs = logged();
    const threads = runs.map((r) => r.thread);
    // Turning parking off ends the parked thread; a run without parking ends its own.
    expect(threads[1]).not.toBe(threads[0]);
    expect(threads[2]).not.toBe(threads[1]);
    expect(threads[3]).toBe(threads[2]);
    expect(runs.map((r) => r.evaluation)).toEqual([1, 1, 1, 2]);
  }, 60_000);
});
