/**
 * What the runner hands a recipe and what it makes of the answer, seen from the recipe (the
 * fixture recipe writes what its call was given to a file) and from the user (the record, the
 * files left, the messages): apply and remove contexts, a lock's pins, a result without
 * `created`, the removal of a part whose state is not trusted or whose recipe has no `remove`,
 * and failures during remove.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, UserError } from '../../src/errors/user-error.js';
import { filesystemNow } from '../../src/parts/claims.js';
import { makeLookup } from '../../src/parts/scope.js';
import { applyPart, removePart } from '../../src/parts/run-part.js';
import type { DesiredEnvironment, DesiredPart } from '../../src/plan/types.js';
import type { PartRecord, Recipe } from '../../src/recipe-api/api.js';
import { runnerProject, type RunnerProject } from './fixture.js';

async function run(
  p: RunnerProject,
  options: Record<string, unknown>,
  previous: PartRecord | null = null,
  over: { desired?: Partial<DesiredEnvironment>; since?: number; signal?: AbortSignal; part?: (part: DesiredPart) => DesiredPart } = {},
): Promise<PartRecord> {
  const desired = { ...p.desired, ...over.desired } as DesiredEnvironment;
  const lookup = makeLookup(p.manifest, [desired], 'app', () => undefined, { TOKEN_VAR: 'from-env-value' });
  const claims = { project: p.dir, otherRoots: [], otherClaims: [], since: over.since ?? (await filesystemNow()) };
  const hooks = { ...p.hooks(), ...(over.signal ? { signal: over.signal } : {}) };
  const part = await p.part(options);
  return applyPart(p.manifest, desired, over.part ? over.part(part) : part, previous, lookup, hooks, claims);
}

const removalEnv = (p: RunnerProject) => {
  const { base: _base, ...env } = p.desired.recipeEnv;
  return env;
};

const seen = (p: RunnerProject) => JSON.parse(fs.readFileSync(path.join(p.dir, 'seen.json'), 'utf8')) as Record<string, unknown>;

function lockStatus(byPart: Record<string, unknown>) {
  const pins: Array<[string, unknown]> = [];
  return {
    pins,
    locked: { byPart: new Map(Object.entries(byPart)), pin: async (part: string, packages: unknown) => void pins.push([part, packages]) } as never,
  };
}

describe('applyPart hands the recipe', () => {
  it('its part, environment, project directory, interpolated options, previous record, lock and live signal', async () => {
    const p = await runnerProject();
    const first = await run(p, { seen: 'seen.json', files: { 'a.txt': '${env:TOKEN_VAR}' } });
    expect(seen(p)).toEqual({
      phase: 'apply',
      part: 'p',
      env: 'app',
      envPath: p.envPath,
      manifestDir: p.dir,
      options: { seen: 'seen.json', files: { 'a.txt': 'from-env-value' } },
      previousOptions: null,
      locked: null,
      reason: null,
      signal: true,
    });
    const pinned = [{ name: 'a', version: '1' }];
    const { locked } = lockStatus({ p: pinned });
    await run(p, { seen: 'seen.json' }, first, { desired: { locked } });
    expect(seen(p)).toMatchObject({ previousOptions: { seen: 'seen.json', files: { 'a.txt': '${env:TOKEN_VAR}' } }, locked: pinned });
  });
});

describe('applyPart records', () => {
  it('the packages a part could only pin by installing, in the lock, once', async () => {
    const p = await runnerProject();
    const packages = [{ name: 'six', version: '1.16.0' }];
    const fresh = lockStatus({});
    await run(p, { pinned: packages }, null, { desired: { locked: fresh.locked } });
    expect(fresh.pins).toEqual([['p', packages]]);
    // Already pinned by the lock: not pinned again.
    const pinnedAlready = lockStatus({ p: packages });
    await run(p, { pinned: packages }, null, { desired: { locked: pinnedAlready.locked } });
    expect(pinnedAlready.pins).toEqual([]);
    // No lock at all: nothing to pin into, and the part still applies.
    expect((await run(p, { pinned: packages })).outputs).toEqual({ count: 0, token: null });
    // No pins from the recipe: nothing pinned.
    const none = lockStatus({});
    await run(p, {}, null, { desired: { locked: none.locked } });
    expect(none.pins).toEqual([]);
  });

  it('nothing as created when the recipe says nothing of it, and removes what the last apply made', async () => {
    const p = await runnerProject();
    const first = await run(p, { files: { 'a.txt': 'a' } });
    const second = await run(p, { files: { 'a.txt': 'a' }, noCreated: true }, first);
    expect(second.created).toEqual([]);
    expect(fs.existsSync(path.join(p.envPath, 'a.txt'))).toBe(false);
  });

  it('a path that existed before the part ran only when its previous record owned it', async () => {
    const p = await runnerProject();
    const file = path.join(p.envPath, 'old.txt');
    fs.writeFileSync(file, 'old');
    // No sleep first: filesystemNow is later than anything made before it (test/parts/claims.test.ts).
    const since = await filesystemNow();
    const claimed = { created: [file] };
    const unowned = await run(p, claimed, null, { since });
    expect(unowned.created).toEqual([]);
    expect(p.progress).toContain(`not recorded as created by app.p (paths): ${file} existed before the part ran`);
    const owner = { ...unowned, created: [{ path: file, kind: 'file' as const, sha256: 'x', mode: 0o644 }] };
    const owned = await run(p, claimed, owner, { since });
    expect(owned.created.map((c) => c.path)).toEqual([file]);
  });

  it('a located diagnostic for each option it cannot interpolate', async () => {
    const p = await runnerProject();
    const err = (await run(p, { files: { 'a.txt': '${env:UNSET_VAR}' } }).catch((e: unknown) => e)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.diagnostics).toEqual([
      {
        severity: 'error',
        message: expect.stringContaining('the environment variable UNSET_VAR is not set'),
        location: p.manifest.source.locate(['environments', 'app', 'parts', 'p', 'files', 'a.txt']),
        keyPath: 'environments.app.parts.p.files.a.txt',
      },
    ]);
    expect(err.diagnostics[0]!.location).not.toEqual(p.manifest.source.locate([]));
  });
});

/** The part with its recipe's methods replaced: a recipe written in the test. */
const withRecipe = (over: Partial<Recipe>) => (part: DesiredPart): DesiredPart => ({ ...part, loaded: { ...part.loaded, recipe: { ...part.loaded.recipe, ...over } } });

