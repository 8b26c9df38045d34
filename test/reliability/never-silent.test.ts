/**
 * A run never ends in silent success, and never outlives what it started: a recipe whose
 * apply() never settles fails naming the part; a part's `timeout:` stops it and its commands;
 * Ctrl-C stops a running command's whole process group and exits 130 promptly; a second
 * Ctrl-C exits at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/alive.js';
import { debianPython } from '../helpers/require-python.js';
import { cli, cliAsync, makeScenario } from './harness.js';

const manifest = (python: string, parts: string) => `envbuild: 1
environments:
  app:
    python: ${python}
    parts:
${parts}`;

const RECIPES = {
  'never.mjs': `export default { name: 'never', version: '1', options: { type: 'object' }, apply() { return new Promise(() => {}); } };\n`,
  // Ignores its abort signal: only a timeout or a second Ctrl-C ends it early; if nothing
  // does, it leaves deaf.finished beside the manifest after a minute.
  'deaf.mjs': `import fs from 'node:fs';\nexport default { name: 'deaf', version: '1', options: { type: 'object' }, async apply(ctx) { ctx.log('waiting'); await new Promise((r) => setTimeout(r, 60_000)); fs.writeFileSync(ctx.manifestDir + '/deaf.finished', ''); } };\n`,
};

function scenario(python: string, parts: string) {
  const p = makeScenario(manifest(python, parts));
  for (const [name, text] of Object.entries(RECIPES)) fs.writeFileSync(path.join(p.dir, 'recipes', name), text);
  return p;
}

/**
 * A command part whose shell starts a background sleep (its pid written down) and waits for
 * it; a shell that was not stopped leaves sleeper.finished when the sleep ends.
 */
const SLEEPER = `sleep 61 & echo $! > sleeper.pid; wait; touch sleeper.finished`;
/** What a stopped run must not leave: proof that the slow work ran to its end. */
const finished = (dir: string) => ['sleeper.finished', 'deaf.finished'].filter((n) => fs.existsSync(path.join(dir, n)));

async function gone(pid: number, withinMs = 4_000): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

async function sleeperPid(dir: string): Promise<number> {
  const file = path.join(dir, 'sleeper.pid');
  const end = Date.now() + 20_000;
  while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== '')) {
    if (Date.now() > end) throw new Error('the command never started');
    await new Promise((r) => setTimeout(r, 50));
  }
  return Number(fs.readFileSync(file, 'utf8').trim());
}

describe('never a silent success', () => {
  it('a recipe whose apply() never settles fails, naming the part; what came before is saved', (ctx) => {
    const p = scenario(debianPython(ctx, 11), '      first: {recipe: ./recipes/note.mjs, text: a}\n      stuck: {recipe: ./recipes/never.mjs}\n');
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("part app.stuck (never): the recipe's apply() never finished");
    expect(r.stderr).toMatch(/hint: this is a bug in the recipe/);
    const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));
    expect(Object.keys(state.environments.app.parts)).toEqual(['first']);
  });

  it('a part past its timeout fails and its commands are stopped, process group and all', async (ctx) => {
    const p = scenario(debianPython(ctx, 11), `      slow: {recipe: command, command: "${SLEEPER}", timeout: 2s}\n`);
    const run = cliAsync(p.dir, ['apply']);
    const pid = await sleeperPid(p.dir);
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(finished(p.dir)).toEqual([]);
    expect(r.stderr).toContain('part app.slow (command): apply did not finish within 2s (its timeout); it was stopped');
    expect(await gone(pid)).toBe(true);
  });

  it('a timeout ends a recipe that ignores its signal, and the process with it', (ctx) => {
    const p = scenario(debianPython(ctx, 11), '      deaf: {recipe: ./recipes/deaf.mjs, timeout: 1500ms}\n');
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('part app.deaf (deaf): apply did not finish within 1500ms');
    // The process ended with the timeout, not when the recipe's own wait ran out.
    expect(finished(p.dir)).toEqual([]);
  });

  it('`timeout` is checked by the manifest schema, for every recipe', (ctx) => {
    const p = scenario(debianPython(ctx, 11), '      slow: {recipe: command, command: "true", timeout: soon}\n');
    const r = cli(p.dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:6:57: invalid value \`soon\` (at environments.app.parts.slow.timeout)`);
  });
});

describe('SIGINT', () => {
  it('stops a running command’s whole process group and exits 130 promptly', async (ctx) => {
    const p = scenario(debianPython(ctx, 11), `      slow: {recipe: command, command: "${SLEEPER}"}\n`);
    const run = cliAsync(p.dir, ['apply']);
    const pid = await sleeperPid(p.dir);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(finished(p.dir)).toEqual([]);
    expect(r.stderr).toContain('interrupted by SIGINT');
    expect(await gone(pid)).toBe(true);
  });

  it('a second SIGINT exits at once, even while a recipe ignores the first', async (ctx) => {
    const p = scenario(debianPython(ctx, 11), '      deaf: {recipe: ./recipes/deaf.mjs}\n');
    const run = cliAsync(p.dir, ['apply']);
    await run.waitFor(/waiting/);
    run.child.kill('SIGINT');
    await run.waitFor(/press Ctrl-C again to quit at once/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    // It quit without waiting for the recipe (which would have finished after a minute).
    expect(finished(p.dir)).toEqual([]);
  });
});
