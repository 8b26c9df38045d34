/**
 * Credentials in index URLs (`https://user:token@host/simple`), written in the manifest or
 * coming from `${env:...}`, never appear in what envbuild prints (plan, progress, errors, JSON),
 * in state.json, in the lock holder file, or anywhere else it writes; they show as
 * `https://user:***@host/...`. A changed token still re-plans the part.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { cli, cliAsync, makeScenario } from './harness.js';

const TOKEN = 'S3cret-T0ken-42';
const ENV_TOKEN = 'env-Tok3n-XYZ-99';
const env = { IDX_TOKEN: ENV_TOKEN };

const manifest = (python: string, token: string, extra = '') => `envbuild: 1
environments:
  app:
    python: ${python}
    parts:
      idx: {recipe: ./recipes/note.mjs, text: one, index-url: "https://alice:${token}@pypi.example.com/simple"${extra}}
      fromenv: {recipe: ./recipes/note.mjs, text: two, file: two.txt, index-url: "https://bob:\${env:IDX_TOKEN}@pypi.example.com/simple"}
`;

/** Every file envbuild may have written in the project (all but the manifest), searched for `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && p !== path.join(dir, 'env.yaml') && fs.readFileSync(p).includes(secret)) found.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return found;
}

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(ENV_TOKEN);
}

describe('credentials in index URLs', () => {
  it('are redacted in plan, progress, state and the lock holder file, and a changed token re-plans', async (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(manifest(python, TOKEN, ', sleep: "1"'));

    const plan = cli(p.dir, ['plan'], { env });
    expect(plan.code).toBe(0);
    expectNoSecrets(plan.stdout + plan.stderr);

    const run = cliAsync(p.dir, ['apply'], env);
    await run.waitFor(/looking in/);
    const holder = fs.readFileSync(path.join(p.dir, '.envbuild', 'lock-holder.json'), 'utf8');
    expectNoSecrets(holder);
    const applied = await run.done;
    expect(applied.code).toBe(0);
    expectNoSecrets(applied.stdout + applied.stderr);
    expect(applied.stdout).toContain('looking in https://alice:***@pypi.example.com/simple');
    expect(applied.stdout).toContain('looking in https://bob:***@pypi.example.com/simple');

    const state = fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8');
    expect(JSON.parse(state).environments.app.parts.idx.options['index-url']).toBe('https://alice:***@pypi.example.com/simple');
    expect(filesHolding(p.dir, TOKEN)).toEqual([]);
    expect(filesHolding(p.dir, ENV_TOKEN)).toEqual([]);

    // Unchanged: nothing to do, although state holds only the redacted URL.
    p.write(manifest(python, TOKEN));
    const same = cli(p.dir, ['plan', '--json'], { env });
    expectNoSecrets(same.stdout + same.stderr);
    expect(JSON.parse(same.stdout).environments[0].parts.find((x: { name: string }) => x.name === 'idx').reasons).toEqual(['options changed: sleep']);
    expect(cli(p.dir, ['apply'], { env }).code).toBe(0);
    expect(cli(p.dir, ['plan', '--detailed-exitcode'], { env }).code).toBe(0);

    // A new token, in the manifest or in the environment variable: re-planned, still unseen.
    const rotated = cli(p.dir, ['plan'], { env: { IDX_TOKEN: 'env-Tok3n-rotated' } });
    expect(rotated.stdout).toContain('credentials changed in options: index-url');
    expect(rotated.stdout).not.toContain('env-Tok3n-rotated');
    p.write(manifest(python, 'An0ther-T0ken-77'));
    const changed = cli(p.dir, ['apply'], { env });
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('parts: idx update');
    expect(changed.stdout + changed.stderr).not.toContain('An0ther-T0ken-77');
    expect(filesHolding(p.dir, 'An0ther-T0ken-77')).toEqual([]);
  });

  it('are redacted in a failing command’s error, in plain and JSON output', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(manifest(python, TOKEN, ', fail: true'));
    for (const args of [['apply'], ['apply', '--json'], ['apply', '--debug']]) {
      const r = cli(p.dir, args, { env });
      expect(r.code).toBe(1);
      expectNoSecrets(r.stdout + r.stderr);
      expect(r.stdout + r.stderr).toContain('ERROR: no access to https://alice:***@pypi.example.com/simple');
      // The bare token, printed alone by the command, is hidden too.
      expect(r.stdout + r.stderr).toContain('token alone: ***');
    }
    expect(filesHolding(p.dir, TOKEN)).toEqual([]);
  });
});

describe('values from ${env:...}', () => {
  const SECRET = 'dEpl0y-S3cret-value-77';
  const deploy = (python: string, command: string) => `envbuild: 1
environments:
  app:
    python: ${python}
    parts:
      deploy:
        recipe: command
        command: "${command}"
        env: {TOKEN: "\${env:DEPLOY_TOKEN}", PLAIN: "from-\${env:DEPLOY_TOKEN}-x"}
        remove-command: 'printf %s "$TOKEN" > removed.txt'
`;

  it('are recorded as the reference, never shown, re-plan when changed, and are whole again at removal', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(deploy(python, 'printf %s $TOKEN > used.txt; echo deployed with $TOKEN'));
    const withSecret = { DEPLOY_TOKEN: SECRET };
    const plan = cli(p.dir, ['plan', '--json'], { env: withSecret });
    expect(plan.code).toBe(0);
    expect(plan.stdout + plan.stderr).not.toContain(SECRET);
    const applied = cli(p.dir, ['apply', '--json'], { env: withSecret });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).not.toContain(SECRET);
    // The command itself got the value.
    expect(fs.readFileSync(path.join(p.dir, 'used.txt'), 'utf8')).toBe(SECRET);

    const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'state.json'), 'utf8'));
    expect(state.environments.app.parts.deploy.options.env).toEqual({ TOKEN: '${env:DEPLOY_TOKEN}', PLAIN: 'from-${env:DEPLOY_TOKEN}-x' });
    expect(filesHolding(p.dir, SECRET).filter((f) => f !== 'used.txt')).toEqual([]);

    // Same value: nothing to do. Another value: re-planned, neither value shown.
    expect(cli(p.dir, ['plan', '--detailed-exitcode'], { env: withSecret }).code).toBe(0);
    const rotated = cli(p.dir, ['plan'], { env: { DEPLOY_TOKEN: 'r0tated-S3cret-88' } });
    expect(rotated.stdout).toContain('credentials changed in options: env');
    expect(rotated.stdout + rotated.stderr).not.toMatch(/r0tated-S3cret-88|dEpl0y/);

    // Removal runs the recorded remove-command with the value from this run's environment.
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    const removed = cli(p.dir, ['apply'], { env: withSecret });
    expect(removed.code, removed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(p.dir, 'removed.txt'), 'utf8')).toBe(SECRET);
  });

  it('are hidden in a failing command\'s output, plain and --json', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(deploy(python, 'echo token is $TOKEN; echo url https://x:$TOKEN@h/; exit 1'));
    for (const args of [['apply'], ['apply', '--json']]) {
      const r = cli(p.dir, args, { env: { DEPLOY_TOKEN: SECRET } });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(r.stdout + r.stderr).toContain('token is ***');
    }
    expect(filesHolding(p.dir, SECRET)).toEqual([]);
  });
});
