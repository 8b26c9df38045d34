/**
 * The built-in recipes through the real runner (`apply` of the public API): one manifest using
 * all four, applied, re-applied as a no-op that runs no pip and writes nothing, changed, and
 * its parts removed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';


import { apply, plan } from '../../src/index.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { debianPython } from '../helpers/require-python.js';
import { buildTestWheelhouse } from '../helpers/wheelhouse.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: string;
beforeAll(async () => {
  dir = tempDir('envbuild-runner-');
  await buildTestWheelhouse(path.join(dir, 'wheels'));
});

const manifest = (python: string, pin: string, withParts = true) => `envbuild: 1
environments:
  app:
    python: ${python}
    parts:
${
  withParts
    ? `      deps:
        recipe: packages
        requirements: ["alpha==${pin}", tool]
        find-links: [wheels]
        no-index: true
      bin:
        recipe: scripts
        entry-points-of: \${parts.deps.installed}
        interpreter: py
        wrappers:
          fast: { module: tool, env: { TOOL_MODE: fast } }
      config:
        recipe: file
        path: "\${environments.app.path}/etc/app.ini"
        content: "alpha = \${parts.deps.installed.alpha}\\n"
      marker:
        recipe: command
        command: "echo ran >> ran.txt && touch made"
        creates: made
`
    : '      {}\n'
}`;

function run(file: string, args: string[] = []) {
  return spawnSync(file, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() } }).stdout.trim();
}

describe('built-in recipes through the runner', () => {
  it('applies, re-applies as a no-op, follows a changed pin, and removes the parts', async (ctx) => {
    const python = debianPython(ctx, 11);
    const file = path.join(dir, 'env.yaml');
    const options = { progress: 'silent' as const, discovery: { cacheDir: path.join(dir, '.cache') } };
    const env = path.join(dir, 'envs', 'app');
    fs.writeFileSync(file, manifest(python, '1.0'));
    await apply(file, options);
    expect(run(path.join(env, 'bin', 'alpha'))).toBe('alpha 1.0');
    expect(run(path.join(env, 'bin', 'fast'))).toBe('tool module fast');
    expect(run(path.join(env, 'bin', 'py'), ['-c', 'import alpha; print(alpha.VERSION)'])).toBe('1.0');
    expect(fs.readFileSync(path.join(env, 'etc', 'app.ini'), 'utf8')).toBe('alpha = 1.0\n');
    expect(fs.readFileSync(path.join(dir, 'ran.txt'), 'utf8')).toBe('ran\n');

    const before = snapshotTree(dir, { mtimes: true });
    const again = await plan(file, options);
    expect(again.plan.environments.flatMap((e) => e.parts.map((p) => p.action))).toEqual(['no-op', 'no-op', 'no-op', 'no-op']);
    await apply(file, options);
    expect(snapshotTree(dir, { mtimes: true })).toEqual(before);

    fs.writeFileSync(file, manifest(python, '2.0'));
    await apply(file, options);
    expect(run(path.join(env, 'bin', 'alpha'))).toBe('alpha 2.0');
    expect(fs.readFileSync(path.join(env, 'etc', 'app.ini'), 'utf8')).toBe('alpha = 2.0\n');
    expect(fs.readFileSync(path.join(dir, 'ran.txt'), 'utf8')).toBe('ran\n');

    fs.writeFileSync(file, manifest(python, '2.0', false));
    await apply(file, options);
    expect(fs.readdirSync(path.join(env, 'lib', 'python3.11', 'site-packages')).filter((n) => n.endsWith('.dist-info'))).toEqual([]);
    for (const gone of ['etc/app.ini', 'bin/py', 'bin/fast', 'bin/alpha']) expect(fs.existsSync(path.join(env, gone)), gone).toBe(false);
  });
});
