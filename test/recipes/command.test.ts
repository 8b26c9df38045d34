/**
 * The command recipe: run at apply, guarded by `creates` and `unless`, re-run when `creates`
 * goes missing or the options change, `remove-command` on removal, output shown on failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import command, { type CommandOptions } from '../../recipes/command/index.js';
import { makeTestEnvironment, PartHarness } from '../helpers/recipe-context.js';
import { debianPython } from '../helpers/require-python.js';

async function setup(ctx: Parameters<typeof debianPython>[0]) {
  const t = await makeTestEnvironment(debianPython(ctx, 11));
  return { t, part: new PartHarness(command, t) };
}

const count = (dir: string) => (fs.existsSync(path.join(dir, 'runs')) ? fs.readFileSync(path.join(dir, 'runs'), 'utf8').length : 0);

describe('command', () => {
  it('runs once guarded by creates, and again when what it creates goes missing', async (ctx) => {
    const { t, part } = await setup(ctx);
    const options: CommandOptions = { command: 'echo x >> runs && mkdir -p data && touch data/db', creates: 'data/db' };
    expect(await part.converge(options)).toEqual({ action: 'create', reasons: ['run echo x >> runs && mkdir -p data && touch data/db'] });
    expect(count(t.dir)).toBe(2);
    expect(part.previous?.outputs).toEqual({ ran: true });

    expect(await part.converge(options)).toEqual({ action: 'no-op', reasons: [] });
    // Applied anyway (another option changed, say): creates still guards it.
    await part.apply(options);
    expect(part.previous?.outputs).toEqual({ ran: false });
    expect(count(t.dir)).toBe(2);

    fs.rmSync(path.join(t.dir, 'data', 'db'));
    expect(await part.plan(options)).toEqual({ action: 'update', reasons: ['data/db is missing'] });
    await part.converge(options);
    expect(count(t.dir)).toBe(4);
  });

  it('skips the command when unless succeeds', async (ctx) => {
    const { t, part } = await setup(ctx);
    const options: CommandOptions = { command: ['sh', '-c', 'echo x >> runs'], unless: 'test -f flag' };
    await part.converge(options);
    expect(count(t.dir)).toBe(2);
    fs.writeFileSync(path.join(t.dir, 'flag'), '');
    await part.apply(options);
    expect(count(t.dir)).toBe(2);
    expect(part.logs).toContain('skipped: test -f flag succeeded');
  });

  it('runs an argv command in cwd with extra variables, and the remove-command on removal', async (ctx) => {
    const { t, part } = await setup(ctx);
    fs.mkdirSync(path.join(t.dir, 'sub'));
    await part.converge({
      command: ['sh', '-c', 'printf "%s %s" "$GREETING" "$1" > out', 'sh', 'a b'],
      cwd: 'sub',
      env: { GREETING: 'hello there' },
      'remove-command': 'rm out', // in cwd too
    });
    expect(fs.readFileSync(path.join(t.dir, 'sub', 'out'), 'utf8')).toBe('hello there a b');
    await part.remove();
    expect(fs.existsSync(path.join(t.dir, 'sub', 'out'))).toBe(false);
  });

  it("fails with the command's output when it exits non-zero", async (ctx) => {
    const { part } = await setup(ctx);
    await expect(part.apply({ command: 'echo "the disk is full" >&2; exit 3' })).rejects.toThrow(/exited with code 3:\n {4}the disk is full/);
    expect(part.previous).toBeNull();
  });
});
