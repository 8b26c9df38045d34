/**
 * Concurrent applies: a lock left by a killed apply is taken over at once (not after the 10 s
 * stale time), never one that may belong to a live apply, and many takers at once still let
 * exactly one apply in at a time. Refusing and waiting are in test/e2e/cli.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { debianPython } from '../helpers/require-python.js';
import { cli, cliAsync, faultPoints, leftovers, makeScenario, normalisedTree } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The pid of a process that has exited: what a killed holder leaves in its holder file. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/** A lock as an apply killed while holding it leaves it: the directory and the holder file. */
function abandonedLock(dir: string, identity: 'real' | 'other' = 'real'): fs.Stats {
  const state = path.join(dir, '.envbuild');
  fs.mkdirSync(path.join(state, 'lock'), { recursive: true });
  const st = fs.statSync(path.join(state, 'lock'), { bigint: false });
  const lock = identity === 'real' ? `${st.dev}:${st.ino}:${st.birthtimeMs}` : `${st.dev}:${st.ino}:${st.birthtimeMs - 1000}`;
  const holder = { pid: deadPid(), host: os.hostname(), command: 'envbuild apply (killed)', since: new Date().toISOString(), lock };
  fs.writeFileSync(path.join(state, 'lock-holder.json'), `${JSON.stringify(holder)}\n`);
  return st;
}

function scratch(): string {
  return tempDir('envbuild-lock-');
}

describe('the apply lock', () => {
  it('takes over at once the lock of an apply killed with SIGKILL, and converges', async (ctx) => {
    const python = debianPython(ctx, 11);
    const manifest = `envbuild: 1\nenvironments:\n  a:\n    python: ${python}\n    parts:\n      slow: {recipe: ./recipes/note.mjs, text: slow, sleep: "30"}\n`;
    const reference = makeScenario(manifest.replace(', sleep: "30"', ''));
    const p = makeScenario(manifest);
    const run = cliAsync(p.dir, ['apply']);
    await run.waitFor(/create part slow/);
    expect(fs.existsSync(path.join(p.dir, '.envbuild', 'lock-holder.json'))).toBe(true);
    run.child.kill('SIGKILL');
    await run.done;
    expect(fs.existsSync(path.join(p.dir, '.envbuild', 'lock'))).toBe(true);

    p.write(manifest.replace(', sleep: "30"', ''));
    // As if killed just now, however long the kill took here: proper-lockfile alone would
    // wait for the lock to be 10 s old; the dead holder's lock is taken over at once instead.
    const now = new Date();
    fs.utimesSync(path.join(p.dir, '.envbuild', 'lock'), now, now);
    const again = cli(p.dir, ['apply'], { env: { ENVBUILD_FAULT_KILL_AFTER: '1000000' } });
    expect(again.stderr.replace(/^envbuild-fault-point .*\n/gm, '')).toBe('');
    expect(again.code).toBe(0);
    expect(faultPoints(again.stderr).slice(0, 2)).toEqual(['stale lock removed', 'lock taken']);
    expect(cli(reference.dir, ['apply']).code).toBe(0);
    expect(normalisedTree(p.dir)).toEqual(normalisedTree(reference.dir));
    expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);
    expect(leftovers(p.dir)).toEqual([]);
  });

  it('does not take over a lock directory the dead holder did not take (a new holder not yet recorded)', async () => {
    const dir = scratch();
    const before = abandonedLock(dir, 'other');
    await expect(acquireLock(dir, { waitTimeoutMs: 1_500 })).rejects.toMatchObject({ code: 'ELOCKED' });
    const after = fs.statSync(path.join(dir, '.envbuild', 'lock'));
    expect([after.ino, after.birthtimeMs]).toEqual([before.ino, before.birthtimeMs]);
  });

  it('lets exactly one of many simultaneous takers in at a time', async () => {
    const dir = scratch();
    abandonedLock(dir);
    let inside = 0;
    let most = 0;
    let entered = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const release = await acquireLock(dir, { wait: true, waitTimeoutMs: 30_000 });
        inside++;
        entered++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 30));
        inside--;
        await release();
      }),
    );
    expect(entered).toBe(8);
    expect(most).toBe(1);
    expect(fs.readdirSync(path.join(dir, '.envbuild'))).toEqual([]);
  });

  it('four CLI applies started at once on a killed apply’s lock all finish, one at a time', async (ctx) => {
    const python = debianPython(ctx, 11);
    // `always` re-applies the part on every run, inside the lock; it fails if it finds
    // another run inside (see the recipe's mutex probe).
    const p = makeScenario(`envbuild: 1\nenvironments:\n  a:\n    python: ${python}\n    parts:\n      each: {recipe: ./recipes/note.mjs, text: x, always: true}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    abandonedLock(p.dir);
    const runs = await Promise.all(Array.from({ length: 4 }, () => cliAsync(p.dir, ['apply', '--wait']).done));
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('parts: each update');
    }
    expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);
  });
});
