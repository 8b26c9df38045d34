/**
 * The apply lock, in process: a second apply is refused (or waits) and is told who holds the
 * lock; a lock whose holder is known dead is taken over at once, one whose holder may be alive
 * (or whose directory the dead holder did not take) is not; and a run with nothing to do clears
 * a dead holder's leftovers. Killed CLI applies are in test/reliability/lock.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, clearAbandonedLock } from '../../src/state/lock.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A pid no process has, as a killed holder leaves in its holder file: above the largest
 * pid_max Linux allows (2^22), so the kernel never hands it out (and spawning a process just
 * to get a dead pid costs a second on a loaded machine, for every mutant of this folder).
 */
function deadPid(): number {
  return 4_194_305;
}

/** A lock as a run killed while holding it leaves it: the lock directory and the holder file. */
function leftLock(dir: string, holder: { pid?: number; host?: string; lock?: 'taken' | 'other' | 'none' } = {}): fs.Stats {
  const state = path.join(dir, '.envbuild');
  fs.mkdirSync(path.join(state, 'lock'), { recursive: true });
  // Refreshed "in the future": proper-lockfile's stale fallback (10 s) cannot take it during a
  // test, so a lock that is acquired was taken over, not waited out.
  const ahead = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(state, 'lock'), ahead, ahead);
  const st = fs.statSync(path.join(state, 'lock'));
  const which = holder.lock ?? 'taken';
  const lock = which === 'none' ? undefined : `${st.dev}:${st.ino}:${which === 'taken' ? st.birthtimeMs : st.birthtimeMs - 1000}`;
  const record = { pid: holder.pid ?? deadPid(), host: holder.host ?? os.hostname(), command: 'envbuild apply (killed)', since: '2026-01-01T00:00:00.000Z', lock };
  fs.writeFileSync(path.join(state, 'lock-holder.json'), `${JSON.stringify(record)}\n`);
  return st;
}

// How long a refused acquire waits for a dead holder's lock to go stale: long enough for a
// second takeover attempt (they come every 100 ms), short enough to run for every mutant.
const BRIEF_WAIT = 60;

const holderFile = (dir: string) => path.join(dir, '.envbuild', 'lock-holder.json');

