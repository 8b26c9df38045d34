import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from '../errors/user-error.js';
import { faultPoint } from '../fault-injection.js';
import { redactText } from '../secrets/redact.js';
import { traceStage } from '../trace.js';
import { refuseLinkedStateDir, stateDir } from './store.js';

/** Who holds the lock, written beside it so a refused run can say whom it waits for. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
  /**
   * Which lock directory this holder took (`dev:ino:birthtime`): a new lock directory can reuse
   * the inode of a removed one, never its birth time. Lets a dead holder's lock be taken over
   * at once without mistaking a newer lock (whose holder has not yet written this file) for it.
   */
  readonly lock?: string;
}

export interface LockOptions {
  /** Wait for the holder to finish instead of failing at once. */
  readonly wait?: boolean;
  /** Upper bound on waiting, in ms (default 10 minutes). */
  readonly waitTimeoutMs?: number;
  readonly command?: string;
}

// proper-lockfile refreshes the lock's mtime every stale/2 ms and treats an older lock as
// abandoned (the fallback for a holder on another host, or whose pid was reused). A holder
// known dead (by pid, on this host) is taken over at once; see takeOverAbandoned.
const STALE_MS = 10_000;
// Takeovers keep clear of the age at which proper-lockfile's own stale removal (which is not
// serialised with them) may start, so the two never act on the same lock directory.
const TAKEOVER_MARGIN_MS = 3_000;

export type Release = () => Promise<void>;

/**
 * Takes the lock that serialises applies on one state directory. The lock is a directory
 * created with mkdir (atomic), kept fresh by proper-lockfile; holder details sit beside it.
 */
export async function acquireLock(manifestDir: string, options: LockOptions = {}): Promise<Release> {
  const dir = stateDir(manifestDir);
  await refuseLinkedStateDir(manifestDir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, 'state.json');
  const lockPath = path.join(dir, 'lock');
  const holderPath = path.join(dir, 'lock-holder.json');
  const deadline = Date.now() + (options.waitTimeoutMs ?? 600_000);
  let waited = false;

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
        command: redactText(options.command ?? process.argv.slice(1).join(' ')),
        since: new Date().toISOString(),
        lock: lockIdentity(await fs.stat(lockPath)),
      };
      await fs.writeFile(holderPath, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
      faultPoint('lock taken');
      // A takeover guard left by a process killed inside it: stale once not refreshed for
      // 2 s (a live guard is refreshed every second), and no longer needed.
      const guard = await fs.stat(`${lockPath}.takeover`).catch(() => null);
      if (guard && Date.now() - guard.mtimeMs > 2_000) await fs.rmdir(`${lockPath}.takeover`).catch(() => undefined);
      return async () => {
        await fs.rm(holderPath, { force: true });
        await release();
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const holder = await readHolder(holderPath);
      const abandoned = holder !== null && holder.host === os.hostname() && !isAlive(holder.pid);
      if (abandoned && (await takeOverAbandoned(lockPath, holderPath, holder))) continue;
      // Not taken over (another process is doing it, or the lock is nearly stale): a holder
      // killed without releasing stops refreshing the lock, so proper-lockfile sees it as
      // stale within STALE_MS. Waiting for that is safe.
      if (abandoned && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
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
      if (!waited) traceStage('waiting for the lock');
      waited = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * A lock left by a killed run is cleared even by a run with nothing to do (which otherwise
 * takes no lock): when its holder is known dead, take it over and release it at once. A live
 * holder's lock is left alone.
 */
export async function clearAbandonedLock(manifestDir: string): Promise<void> {
  const dir = stateDir(manifestDir);
  const present = await fs.lstat(path.join(dir, 'lock')).then(() => true, () => false);
  const holder = await readHolder(path.join(dir, 'lock-holder.json'));
  if (!present) {
    // A holder file without its lock: a run killed while releasing.
    if (holder && holder.host === os.hostname() && !isAlive(holder.pid)) await fs.rm(path.join(dir, 'lock-holder.json'), { force: true });
    return;
  }
  if (holder && (holder.host !== os.hostname() || isAlive(holder.pid))) return;
  try {
    const release = await acquireLock(manifestDir, { waitTimeoutMs: STALE_MS + 2_000, wait: true, command: 'envbuild (clearing a stale lock)' });
    await release();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
}

function lockIdentity(st: { dev: number; ino: number; birthtimeMs: number }): string {
  return `${st.dev}:${st.ino}:${st.birthtimeMs}`;
}

/**
 * Removes the lock of a holder that died without releasing it, so the caller can take the
 * lock at once instead of waiting for it to go stale. Takeovers are serialised by a second,
 * short-lived lock (`lock.takeover`); inside it the lock directory is removed only if it is
 * still the very one the dead holder took (its recorded identity), so a lock just taken by
 * another process, before it wrote its holder file, is never removed. Returns whether the
 * caller should simply try again.
 */
async function takeOverAbandoned(lockPath: string, holderPath: string, holder: LockHolder): Promise<boolean> {
  if (!holder.lock) return false;
  let releaseGuard: () => Promise<void>;
  try {
    releaseGuard = await lockfile.lock(lockPath, {
      lockfilePath: `${lockPath}.takeover`,
      realpath: false,
      stale: 2_000,
      onCompromised: () => undefined,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return false;
    throw e;
  }
  try {
    const st = await fs.stat(lockPath).catch(() => null);
    if (!st) return true;
    if (st.birthtimeMs === 0 || Date.now() - st.mtimeMs > STALE_MS - TAKEOVER_MARGIN_MS) return false;
    const current = await readHolder(holderPath);
    if (current?.pid !== holder.pid || current.lock !== lockIdentity(st)) return false;
    await fs.rmdir(lockPath);
    faultPoint('stale lock removed');
    return true;
  } finally {
    await releaseGuard();
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
        ...(typeof data.lock === 'string' ? { lock: data.lock } : {}),
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
