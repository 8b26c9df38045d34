/**
 * A part owns only what it created: the runner refuses a recipe's claim on what no part can
 * own (with a message naming the part, the path and why), drops what existed before the part
 * ran, adds the directories the part made above what it claims, and later removes only what is
 * still as it made it — never through a symbolic link that appeared since. Real files in temp dirs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { checkClaims, filesystemNow, type ClaimRules } from '../../src/parts/claims.js';
import { createdDrift, describeCreated, removeCreatedPaths } from '../../src/parts/created-paths.js';
import { tempDir } from '../helpers/temp-dir.js';

async function setup(): Promise<{ project: string; env: string; rules: (over?: Partial<ClaimRules>) => ClaimRules; log: string[] }> {
  const project = tempDir();
  const env = path.join(project, 'envs', 'app');
  fs.mkdirSync(env, { recursive: true });
  fs.mkdirSync(path.join(project, '.envbuild'));
  fs.writeFileSync(path.join(project, 'env.yaml'), '');
  // No sleep first: filesystemNow is later than anything made before it (tested below).
  const since = await filesystemNow();
  const log: string[] = [];
  return {
    project,
    env,
    log,
    rules: (over = {}) => ({
      label: 'app.p (paths)',
      envRoot: env,
      project,
      manifestFile: path.join(project, 'env.yaml'),
      otherRoots: [path.join(project, 'envs', 'other')],
      otherClaims: [path.join(project, 'shared.txt')],
      previous: [],
      since,
      ...over,
    }),
  };
}

describe('checkClaims', () => {
  it('records what the part made, with the directories it made above it, once each', async () => {
    const { project, env, rules, log } = await setup();
    fs.mkdirSync(path.join(env, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(env, 'a', 'b', 'c.txt'), 'c');
    fs.symlinkSync('c.txt', path.join(env, 'a', 'b', 'link'));
    fs.mkdirSync(path.join(project, 'out'));
    fs.writeFileSync(path.join(project, 'out', 'o.txt'), 'o');
    const claims = [path.join(env, 'a', 'b', 'c.txt'), path.join(env, 'a', 'b', 'link'), path.join(env, 'a', 'b', 'c.txt'), path.join(env, 'never-made'), path.join(project, 'out', 'o.txt')];
    const created = await checkClaims(claims, rules(), (m) => void log.push(m));
    expect(created.map((c) => [path.relative(project, c.path), c.kind])).toEqual([
      ['envs/app/a', 'dir'],
      ['envs/app/a/b', 'dir'],
      ['envs/app/a/b/c.txt', 'file'],
      ['envs/app/a/b/link', 'symlink'],
      ['out', 'dir'],
      ['out/o.txt', 'file'],
    ]);
    expect(log).toEqual([]);
  });

  it('does not record what existed before the part ran, nor the directories above it that did', async () => {
    const later = await setup();
    // Made before `since` of the second setup: older than the part.
    fs.mkdirSync(path.join(later.env, 'pre'));
    const r = { ...later.rules(), since: await filesystemNow() };
    fs.writeFileSync(path.join(later.env, 'pre', 'new.txt'), 'n');
    fs.writeFileSync(path.join(later.env, 'pre', 'x.txt'), 'x');
    const claims = [path.join(later.env, 'pre', 'new.txt'), path.join(later.env, 'pre')];
    const created = await checkClaims(claims, r, (m) => void later.log.push(m));
    expect(created.map((c) => path.relative(later.env, c.path))).toEqual(['pre/new.txt']);
    expect(later.log).toEqual([`not recorded as created by app.p (paths): ${path.join(later.env, 'pre')} existed before the part ran`]);
    // Unless the part's previous record already owned it.
    const owned = await checkClaims([path.join(later.env, 'pre')], { ...r, previous: [{ path: path.join(later.env, 'pre'), kind: 'dir' }] }, () => undefined);
    expect(owned).toEqual([{ path: path.join(later.env, 'pre'), kind: 'dir' }]);
  });

  it.for([
    ['the manifest', 'env.yaml', 'is the manifest'],
    ["envbuild's state directory", '.envbuild', "is inside envbuild's state directory"],
    ['a file in the state directory', '.envbuild/env.yaml.state.json', "is inside envbuild's state directory"],
    ['the environment itself', 'envs/app', 'is the environment itself'],
    ['another environment', 'envs/other', 'is (or holds) another environment, PROJECT/envs/other'],
    ['a file of another environment', 'envs/other/bin/python', 'is (or holds) another environment, PROJECT/envs/other'],
    ['a directory holding another environment', 'envs', 'is (or holds) another environment, PROJECT/envs/other'],
    ["another part's file", 'shared.txt', 'is recorded as created by another part'],
    ['another manifest beside the manifest', 'other.yaml', 'is a manifest file beside the manifest'],
    ['a .yml beside the manifest', 'x.yml', 'is a manifest file beside the manifest'],
    ['the project', '.', 'is not a normalised absolute path inside the environment or the project'],
    ['a path outside', '../elsewhere', 'is not a normalised absolute path inside the environment or the project'],
  ] as const)('refuses a claim on %s', async ([, rel, why]) => {
    const { project, rules } = await setup();
    const p = path.join(project, rel);
    const e = (await checkClaims([p], rules(), () => undefined).catch((err: unknown) => err)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('ERECIPE');
    expect(e.message).toBe(`part app.p (paths): created path ${p} ${why.replace('PROJECT', project)}; nothing was recorded for it`);
    expect(e.hint).toBe(`a part can own only what it created inside ${path.join(project, 'envs', 'app')} or ${project}; report this to the recipe's author`);
  });

  it('refuses a claim that is not a normalised absolute path', async () => {
    const { env, rules } = await setup();
    // A trailing slash survives path.normalize; recorded, it made the next run refuse the state.
    for (const bad of [3, 'rel/a.txt', `${env}/x/../a.txt`, `${env}/dir/`]) {
      await expect(checkClaims([bad], rules(), () => undefined)).rejects.toThrow(`part app.p (paths): created path ${String(bad)} is not a normalised absolute path inside the environment or the project`);
    }
  });

  it('accepts a YAML file below the project and one in the environment', async () => {
    const { project, env, rules } = await setup();
    fs.mkdirSync(path.join(project, 'conf'));
    fs.writeFileSync(path.join(project, 'conf', 'c.yaml'), '');
    fs.writeFileSync(path.join(env, 'e.yml'), '');
    fs.writeFileSync(path.join(project, 'notes.txt'), '');
    const created = await checkClaims([path.join(project, 'conf', 'c.yaml'), path.join(env, 'e.yml'), path.join(project, 'notes.txt')], rules(), () => undefined);
    expect(created.map((c) => path.relative(project, c.path))).toEqual(['conf', 'conf/c.yaml', 'envs/app/e.yml', 'notes.txt']);
  });

  it('stops adding parents at a directory no part may own', async () => {
    const { project, rules } = await setup();
    // The part made envs/ (holding another environment) before its file: envs is not its own.
    const r = rules({ envRoot: path.join(project, 'envs', 'app') });
    fs.mkdirSync(path.join(project, 'envs', 'app', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(project, 'envs', 'app', 'deep', 'f'), '');
    const created = await checkClaims([path.join(project, 'envs', 'app', 'deep', 'f')], r, () => undefined);
    expect(created.map((c) => path.relative(project, c.path))).toEqual(['envs/app/deep', 'envs/app/deep/f']);
  });
});

describe('checkClaims at the edges of the part\'s start', () => {
  const born = (p: string) => {
    const st = fs.lstatSync(p);
    return st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs;
  };

  it('counts a path born at the very time the part started as its own, and a directory above it too', async () => {
    const { env, rules } = await setup();
    fs.mkdirSync(path.join(env, 'd'));
    fs.writeFileSync(path.join(env, 'd', 'f'), 'f');
    const file = path.join(env, 'd', 'f');
    // Started exactly when the directory was born (the file came after it): both are the part's.
    const atDir = await checkClaims([file], rules({ since: born(path.join(env, 'd')) }), () => undefined);
    expect(atDir.map((c) => path.relative(env, c.path))).toEqual(['d', 'd/f']);
    // Started exactly when the file was born: the file is the part's.
    const atFile = await checkClaims([file], rules({ since: born(file) }), () => undefined);
    expect(atFile.map((c) => path.relative(env, c.path))).toContain('d/f');
  });

  it('adds no directory above the project, nor one holding another environment, however new', async () => {
    const { project, rules } = await setup();
    fs.mkdirSync(path.join(project, 'sub'));
    fs.writeFileSync(path.join(project, 'sub', 'f'), 'f');
    fs.mkdirSync(path.join(project, 'envs', 'other'));
    fs.writeFileSync(path.join(project, 'envs', 'x.txt'), 'x');
    // since 0: everything on disk counts as made by the part.
    const created = await checkClaims([path.join(project, 'sub', 'f'), path.join(project, 'envs', 'x.txt')], rules({ since: 0 }), () => undefined);
    expect(created.map((c) => path.relative(project, c.path))).toEqual(['sub', 'sub/f', 'envs/x.txt']);
  });

  it('stops at the project also in a project with one environment', async () => {
    const { project, rules } = await setup();
    fs.mkdirSync(path.join(project, 'sub'));
    fs.writeFileSync(path.join(project, 'sub', 'f'), 'f');
    const created = await checkClaims([path.join(project, 'sub', 'f')], rules({ since: 0, otherRoots: [] }), () => undefined);
    expect(created.map((c) => path.relative(project, c.path))).toEqual(['sub', 'sub/f']);
  });

  it('accepts a file beside the manifest whose name only contains .yaml', async () => {
    const { project, rules } = await setup();
    fs.writeFileSync(path.join(project, 'env.yaml.bak'), '');
    const created = await checkClaims([path.join(project, 'env.yaml.bak')], rules(), () => undefined);
    expect(created.map((c) => c.path)).toEqual([path.join(project, 'env.yaml.bak')]);
  });
});

describe('filesystemNow', () => {
  it('is later than anything made before it, even in the same tick of the filesystem clock', async () => {
    const dir = tempDir();
    for (let i = 0; i < 10; i++) {
      fs.mkdirSync(path.join(dir, `d${i}`));
      const st = fs.statSync(path.join(dir, `d${i}`));
      expect(await filesystemNow()).toBeGreaterThan(st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs);
    }
  });

  it('leaves nothing behind in the temp directory', async () => {
    const tmp = tempDir();
    const before = process.env['TMPDIR'];
    process.env['TMPDIR'] = tmp;
    try {
      await filesystemNow();
    } finally {
      if (before === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = before;
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('removeCreatedPaths', () => {
  it('removes what is unchanged, children before their directories, whatever the recorded order', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'a', 'bb', 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'bb', 'c', 'f'), 'f');
    fs.writeFileSync(path.join(dir, 'a', 'g'), 'g');
    const created = await Promise.all(['a', 'a/g', 'a/bb/c/f', 'a/bb', 'a/bb/c'].map(async (r) => (await describeCreated(path.join(dir, r)))!));
    expect(await removeCreatedPaths(created, [dir])).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
    // Already gone: nothing to do, nothing kept.
    expect(await removeCreatedPaths(created, [dir])).toEqual([]);
  });

  it('keeps what changed: edited content, a new mode, a re-pointed link, another kind', async () => {
    const dir = tempDir();
    const at = (r: string) => path.join(dir, r);
    fs.writeFileSync(at('content'), 'a');
    fs.writeFileSync(at('mode'), 'a', { mode: 0o644 });
    fs.symlinkSync('x', at('link'));
    fs.mkdirSync(at('kind'));
    const created = await Promise.all(['content', 'mode', 'link', 'kind'].map(async (r) => (await describeCreated(at(r)))!));
    fs.writeFileSync(at('content'), 'b');
    fs.chmodSync(at('mode'), 0o755);
    fs.rmSync(at('link'));
    fs.symlinkSync('y', at('link'));
    fs.rmdirSync(at('kind'));
    fs.writeFileSync(at('kind'), '');
    const kept = await removeCreatedPaths(created, [dir]);
    expect(kept.map((k) => [path.basename(k.path), k.why]).sort()).toEqual([
      ['content', 'changed since envbuild created it'],
      ['kind', 'changed since envbuild created it'],
      ['link', 'changed since envbuild created it'],
      ['mode', 'changed since envbuild created it'],
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['content', 'kind', 'link', 'mode']);
  });

  it('refuses to touch a recorded path that is not normalised and absolute', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'f'), '');
    const kept = await removeCreatedPaths([
      { path: 'f', kind: 'file', sha256: '', mode: 0 },
      { path: `${dir}/x/../f`, kind: 'dir' },
      { path: '/', kind: 'dir' },
    ]);
    expect(kept).toEqual([
      { path: `${dir}/x/../f`, why: 'not a normalised absolute path; refusing to touch it' },
      { path: 'f', why: 'not a normalised absolute path; refusing to touch it' },
      { path: '/', why: 'not a normalised absolute path; refusing to touch it' },
    ]);
    expect(fs.existsSync(path.join(dir, 'f'))).toBe(true);
  });

  it('refuses to go through a directory that became a symbolic link', async () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    fs.mkdirSync(path.join(dir, 'env', 'd'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'env', 'd', 'f'), 'f');
    const record = (await describeCreated(path.join(dir, 'env', 'd', 'f')))!;
    fs.writeFileSync(path.join(elsewhere, 'f'), 'f');
    fs.rmSync(path.join(dir, 'env', 'd'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(dir, 'env', 'd'));
    const e = (await removeCreatedPaths([record], [dir, path.join(dir, 'env')]).catch((err: unknown) => err)) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e).toMatchObject({
      code: 'EPATH',
      message: `refusing to remove ${record.path}: its parent ${path.join(dir, 'env', 'd')} is now a symbolic link to ${elsewhere}`,
      hint: 'envbuild does not follow links it did not make; remove the link and run again',
    });
    expect(fs.readFileSync(path.join(elsewhere, 'f'), 'utf8')).toBe('f');
    // A parent that is gone: the path is gone too, nothing to do.
    fs.rmSync(path.join(dir, 'env', 'd'));
    expect(await removeCreatedPaths([record], [dir])).toEqual([]);
  });
});

describe('createdDrift', () => {
  it('names recorded paths missing or edited, relative to the environment', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'etc'));
    fs.writeFileSync(path.join(dir, 'etc', 'a.ini'), 'a');
    fs.writeFileSync(path.join(dir, 'etc', 'b.ini'), 'b');
    fs.writeFileSync(path.join(dir, 'same'), 's');
    const created = await Promise.all(['etc', 'etc/a.ini', 'etc/b.ini', 'same'].map(async (r) => (await describeCreated(path.join(dir, r)))!));
    expect(await createdDrift(created, dir)).toEqual([]);
    fs.writeFileSync(path.join(dir, 'etc', 'a.ini'), 'edited');
    fs.rmSync(path.join(dir, 'etc', 'b.ini'));
    expect(await createdDrift(created, dir)).toEqual(['etc/a.ini edited', 'etc/b.ini missing']);
    expect(await createdDrift([{ path: dir, kind: 'file', sha256: 'x', mode: 0o644 }], dir)).toEqual([`${dir} edited`]);
  });
});