describe('acquireLock', () => {
  it('refuses a second apply at once, saying who holds the lock', async () => {
    const dir = tempDir();
    const release = await acquireLock(dir, { command: 'envbuild apply first' });
    try {
      const holder = JSON.parse(fs.readFileSync(holderFile(dir), 'utf8'));
      expect(holder).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'envbuild apply first' });
      expect(Date.parse(holder.since)).not.toBeNaN();
      // It names the command line: readable by this user only.
      expect(fs.statSync(holderFile(dir)).mode & 0o777).toBe(0o600);
      const e = await acquireLock(dir, { command: 'envbuild apply second' }).catch((err: unknown) => err);
      expect(e).toMatchObject({
        code: 'ELOCKED',
        message: `another apply holds the lock on ${path.join(dir, '.envbuild')}: process ${process.pid} on ${os.hostname()} (envbuild apply first), since ${holder.since}`,
        hint: 'wait for it to finish, or pass --wait',
      });
    } finally {
      await release();
    }
    expect(fs.readdirSync(path.join(dir, '.envbuild'))).toEqual([]);
  });

  it('records the process command line when no command is given', async () => {
    const dir = tempDir();
    const release = await acquireLock(dir);
    try {
      expect(JSON.parse(fs.readFileSync(holderFile(dir), 'utf8')).command).toBe(process.argv.slice(1).join(' '));
    } finally {
      await release();
    }
  });

  it('with --wait, gets the lock once its holder releases it, or gives up at the deadline', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, { command: 'first' });
    const asked = Date.now();
    const e = await acquireLock(dir, { wait: true, waitTimeoutMs: 100 }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ELOCKED', hint: 'gave up waiting; try again later' });
    // Not before the deadline.
    expect(Date.now() - asked).toBeGreaterThanOrEqual(100);
    setTimeout(() => void first(), 100);
    const second = await acquireLock(dir, { wait: true, waitTimeoutMs: 20_000, command: 'second' });
    expect(JSON.parse(fs.readFileSync(holderFile(dir), 'utf8')).command).toBe('second');
    await second();
  });

  it('names no holder when the holder file is missing or half-written', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, '.envbuild', 'lock'), { recursive: true });
    await expect(acquireLock(dir)).rejects.toThrow(`another apply holds the lock on ${path.join(dir, '.envbuild')}: another envbuild process`);
    fs.writeFileSync(holderFile(dir), '{"pid": 12');
    await expect(acquireLock(dir)).rejects.toThrow(/: another envbuild process$/);
    fs.writeFileSync(holderFile(dir), '{"pid": "12", "host": "h"}');
    await expect(acquireLock(dir)).rejects.toThrow(/: another envbuild process$/);
    fs.writeFileSync(holderFile(dir), '{"pid": 1, "host": "elsewhere.example"}');
    await expect(acquireLock(dir)).rejects.toThrow(/: process 1 on elsewhere\.example \(\?\), since \?$/);
  });

  it('takes over at once the lock of a holder known dead, without waiting', async () => {
    const dir = tempDir();
    leftLock(dir);
    const release = await acquireLock(dir, { waitTimeoutMs: 2_000, command: 'after the crash' });
    expect(JSON.parse(fs.readFileSync(holderFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, command: 'after the crash' });
    await release();
    expect(fs.readdirSync(path.join(dir, '.envbuild'))).toEqual([]);
  });

  it.for([
    ['a lock directory the dead holder did not take', { lock: 'other' as const }],
    ['a holder that did not record its lock', { lock: 'none' as const }],
    ['a live holder', { pid: process.pid }],
    // init: alive, and (for a user other than root) signalling it is not permitted.
    ['a live holder of another user', { pid: 1 }],
    ['a holder on another host', { host: 'elsewhere.example' }],
  ] as const)('does not take over %s', async ([, holder]) => {
    const dir = tempDir();
    const before = leftLock(dir, holder);
    await expect(acquireLock(dir, { waitTimeoutMs: BRIEF_WAIT })).rejects.toMatchObject({ code: 'ELOCKED' });
    const after = fs.statSync(path.join(dir, '.envbuild', 'lock'));
    expect([after.ino, after.birthtimeMs]).toEqual([before.ino, before.birthtimeMs]);
  });

  it('leaves a dead holder’s lock that is nearly stale to the stale-lock removal, which then takes it', async () => {
    const dir = tempDir();
    const before = leftLock(dir);
    const lock = path.join(dir, '.envbuild', 'lock');
    // 8 s old: past the takeover margin (7 s), not yet stale (10 s).
    const eight = new Date(Date.now() - 8_000);
    fs.utimesSync(lock, eight, eight);
    await expect(acquireLock(dir, { waitTimeoutMs: BRIEF_WAIT })).rejects.toMatchObject({ code: 'ELOCKED' });
    expect(fs.statSync(lock).ino).toBe(before.ino);
    const stale = new Date(Date.now() - 11_000);
    fs.utimesSync(lock, stale, stale);
    const release = await acquireLock(dir, { waitTimeoutMs: BRIEF_WAIT });
    await release();
    expect(fs.readdirSync(path.join(dir, '.envbuild'))).toEqual([]);
  });

  it('does not take over while another process is taking it over', async () => {
    const dir = tempDir();
    const before = leftLock(dir);
    fs.mkdirSync(path.join(dir, '.envbuild', 'lock.takeover'));
    await expect(acquireLock(dir, { waitTimeoutMs: BRIEF_WAIT })).rejects.toMatchObject({ code: 'ELOCKED' });
    expect(fs.statSync(path.join(dir, '.envbuild', 'lock')).ino).toBe(before.ino);
  });

  it('removes a takeover guard left by a process killed inside it, not a fresh one', async () => {
    const dir = tempDir();
    const guard = path.join(dir, '.envbuild', 'lock.takeover');
    fs.mkdirSync(guard, { recursive: true });
    let release = await acquireLock(dir);
    await release();
    expect(fs.existsSync(guard)).toBe(true);
    const old = new Date(Date.now() - 5_000);
    fs.utimesSync(guard, old, old);
    release = await acquireLock(dir);
    await release();
    expect(fs.existsSync(guard)).toBe(false);
  });

  it('refuses a .envbuild that is a symbolic link', async () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    fs.symlinkSync(elsewhere, path.join(dir, '.envbuild'));
    await expect(acquireLock(dir)).rejects.toMatchObject({ code: 'EPATH' });
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

describe('clearAbandonedLock', () => {
  it('clears the lock of a holder known dead', async () => {
    const dir = tempDir();
    leftLock(dir);
    await clearAbandonedLock(dir);
    expect(fs.readdirSync(path.join(dir, '.envbuild'))).toEqual([]);
  });

  it.for([
    ['a live holder', { pid: process.pid }],
    ['a holder on another host', { host: 'elsewhere.example' }],
  ] as const)('leaves the lock of %s alone', async ([, holder]) => {
    const dir = tempDir();
    leftLock(dir, holder);
    await clearAbandonedLock(dir);
    expect(fs.readdirSync(path.join(dir, '.envbuild')).sort()).toEqual(['lock', 'lock-holder.json']);
  });

  it('removes a holder file left without its lock by a dead run, not by a live one', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, '.envbuild'));
    fs.writeFileSync(holderFile(dir), JSON.stringify({ pid: process.pid, host: os.hostname() }));
    await clearAbandonedLock(dir);
    expect(fs.existsSync(holderFile(dir))).toBe(true);
    fs.writeFileSync(holderFile(dir), JSON.stringify({ pid: deadPid(), host: 'elsewhere.example' }));
    await clearAbandonedLock(dir);
    expect(fs.existsSync(holderFile(dir))).toBe(true);
    fs.writeFileSync(holderFile(dir), JSON.stringify({ pid: deadPid(), host: os.hostname() }));
    await clearAbandonedLock(dir);
    expect(fs.existsSync(holderFile(dir))).toBe(false);
    // Nothing at all: nothing to do.
    await expect(clearAbandonedLock(tempDir())).resolves.toBeUndefined();
  });
});
