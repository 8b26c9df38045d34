/**
 * Permission failures as an ordinary user meets them. Root reads and writes anything, so on a
 * machine where the tests run as root (CI does) the in-process cases of test/state/store.test.ts
 * that need a refused read or write cannot happen; here the real CLI runs as `nobody` through
 * `setpriv` instead, in a project that user owns.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { CLI } from '../helpers/project.js';
import { tempDir } from '../helpers/temp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs a command as nobody, with a clean environment of its own. */
function asNobody(cwd: string, env: Record<string, string>, cmd: string, args: string[]) {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args], {
    cwd,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Why nobody cannot run this CLI here, or undefined when it can. The Node that runs the tests
 * and the checkout must be readable by other users: a checkout under root's 0700 home is not,
 * and no package .ci/run could install changes that.
 */
function unreachable(): string | undefined {
  if (!asRoot) return 'runs only as root (as another user, test/state/store.test.ts meets these failures in-process)';
  const probe = asNobody('/', { PATH: '/usr/bin:/bin' }, process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI)}, require('fs').constants.R_OK)`]);
  if (probe.code === null && probe.stderr === '') return 'setpriv is not installed';
  if (probe.code !== 0) return `user nobody cannot run ${process.execPath} on ${CLI}: ${probe.stderr.trim().split('\n')[0] ?? ''}`;
  return undefined;
}

const why = unreachable();

/** A project owned by nobody, and the environment its runs get (its own home, cache and key). */
function nobodysProject(python: string) {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'env.yaml'), `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
  fs.chmodSync(dir, 0o755);
  fs.chownSync(dir, NOBODY, NOBODY);
  fs.chownSync(path.join(dir, 'env.yaml'), NOBODY, NOBODY);
  const env = { PATH: '/usr/bin:/bin', HOME: dir, ENVBUILD_CACHE_DIR: path.join(dir, '.cache'), ENVBUILD_CONFIG_DIR: path.join(dir, '.cache', 'config'), CI: 'true', NO_COLOR: '1' };
  const run = (args: string[], over: Record<string, string> = {}) => asNobody(dir, { ...env, ...over }, process.execPath, [CLI, ...args]);
  return { dir, run };
}

describe.skipIf(why !== undefined)(`as another user than root${why ? ` (skipped: ${why})` : ''}`, () => {
  it('a state file the user cannot read is refused with the reason and a hint, and nothing changes', (ctx) => {
    const p = nobodysProject(debianPython(ctx, 11));
    expect(p.run(['apply']).code).toBe(0);
    const state = path.join(p.dir, '.envbuild', 'env.yaml.state.json');
    fs.chmodSync(state, 0);
    const before = snapshotTree(p.dir, { mtimes: true });
    for (const command of ['plan', 'apply']) {
      const r = p.run([command]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `envbuild: ${state}: permission denied (open, EACCES)\n  hint: check the permissions of this path and its parent directories, or run as a user who may write there\n`,
      );
    }
    expect(snapshotTree(p.dir, { mtimes: true })).toEqual(before);
  });

  it('a key that cannot be created says where, and no environment is left half-recorded', (ctx) => {
    const p = nobodysProject(debianPython(ctx, 11));
    const readOnly = path.join(p.dir, 'read-only');
    fs.mkdirSync(readOnly, { mode: 0o500 });
    fs.chownSync(readOnly, NOBODY, NOBODY);
    const r = p.run(['apply'], { ENVBUILD_CONFIG_DIR: path.join(readOnly, 'config') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `envbuild: cannot create the key that signs envbuild's state at ${path.join(readOnly, 'config', 'state-key')} (EACCES)\n  hint: make the directory writable, or set ENVBUILD_CONFIG_DIR to a private directory\n`,
    );
    expect(fs.existsSync(path.join(p.dir, 'envs', 'app'))).toBe(false);
    expect(fs.readdirSync(readOnly)).toEqual([]);
    // With a key it can write, the same project applies.
    expect(p.run(['apply']).code).toBe(0);
  });
});
