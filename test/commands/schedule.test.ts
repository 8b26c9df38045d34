import { expect, test } from 'vitest';
import { dependencies, jobsFor, runScheduled, widthOf } from '../../src/commands/schedule.js';

test('an environment waits for those whose outputs it reads and for earlier ones at the same or a nested path', () => {
  const deps = dependencies([
    { key: 'a', paths: ['/p/envs/a'], uses: [] },
    { key: 'b', paths: ['/p/envs/b'], uses: ['a', 'b', 'gone'] },
    { key: 'c', paths: ['/p/envs/a/inner'], uses: [] },
    { key: 'old', paths: ['/p/envs/b'], uses: [] },
    { key: 'd', paths: ['/p/envs/d'], uses: [] },
  ]);
  expect(Object.fromEntries(deps)).toEqual({ a: [], b: ['a'], c: ['a'], old: ['b'], d: [] });
});

test('at most `jobs` steps run at once, each after those it waits for; a failure stops what has not started', async () => {
  let running = 0;
  let most = 0;
  const order: string[] = [];
  const step = (key: string, after: string[] = [], fail = false) => ({
    key,
    after,
    run: async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      order.push(key);
      if (fail) throw new Error(`${key} failed`);
    },
  });
  await runScheduled([step('a'), step('b'), step('c', ['a']), step('d')], 2);
  expect(most).toBe(2);
  expect(order.indexOf('c')).toBeGreaterThan(order.indexOf('a'));
  expect(order.sort()).toEqual(['a', 'b', 'c', 'd']);

  order.length = 0;
  await expect(runScheduled([step('x', [], true), step('y', ['x']), step('z'), step('w')], 1)).rejects.toThrow('x failed');
  expect(order).toEqual(['x']);
});

test('--jobs is bounded by the cores; by default as many as are independent, up to the cores', () => {
  expect(jobsFor(undefined, 3, 2)).toBe(2);
  expect(jobsFor(undefined, 1, 8)).toBe(1);
  expect(jobsFor(undefined, 0, 8)).toBe(1);
  expect(jobsFor(undefined, 5, 8)).toBe(5);
  expect(jobsFor(8, 1, 2)).toBe(2);
  expect(jobsFor(1, 3, 2)).toBe(1);
});

test('the width of a schedule is the most steps that never wait for each other', () => {
  const s = (key: string, after: string[] = []) => ({ key, after });
  expect(widthOf([])).toBe(0);
  expect(widthOf([s('a'), s('b'), s('c')])).toBe(3);
  expect(widthOf([s('a'), s('b', ['a']), s('c', ['b'])])).toBe(1);
  expect(widthOf([s('a'), s('b', ['a']), s('c', ['a']), s('d')])).toBe(2);
});
