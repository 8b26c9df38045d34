/**
 * `envbuild cache dir|size|clean`: the shared wheel cache (see src/install/cache.ts). Cleaning
 * is always safe: environments hold hard links or copies, never references into the cache.
 */
import { cacheSize, cleanCache, defaultCacheDir } from '../install/cache.js';
import type { Io } from './types.js';

const ACTIONS = ['dir', 'size', 'clean'] as const;

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

/** Returns the exit code; usage errors are 2 like the rest of the CLI. */
export async function runCacheCommand(args: readonly (string | undefined)[], json: boolean, io: Io): Promise<number> {
  const [action, ...extra] = args.filter((a): a is string => a !== undefined);
  if (action === undefined || !(ACTIONS as readonly string[]).includes(action) || extra.length > 0) {
    io.err(`envbuild: usage: envbuild cache dir|size|clean${action !== undefined && !(ACTIONS as readonly string[]).includes(action) ? ` (unknown action "${action}")` : ''}`);
    return 2;
  }
  const dir = defaultCacheDir(process.env);
  if (action === 'dir') {
    io.out(json ? JSON.stringify({ format: 1, command: 'cache', dir }) : dir);
    return 0;
  }
  if (action === 'size') {
    const { bytes, wheels } = await cacheSize(dir);
    io.out(json ? JSON.stringify({ format: 1, command: 'cache', dir, bytes, wheels }) : `${human(bytes)} in ${dir} (${wheels} wheel${wheels === 1 ? '' : 's'})`);
    return 0;
  }
  const before = await cacheSize(dir);
  await cleanCache(dir);
  io.out(json ? JSON.stringify({ format: 1, command: 'cache', dir, freedBytes: before.bytes, wheels: before.wheels }) : `removed ${before.wheels} wheel${before.wheels === 1 ? '' : 's'} (${human(before.bytes)}) from ${dir}`);
  return 0;
}
