import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { CLI, makeProject } from '../helpers/project.js';

/** `envbuild-trace` lines (ENVBUILD_TRACE=1): the read-only stages a run went through. */
const stages = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('envbuild-trace '))
    .map((l) => l.slice('envbuild-trace '.length));

/** The CLI in the background with its stderr readable while it runs. */
function start(dir: string, args: string[], cacheDir: string) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, ENVBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1', CI: 'true', ENVBUILD_TRACE: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, stderr: () => stderr };
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('one plan per apply', () => {
  it('a fresh one-environment apply loads and resolves the manifest once', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const r = start(p.dir, ['apply'], p.cacheDir);
    return r.done.then((result) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('created app (envs/app)');
      expect(stages(result.stderr)).toEqual(['load manifest', 'resolve', 'observe and plan']);
    });
  });

  it('plans again when another apply changed the state between its plan and the lock', async (ctx) => {
    const python = debianPython(ctx, 11);
    // The part blocks until the test lets it go, holding the lock; it counts its runs.
    const p = makeProject(
      [
        'envbuild: 1',
        'environments:',
        '  app:',
        `    python: ${python}`,
        '    parts:',
        '      slow:',
        '        recipe: command',
        '        command: "echo started >> started.log; while [ ! -e go ]; do sleep 0.05; done; echo ran >> runs.log"',
        '',
      ].join('\n'),
    );
    const first = start(p.dir, ['apply'], p.cacheDir);
    await until('the first apply to reach its part', () => fs.existsSync(path.join(p.dir, 'started.log')));
    // The second plans while the first holds the lock (app exists, the part still to run), then waits.
    const second = start(p.dir, ['apply', '--wait'], p.cacheDir);
    await until('the second apply to plan', () => stages(second.stderr()).includes('observe and plan'));
    fs.writeFileSync(path.join(p.dir, 'go'), '');

    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code).toBe(0);
    expect(b.stderr.replace(/^envbuild-trace .*\n/gm, '')).toBe('');
    expect(b.code).toBe(0);
    // Whether the second found the lock still held depends on timing: its wait is not checked here.
    expect(stages(b.stderr).filter((s) => s !== 'waiting for the lock')).toEqual([
      'load manifest',
      'resolve',
      'observe and plan',
      'replan: state changed since planning',
      'load manifest',
      'resolve',
      'observe and plan',
    ]);
    // The re-plan saw the part done: it did not run a second time.
    expect(fs.readFileSync(path.join(p.dir, 'runs.log'), 'utf8')).toBe('ran\n');
    expect(stages(a.stderr)).toEqual(['load manifest', 'resolve', 'observe and plan']);
  });
});