describe('applyPart failures', () => {
  it("stops a part past its timeout, naming the part, the phase and the time", async () => {
    const p = await runnerProject();
    const err = (await run(p, { hang: true }, null, { part: (part) => ({ ...part, timeoutMs: 50 }) }).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('ETIMEOUT');
    expect(err.message).toBe('part app.p (paths): apply did not finish within 50ms (its timeout); it was stopped');
  });

  it("tells where in the manifest the option a recipe's error is about is written", async () => {
    const p = await runnerProject();
    const apply = async () => {
      throw new UserError('EBADFILE', 'cannot write that file', { option: ['files', 'a.txt'], hint: 'pick another name' });
    };
    const err = (await run(p, { files: { 'a.txt': 'a' } }, null, { part: withRecipe({ apply }) }).catch((e: unknown) => e)) as UserError;
    expect(err.code).toBe('EBADFILE');
    // The nearest place written for parts.p.files.a.txt: the part's own key (line 6, column 7).
    expect(err.message).toBe(`${path.join(p.dir, 'env.yaml')}:6:7: part app.p (paths): cannot write that file`);
  });

  it('records no outputs and no paths for a recipe whose apply returns nothing', async () => {
    const p = await runnerProject();
    const record = await run(p, {}, null, { part: withRecipe({ apply: async () => undefined as never }) });
    expect(record.outputs).toEqual({});
    expect(record.created).toEqual([]);
  });
});

describe('applyPart output', () => {
  it('hides from the log a credential found in the options, also where the recipe prints it bare', async () => {
    const p = await runnerProject();
    const secret = `Bare-${randomBytes(6).toString('hex')}`;
    await run(p, { token: `https://user:${secret}@index.example/simple`, say: `password is ${secret}` });
    expect(p.progress).toContain('password is ***');
    expect(p.progress.join('\n')).not.toContain(secret);
  });

  it('logs what is not a string as text', async () => {
    const p = await runnerProject();
    await run(p, { say: 42 });
    expect(p.progress).toContain('42');
  });

  it('refuses to remove a stale path through a directory that became a link, leaving its target alone', async () => {
    const p = await runnerProject();
    const first = await run(p, { dirs: ['d'], files: { 'd/a.txt': 'a' } });
    const elsewhere = path.join(p.dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'a.txt'), 'a');
    fs.rmSync(path.join(p.envPath, 'd'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(p.envPath, 'd'));
    const err = (await run(p, {}, first).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`refusing to remove ${path.join(p.envPath, 'd', 'a.txt')}: its parent ${path.join(p.envPath, 'd')} is now a symbolic link to ${elsewhere}`);
    expect(fs.readFileSync(path.join(elsewhere, 'a.txt'), 'utf8')).toBe('a');
  });

  it("passes an interruption on as it is, not as the recipe's failure", async () => {
    const p = await runnerProject();
    const controller = new AbortController();
    controller.abort(new Error('ctrl-c'));
    const err = await run(p, { throw: 'bug' }, null, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('boom ');
  });
});

describe('removePart', () => {
  it('runs nothing an unsigned state names: removes only the recorded files, and says so', async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['d'], files: { 'd/a.txt': 'a' }, removeCalls: 'calls.txt' });
    const kept = await removePart(p.dir, removalEnv(p), 'p', record, p.hooks(), 'part-removed', { trusted: false });
    expect(kept).toEqual([]);
    expect(fs.readdirSync(p.envPath)).toEqual([]);
    expect(fs.existsSync(path.join(p.dir, 'calls.txt'))).toBe(false);
    expect(p.progress).toContain('state is not signed: removing only the files part p recorded, without running its recipe');
    expect(p.progress.filter((m) => m.includes('no longer available'))).toEqual([]);
  });

  it('removes the recorded paths itself for a recipe without remove, keeping what changed', async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['d'], files: { 'd/a.txt': 'a', 'b.txt': 'b' } });
    fs.writeFileSync(path.join(p.dir, 'recipes', 'plain.mjs'), "export default { name: 'plain', version: '1', options: {}, async apply() { return {}; } };\n");
    fs.writeFileSync(path.join(p.envPath, 'b.txt'), 'edited');
    const kept = await removePart(p.dir, removalEnv(p), 'p', { ...record, recipe: './recipes/plain.mjs' }, p.hooks());
    expect(kept).toEqual([{ path: path.join(p.envPath, 'b.txt'), why: 'changed since envbuild created it' }]);
    expect(fs.readdirSync(p.envPath)).toEqual(['b.txt']);
    expect(p.progress).toEqual(['applied with no token']);
  });

  it('hands remove its part, environment, reason and the recorded options made whole from the environment', async () => {
    const p = await runnerProject();
    const record = await run(p, { seen: 'seen.json', token: '${env:TOKEN_VAR}' });
    expect(record.options).toEqual({ seen: 'seen.json', token: '${env:TOKEN_VAR}' });
    process.env['TOKEN_VAR'] = 'now-in-env';
    try {
      await removePart(p.dir, removalEnv(p), 'p', record, p.hooks());
    } finally {
      delete process.env['TOKEN_VAR'];
    }
    expect(seen(p)).toEqual({
      phase: 'remove',
      part: 'p',
      env: 'app',
      envPath: p.envPath,
      manifestDir: p.dir,
      options: { seen: 'seen.json', token: 'now-in-env' },
      previousOptions: { seen: 'seen.json', token: 'now-in-env' },
      locked: null,
      reason: 'part-removed',
      signal: true,
    });
  });

  it("labels remove's failures with the part: a bug with its phase, a failed command with its command", async () => {
    const p = await runnerProject();
    const bug = (await removePart(p.dir, removalEnv(p), 'p', await run(p, { removeThrow: 'bug' }), p.hooks()).catch((e: unknown) => e)) as UserError;
    expect(bug).toBeInstanceOf(UserError);
    expect(bug.code).toBe('ERECIPE_BUG');
    expect(bug.message).toMatch(/^part app\.p: recipe paths failed unexpectedly during remove: remove broke \n/);
    const exec = (await removePart(p.dir, removalEnv(p), 'p', await run(p, { removeThrow: 'exec' }), p.hooks()).catch((e: unknown) => e)) as UserError;
    expect(exec.code).toBe('EEXEC');
    expect(exec.message).toBe('part app.p (paths): /bin/sh -c exit 5 exited with code 5');
  });

  it("names the part and phase of a remove that can never finish", async () => {
    const p = await runnerProject();
    const record = await run(p, { removeThrow: 'stall' });
    const listening = process.listenerCount('beforeExit');
    const outcome = removePart(p.dir, removalEnv(p), 'p', record, p.hooks()).catch((e: unknown) => e);
    // Once the call is under way, Node's signal that nothing is left to settle its promise.
    for (let i = 0; i < 500 && process.listenerCount('beforeExit') === listening; i++) await new Promise((r) => setTimeout(r, 10));
    process.emit('beforeExit', 0);
    const err = (await outcome) as UserError;
    expect(err.code).toBe('ESTALLED');
    expect(err.message).toBe("part app.p (paths): the recipe's remove() never finished: it waits for something that will never happen (a promise nobody settles)");
  });

  it('leaves the files to a recipe whose remove does not remove them, and logs what it says', async () => {
    const p = await runnerProject();
    const record = await run(p, { files: { 'a.txt': 'a' }, removeThrow: 'keep-files' });
    expect(await removePart(p.dir, removalEnv(p), 'p', record, p.hooks(), 'environment-removed')).toEqual([]);
    expect(fs.readdirSync(p.envPath)).toEqual(['a.txt']);
    expect(p.progress).toContain('removing (environment-removed)');
  });

  it('refuses to remove through a directory that became a link', async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['d'], files: { 'd/a.txt': 'a' } });
    const elsewhere = path.join(p.dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'a.txt'), 'a');
    fs.rmSync(path.join(p.envPath, 'd'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(p.envPath, 'd'));
    const err = (await removePart(p.dir, removalEnv(p), 'p', record, p.hooks()).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('EPATH');
    expect(fs.readFileSync(path.join(elsewhere, 'a.txt'), 'utf8')).toBe('a');
  });

  it('passes an interruption on as it is', async () => {
    const p = await runnerProject();
    const record = await run(p, { removeThrow: 'bug' });
    const controller = new AbortController();
    controller.abort(new Error('ctrl-c'));
    const err = await removePart(p.dir, removalEnv(p), 'p', record, { ...p.hooks(), signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
  });
});
