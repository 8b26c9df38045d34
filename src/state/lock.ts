import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from '../errors/user-error.js';
import { stateDir } from './store.js';

/** Who holds the lock, written beside it so a refused run can say whom it waits for. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
}

export interface LockOptions {
  /** Wait for the holder to finish instead of failing at once. */
  readonly wait?: boolean;
  /** Upper bound on waiting, in ms (default 10 minutes). */
  readonly waitTimeoutMs?: number;
  readonly command?: string;
}

// proper-lockfile refreshes the lock's mtime every stale/2 ms and treats an older lock as
// abandoned. A dead holder (by pid, on this host) is waited out even without --wait.
const STALE_MS = 10_000;

export type Release = () => Promise<void>;

/**
 * Takes the lock that serialises applies on one state directory. The lock is a directory
 * created with mkdir (atomic), kept fresh by proper-lockfile; holder details sit beside it.
 */
export async function acquireLock(manifestDir: string, options: LockOptions = {}): Promise<Release> {
  const dir = stateDir(manifestDir);
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, 'state.json');
  const lockPath = path.join(dir, 'lock');
  const holderPath = path.join(dir, 'lock-holder.json');
  const deadline = Date.now() + (options.waitTimeoutMs ?? 600_000);

  for (;;) {
    try {
      const release = await lockfile.lock(target, {
        lockfilePath: lockPath,
        realpath: false,
        stale: STALE_MS,
        // A lost lock (mtime not refreshable) means another process may now write the
        // state; failing loudly beats two writers.
        onCompromised: (err) => {
          throw err;
        },
      });
      const holder: LockHolder = {
        pid: process.pid,
        host: os.hostname(),
        command: options.command ?? process.argv.slice(1).join(' '),
        since: new Date().toISOString(),
      };
      await fs.writeFile(holderPath, `${JSON.stringify(holder)}\n`);
      return async () => {
        await fs.rm(holderPath, { force: true });
        await release();
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const holder = await readHolder(holderPath);
      // A holder killed without releasing stops refreshing the lock, so proper-lockfile
      // sees it as stale within STALE_MS; waiting that long is safe, whereas deleting the
      // lock here could race with a new holder that has not yet written its details.
      const abandoned = holder !== null && holder.host === os.hostname() && !isAlive(holder.pid);
      if (abandoned && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (!options.wait || Date.now() > deadline) {
        const who = holder
          ? `process ${holder.pid} on ${holder.host} (${holder.command}), since ${holder.since}`
          : 'another envbuild process';
        throw new UserError('ELOCKED', `another apply holds the lock on ${dir}: ${who}`, {
          hint: options.wait ? 'gave up waiting; try again later' : 'wait for it to finish, or pass --wait',
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function readHolder(file: string): Promise<LockHolder | null> {
  try {
    const data = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockHolder>;
    if (typeof data.pid === 'number' && typeof data.host === 'string') {
      return {
        pid: data.pid,
        host: data.host,
        command: typeof data.command === 'string' ? data.command : '?',
        since: typeof data.since === 'string' ? data.since : '?',
      };
    }
  } catch {
    // Missing or half-written holder file: the lock itself is still authoritative.
  }
  return null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
