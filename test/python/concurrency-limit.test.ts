import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/python/concurrency-limit.js';

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
