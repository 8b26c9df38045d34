import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { debianPython } from '../helpers/require-python.js';
import { makeProject, REPO } from '../helpers/project.js';
import { cliAsync } from '../reliability/harness.js';

describe('envbuild command line', () => {
  it('--help tells the truth about commands and options, --version prints the version', () => {
    const p = makeProject();
    const help = p.run('--help');
    expect(help.code).toBe(0);
    for (const word of ['apply', 'plan', 'validate', 'destroy', 'pythons', 'help <command>']) {
      expect(help.stdout).toContain(word);
    }
    // Options are in each command's own help.
    expect(p.run('help', 'plan').stdout).toContain('--detailed-exitcode');
    for (const word of ['--env', '--json', '--wait']) expect(p.run('apply', '--help').stdout).toContain(word);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    expect(p.run('--version').stdout.trim()).toBe(pkg.version);
  });

  it('runs under the Node major CI asks for (.ci/run tests Node 22 and 24 as well as 20)', () => {
    const major = process.versions.node.split('.')[0];
    expect(Number(major)).toBeGreaterThanOrEqual(20);
    const wanted = process.env['ENVBUILD_EXPECT_NODE_MAJOR'];
    if (wanted !== undefined) expect(major).toBe(wanted);
    // The CLI under test runs on the same Node.
    expect(makeProject().run('--version').code).toBe(0);
  });

  it('exits 2 on bad usage', () => {
    const p = makeProject();
    expect(p.run('frobnicate').code).toBe(2);
    expect(p.run('apply', '--no-such-flag').code).toBe(2);
    expect(p.run('apply', '--detailed-exitcode').code).toBe(2);
    expect(p.run('plan', 'a.yaml', 'b.yaml').code).toBe(2);
    for (const bad of ['0', '-1', '1.5', 'two']) {
      const r = p.run('apply', `--jobs=${bad}`);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--jobs takes a whole number of at least 1, not "${bad}"`);
    }
    expect(p.run('destroy', '--jobs', '0').code).toBe(2);
    expect(p.run('plan', '--jobs', '2').code).toBe(2);
  });

  it('reports a missing manifest as a user error, without a stack trace', () => {
    const p = makeProject();
    const r = p.run('plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `envbuild: no env.yaml in ${p.dir} or any parent directory\n  hint: run envbuild init to write one here, or name the manifest: envbuild plan path/to/env.yaml\n`,
    );
  });

  it('an invalid manifest: every problem with file:line:col, exit 1, nothing written', () => {
    const p = makeProject('envbuild: 1\nenvironments:\n  app:\n    python: 3\n    isolaton: full\n    layout: tree\n');
    const r = p.run('apply');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        '3 problems in the manifest:',
        `${p.manifest}:4:13: expected a string, got the number 3 (at environments.app.python)`,
        '  hint: write it in quotes: "3"',
        `${p.manifest}:5:5: unknown key \`isolaton\`; did you mean \`isolation\`? (at environments.app.isolaton)`,
        `${p.manifest}:6:13: expected \`auto\`, \`venv\` or \`classic\`, got the string "tree" (at environments.app.layout)`,
        '',
      ].join('\n'),
    );
    expect(fs.readdirSync(p.dir).sort()).toEqual(['env.yaml']);
  });

  it('an interpreter that cannot be found is located at the python value', () => {
    const p = makeProject('envbuild: 1\nenvironments:\n  app:\n    python: "9.9"\n');
    const r = p.run('plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:4:13`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a second apply is refused while another holds the lock, naming the holder', async (ctx) => {
    const p = makeProject(`envbuild: 1\nenvironments:\n  app:\n    python: ${debianPython(ctx, 11)}\n`);
    const release = await acquireLock(p.dir, { command: 'test holder' });
    try {
      const r = await p.runAsync('apply');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`process ${process.pid}`);
      expect(r.stderr).toContain('test holder');
      expect(r.stderr).toContain('--wait');
      expect(fs.existsSync(p.env('app'))).toBe(false);
    } finally {
      await release();
    }
    expect((await p.runAsync('apply')).code).toBe(0);
  });

  it('--wait waits for the holder to finish', async (ctx) => {
    const p = makeProject(`envbuild: 1\nenvironments:\n  app:\n    python: ${debianPython(ctx, 11)}\n`);
    const release = await acquireLock(p.dir, { command: 'test holder' });
    // The stage trace says when the run has found the lock taken and started waiting.
    const waiting = cliAsync(p.dir, ['apply', '--wait'], { ENVBUILD_TRACE: '1' });
    await waiting.waitFor(/^envbuild-trace waiting for the lock$/m, 60_000);
    expect(waiting.child.exitCode).toBeNull();
    expect(fs.existsSync(p.env('app'))).toBe(false);
    await release();
    const r = await waiting.done;
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(p.env('app'), 'pyvenv.cfg'))).toBe(true);
  });

  it('refuses a state file written by a newer envbuild, without touching it', (ctx) => {
    const p = makeProject(`envbuild: 1\nenvironments:\n  app:\n    python: ${debianPython(ctx, 11)}\n`);
    fs.mkdirSync(path.join(p.dir, '.envbuild'));
    const newer = JSON.stringify({ format: 'envbuild-state', version: 99, writtenBy: '9.0.0', environments: {} });
    fs.writeFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), newer);
    const r = p.run('apply');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('written by a newer envbuild');
    expect(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8')).toBe(newer);
    expect(fs.existsSync(p.env('app'))).toBe(false);
  });
});
