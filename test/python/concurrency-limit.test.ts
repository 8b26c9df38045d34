import { describe, expect, it } from 'vitest';
import { createLimiter, mapLimit } from '../../src/python/concurrency-limit.js';

describe('createLimiter', () => {
  it('never runs more than the limit at once, and runs everything', async () => {
    const limit = createLimiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        limit(async () => {
          started.push(i);
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5 + (i % 3)));
          active--;
          if (i === 3) throw new Error('task 3 fails');
          return i;
        }).catch((e: unknown) => (e as Error).message),
      ),
    );
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results).toEqual([0, 1, 2, 'task 3 fails', 4, 5, 6]);
  });

  it('lets a newcomer wait its turn even when a slot is being handed over', async () => {
    const limit = createLimiter(1);
    let active = 0;
    let peak = 0;
    const task = (): Promise<void> =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        await Promise.resolve();
        active--;
      });
    const first = task();
    const second = task();
    await first;
    const third = task(); // submitted while the slot passes from first to second
    await Promise.all([second, third]);
    expect(peak).toBe(1);
  });
});

describe('mapLimit', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('returns every result in input order when nothing fails', async () => {
    expect(await mapLimit([30, 5, 10, 1], 2, async (ms) => (await sleep(ms), ms * 2))).toEqual([60, 10, 20, 2]);
  });

  it('on a failure starts nothing more, and rejects with it once the running tasks have ended', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const run = mapLimit([0, 1, 2, 3, 4], 2, async (i) => {
      started.push(i);
      await sleep(i === 0 ? 60 : 5);
      ended.push(i);
      if (i === 1) throw new Error('task 1 fails');
      return i;
    });
    const e = await run.then(() => undefined, (err: unknown) => err);
    expect(e).toEqual(new Error('task 1 fails'));
    // Task 0 was still running when task 1 failed: the rejection waited for it.
    expect(ended).toEqual([1, 0]);
    expect(started).toEqual([0, 1]);
  });

  it('rejects with the first failure in time, not in order', async () => {
    const e = await mapLimit([40, 5], 2, async (ms) => {
      await sleep(ms);
      throw new Error(`failed after ${ms} ms`);
    }).then(() => undefined, (err: unknown) => err);
    expect(e).toEqual(new Error('failed after 5 ms'));
  });
});
