/**
 * The runner's own duties, whatever the recipe: what it records of created paths, removing
 * what a part stopped creating (unless edited since), refusing paths outside the project,
 * recording no credential, and labelling a recipe's failures with its part.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, UserError } from '../../src/errors/user-error.js';
import { filesystemNow } from '../../src/parts/claims.js';
import { makeLookup } from '../../src/parts/scope.js';
import { applyPart, removePart } from '../../src/parts/run-part.js';
import type { PartRecord } from '../../src/recipe-api/api.js';
import { runnerProject, type RunnerProject } from './fixture.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function run(p: RunnerProject, options: Record<string, unknown>, previous: PartRecord | null = null): Promise<PartRecord> {
  const lookup = makeLookup(p.manifest, [p.desired], 'app', () => undefined, { TOKEN_VAR: 'from-env' });
  const claims = { project: p.dir, otherRoots: [], otherClaims: [], since: await filesystemNow() };
  return applyPart(p.manifest, p.desired, await p.part(options), previous, lookup, p.hooks(), claims);
}

const removalEnv = (p: RunnerProject) => {
  const { base: _base, ...env } = p.desired.recipeEnv;
  return env;
};

describe('applyPart', () => {
  it('records each created path with its kind, and a file with its digest and mode', async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['etc'], files: { 'etc/a.ini': 'a = 1\n' }, link: 'etc/a.ini' });
    const file = path.join(p.envPath, 'etc', 'a.ini');
    expect(record.created).toEqual([
      { path: path.join(p.envPath, 'etc'), kind: 'dir' },
      { path: file, kind: 'file', sha256: sha256(file), mode: fs.statSync(file).mode & 0o7777 },
      { path: path.join(p.envPath, 'link'), kind: 'symlink', target: 'etc/a.ini' },
    ]);
    expect(record.recipe).toBe('./recipes/paths.mjs');
    expect(record.version).toMatch(/^\.\/recipes\/paths\.mjs#[0-9a-f]{16}@1$/);
    expect(record.options).toEqual({ dirs: ['etc'], files: { 'etc/a.ini': 'a = 1\n' }, link: 'etc/a.ini' });
    expect(record.outputs).toEqual({ count: 3, token: null });
    expect(record.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves out of the record a reported path that does not exist', async () => {
    const p = await runnerProject();
    const record = await run(p, { files: { 'a.txt': 'a' }, created: [path.join(p.envPath, 'a.txt'), path.join(p.envPath, 'never-made')] });
    expect(record.created.map((c) => c.path)).toEqual([path.join(p.envPath, 'a.txt')]);
  });

  it('removes the paths a part stopped creating, children before their directory', async () => {
    const p = await runnerProject();
    const first = await run(p, { dirs: ['old'], files: { 'old/a.txt': 'a', 'keep.txt': 'k' } });
    const second = await run(p, { files: { 'keep.txt': 'k', 'b.txt': 'b' } }, first);
    expect(fs.existsSync(path.join(p.envPath, 'old'))).toBe(false);
    expect(fs.readdirSync(p.envPath).sort()).toEqual(['b.txt', 'keep.txt']);
    expect(second.created.map((c) => path.basename(c.path))).toEqual(['keep.txt', 'b.txt']);
    expect(p.progress.filter((m) => m.startsWith('kept'))).toEqual([]);
  });

  it('keeps a path it stopped creating that was edited since, and says so', async () => {
    const p = await runnerProject();
    const first = await run(p, { files: { 'a.txt': 'a' } });
    fs.writeFileSync(path.join(p.envPath, 'a.txt'), 'mine now');
    await run(p, { files: { 'b.txt': 'b' } }, first);
    expect(fs.readFileSync(path.join(p.envPath, 'a.txt'), 'utf8')).toBe('mine now');
    expect(p.progress).toContain(`kept ${path.join(p.envPath, 'a.txt')}: changed since envbuild created it`);
  });

  it('keeps a directory it stopped creating that holds something else', async () => {
    const p = await runnerProject();
    const first = await run(p, { dirs: ['d'] });
    fs.writeFileSync(path.join(p.envPath, 'd', 'user.txt'), 'u');
    await run(p, {}, first);
    expect(fs.readFileSync(path.join(p.envPath, 'd', 'user.txt'), 'utf8')).toBe('u');
    expect(p.progress).toContain(`kept ${path.join(p.envPath, 'd')}: not empty`);
  });

  it.each([
    ['relative', 'a.txt'],
    ['not normalised', '/ENV/x/../a.txt'],
    ['outside the environment and the project', '/etc/passwd'],
  ])('refuses a created path that is %s, before recording anything', async (_what, reported) => {
    const p = await runnerProject();
    const bad = reported.replace('/ENV', p.envPath);
    const err = await run(p, { files: { 'a.txt': 'a' }, created: [bad] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^part app\.p \(paths\): /);
    expect((err as UserError).message).toContain(bad);
    expect(fs.readdirSync(p.envPath)).toEqual(['a.txt']);
  });


  it('records no credential: options and outputs redacted, the fingerprint follows the token', async () => {
    const p = await runnerProject();
    const url = (t: string) => `https://user:${t}@index.example/simple`;
    const a = await run(p, { token: url('Secret-One-123') });
    const b = await run(p, { token: url('Secret-Two-456') });
    expect(a.options).toEqual({ token: url('***') });
    expect(a.outputs).toEqual({ count: 0, token: url('***') });
    expect(JSON.stringify(a)).not.toContain('Secret-One-123');
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it("redacts a recipe's ctx.log before any progress callback sees it: ${env:...} values and URL credentials", async () => {
    const p = await runnerProject();
    await run(p, { token: '${env:TOKEN_VAR}' });
    await run(p, { token: 'https://user:Log-Secret-77@index.example/simple' });
    const logged = p.progress.filter((m) => m.startsWith('applied with'));
    expect(logged).toEqual(['applied with ***', 'applied with https://user:***@index.example/simple']);
    expect(p.progress.join('\n')).not.toMatch(/from-env|Log-Secret-77/);
  });

  it('fingerprints the interpreter and layout', async () => {
    const a = await run(await runnerProject(), { files: { 'a.txt': 'a' } });
    const same = await run(await runnerProject(), { files: { 'a.txt': 'a' } });
    const py = await run(await runnerProject({ python: { executable: '/usr/bin/python3.12', version: '3.12.1' } }), { files: { 'a.txt': 'a' } });
    const layout = await run(await runnerProject({ layout: 'classic' }), { files: { 'a.txt': 'a' } });
    expect(same.fingerprint).toBe(a.fingerprint);
    expect(py.fingerprint).not.toBe(a.fingerprint);
    expect(layout.fingerprint).not.toBe(a.fingerprint);
    expect(layout.fingerprint).not.toBe(py.fingerprint);
  });

  it('interpolates options, and locates a reference it cannot resolve', async () => {
    const p = await runnerProject();
    const record = await run(p, { files: { 'a.txt': '${env:TOKEN_VAR}' } });
    expect(fs.readFileSync(path.join(p.envPath, 'a.txt'), 'utf8')).toBe('from-env');
    // State keeps the reference, never the value (issue 9.6); the file got the value.
    expect(record.options).toEqual({ files: { 'a.txt': '${env:TOKEN_VAR}' } });
    const err = await run(p, { files: { 'a.txt': '${env:UNSET_VAR}' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).diagnostics.map((d) => d.keyPath)).toEqual(['environments.app.parts.p.files.a.txt']);
  });

  it('validates options against the recipe schema before calling it', async () => {
    const p = await runnerProject();
    const err = await run(p, { filez: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).diagnostics[0]?.message).toBe('unknown option "filez" for recipe paths; did you mean "files"?');
    expect(fs.readdirSync(p.envPath)).toEqual([]);
  });

  it('labels a recipe bug with its part and phase, and a failed command with its output, both redacted', async () => {
    const p = await runnerProject();
    const token = 'https://u:Hidden-Pass-99@h.example/';
    const bug = (await run(p, { throw: 'bug', token }).catch((e: unknown) => e)) as UserError;
    expect(bug.code).toBe('ERECIPE_BUG');
    expect(bug.message).toMatch(/^part app\.p: recipe paths failed unexpectedly during apply: boom https:\/\/u:\*\*\*@h\.example\/\n/);
    const exec = (await run(p, { throw: 'exec', token }).catch((e: unknown) => e)) as UserError;
    expect(exec.code).toBe('EEXEC');
    expect(exec.message).toMatch(/^part app\.p \(paths\): \/bin\/sh -c .* exited with code 4:\n {4}failing for https:\/\/u:\*\*\*@h\.example\/$/s);
    expect(`${bug.message}${exec.message}`).not.toContain('Hidden-Pass-99');
  });
});

describe('removePart', () => {
  it("runs the recipe's remove with the reason, which removes what is unchanged and reports the rest", async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['d'], files: { 'd/a.txt': 'a', 'b.txt': 'b' }, removeCalls: 'calls.txt' });
    fs.writeFileSync(path.join(p.envPath, 'b.txt'), 'edited');
    const kept = await removePart(p.dir, removalEnv(p), 'p', record, p.hooks(), 'environment-replaced');
    expect(kept).toEqual([{ path: path.join(p.envPath, 'b.txt'), why: 'changed since envbuild created it' }]);
    expect(fs.readdirSync(p.envPath)).toEqual(['b.txt']);
    expect(fs.readFileSync(path.join(p.dir, 'calls.txt'), 'utf8')).toBe('environment-replaced\n');
  });

  it('removes the recorded paths when the recipe is gone, and says so', async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['d'], files: { 'd/a.txt': 'a' }, link: 'd' });
    fs.rmSync(path.join(p.dir, 'recipes'), { recursive: true });
    const kept = await removePart(p.dir, removalEnv(p), 'p', { ...record, recipe: './recipes/gone.mjs' }, p.hooks());
    expect(kept).toEqual([]);
    expect(fs.readdirSync(p.envPath)).toEqual([]);
    expect(p.progress).toContain('recipe ./recipes/gone.mjs is no longer available: removing only the paths it recorded');
  });

  it('keeps a re-pointed link and a directory with new content', async () => {
    const p = await runnerProject();
    const record = await run(p, { dirs: ['d'], link: 'x' });
    fs.writeFileSync(path.join(p.envPath, 'd', 'new.txt'), 'n');
    fs.unlinkSync(path.join(p.envPath, 'link'));
    fs.symlinkSync('y', path.join(p.envPath, 'link'));
    const kept = await removePart(p.dir, removalEnv(p), 'p', record, p.hooks());
    expect(kept).toEqual([
      { path: path.join(p.envPath, 'link'), why: 'changed since envbuild created it' },
      { path: path.join(p.envPath, 'd'), why: 'not empty' },
    ]);
  });
});
