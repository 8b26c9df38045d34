import { availableParallelism } from 'node:os';

/** One unit of work (an environment's plan) and the keys of the units it must wait for. */
export interface ScheduledStep {
  readonly key: string;
  readonly after: readonly string[];
  readonly run: () => Promise<void>;
}

/**
 * How many environments run at once: `requested` (`--jobs N`), by default as many as can run
 * side by side (`width`), never more than the cores — the work is disk I/O on libuv's thread
 * pool plus JavaScript on the main thread, and more steps in flight than cores only add
 * memory and interleaving. Parallel runs are as kill-safe as sequential ones: what each
 * environment records does not depend on the order they finish in (shared-parents.ts), and
 * the interruption suite kills a parallel apply at every fault point.
 */
export function jobsFor(requested: number | undefined, width: number, cores = availableParallelism()): number {
  const n = requested === undefined || !Number.isFinite(requested) ? width : Math.floor(requested);
  return Math.max(1, Math.min(n, cores));
}

/**
 * How many steps can run side by side at most, as the largest number at one depth of the
 * graph of `after` (steps at one depth never wait for each other).
 */
export function widthOf(steps: ReadonlyArray<Pick<ScheduledStep, 'key' | 'after'>>): number {
  const depth = new Map<string, number>();
  const count = new Map<number, number>();
  for (const step of steps) {
    const d = Math.max(0, ...step.after.map((k) => (depth.get(k) ?? -1) + 1));
    depth.set(step.key, d);
    count.set(d, (count.get(d) ?? 0) + 1);
  }
  return Math.max(0, ...count.values());
}

/**
 * Runs steps with at most `jobs` in flight, each after the steps it names (which must come
 * earlier in `steps`). On the first failure no further step starts; the steps already running
 * finish (each records its own progress in the state), then the first error is thrown.
 */
export async function runScheduled(steps: readonly ScheduledStep[], jobs: number): Promise<void> {
  const done = new Map<string, Promise<void>>();
  let failure: { error: unknown } | null = null;
  let slots = jobs;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (slots > 0) {
      slots--;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const releaseSlot = () => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };
  for (const step of steps) {
    const before = step.after.map((k) => done.get(k)).filter((p): p is Promise<void> => p !== undefined);
    const promise = (async () => {
      // A step never runs once one it waits for has failed: the failure is reported instead.
      await Promise.all(before);
      await acquire();
      try {
        if (failure) return;
        await step.run();
      } catch (error) {
        failure ??= { error };
        throw error;
      } finally {
        releaseSlot();
      }
    })();
    // Settles once the step is over; rejects when any step failed, so dependants never start.
    const settled = promise.then(
      () => (failure ? Promise.reject(new Error('skipped')) : undefined),
      () => Promise.reject(new Error('skipped')),
    );
    settled.catch(() => undefined);
    done.set(step.key, settled);
  }
  await Promise.allSettled([...done.values()]);
  if (failure) throw (failure as { error: unknown }).error;
}

/**
 * The steps each environment must wait for: those of the environments whose part outputs it
 * reads, and earlier ones touching the same directory or one inside the other (a removal and
 * a creation at one path stay in plan order).
 */
export function dependencies(
  items: ReadonlyArray<{ readonly key: string; readonly paths: readonly string[]; readonly uses: readonly string[] }>,
): Map<string, string[]> {
  const keys = new Set(items.map((i) => i.key));
  const atPath = new Map<string, string[]>();
  const under = new Map<string, string[]>();
  const ancestors = (p: string) => {
    const out: string[] = [];
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) out.push(p.slice(0, i));
    return out;
  };
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  const result = new Map<string, string[]>();
  for (const item of items) {
    const after = new Set(item.uses.filter((u) => u !== item.key && keys.has(u)));
    for (const p of item.paths) {
      for (const k of atPath.get(p) ?? []) after.add(k);
      for (const k of under.get(p) ?? []) after.add(k);
      for (const a of ancestors(p)) for (const k of atPath.get(a) ?? []) after.add(k);
    }
    for (const p of item.paths) {
      push(atPath, p, item.key);
      for (const a of ancestors(p)) push(under, a, item.key);
    }
    after.delete(item.key);
    result.set(item.key, [...after]);
  }
  return result;
}
