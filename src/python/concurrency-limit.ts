/** Runs at most `limit` of the given tasks at a time, in submission order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(limit: number): Limiter {
  const max = Math.max(1, Math.floor(limit));
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so a newcomer cannot
    // slip in between and exceed the limit.
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next === undefined) active--;
      else next();
    }
  };
}

/**
 * `items.map(f)` with at most `limit` running at once; results in input order. The first
 * failure stops the tasks not yet started, and the promise rejects with it only once the
 * running ones have ended: every caller writes where its own caller cleans up after a failure
 * (a cache entry, a staging tree), and nothing may still be writing when that happens.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const run = createLimiter(limit);
  let failure: { error: unknown } | undefined;
  const results = await Promise.all(
    items.map((item) =>
      run(async () => {
        if (failure) return undefined;
        try {
          return await f(item);
        } catch (e) {
          failure ??= { error: e };
          return undefined;
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  // No task failed: every result is f's.
  return results as R[];
}
