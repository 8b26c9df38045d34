/**
 * The state store as a user meets it: one signed state per manifest in `.envbuild/`, paths
 * inside the project written relative to it (a moved project is recognised), a state this
 * user's key did not sign believed only for planning, a version-1 `state.json` taken over, and
 * a `.envbuild` that is a link or a file refused before anything is written through it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { configDir, ensureKey, keyPath, readKey } from '../../src/state/key.js';
import {
  deleteState,
  otherStates,
  readState,
  removeStateDirIfEmpty,
  stateBody,
  statePath,
  sweepStateTemporaries,
  writeState,
} from '../../src/state/store.js';
import { emptyState, type EnvironmentState, type StateFile } from '../../src/state/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { recordedEnvironment } from './fixtures.js';

const environment = recordedEnvironment;

function stateWith(envs: Record<string, EnvironmentState>, over: Partial<StateFile> = {}): StateFile {
  return { ...emptyState('0.1.0'), environments: envs, ...over };
}

let savedConfig: string | undefined;
let savedXdg: string | undefined;
beforeEach(() => {
  savedConfig = process.env['ENVBUILD_CONFIG_DIR'];
  savedXdg = process.env['XDG_CONFIG_HOME'];
  process.env['ENVBUILD_CONFIG_DIR'] = path.join(tempDir('envbuild-key-'), 'config');
});
afterEach(() => {
  const restore = (name: string, value: string | undefined) => (value === undefined ? delete process.env[name] : (process.env[name] = value));
  restore('ENVBUILD_CONFIG_DIR', savedConfig);
  restore('XDG_CONFIG_HOME', savedXdg);
});

describe('writing and reading a state', () => {
  it('keeps one signed state per manifest beside it, private, and reads it back as it was', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    const written = stateWith(
      { a: environment(path.join(project, 'envs', 'a'), { parents: [path.join(project, 'envs')], sitePackages: path.join(project, 'envs', 'a', 'lib', 'site') }) },
      { creating: { b: 12 } },
    );
    expect(statePath(manifest)).toBe(path.join(project, '.envbuild', 'env.yaml.state.json'));
    expect(await writeState(manifest, written)).toBe(true);

    const file = statePath(manifest);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['env.yaml.state.json']);
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Paths inside the project are written relative to it, site-packages relative to its environment.
    expect(onDisk).toMatchObject({ format: 'envbuild-state', version: 2, writtenBy: '0.1.0', manifest: 'env.yaml', project, creating: { b: 12 } });
    expect(onDisk.environments.a).toMatchObject({ path: 'envs/a', parents: ['envs'], sitePackages: 'lib/site' });
    expect(onDisk.environments.a.parts.note.created[0].path).toBe('envs/a/etc/note');
    expect(onDisk.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);

    const read = await readState(manifest, '0.2.0');
    expect(read).toMatchObject({ trust: 'signed', file, notes: [] });
    expect(read).not.toHaveProperty('migratedFrom');
    expect(read.state).toEqual({ ...written, manifest: 'env.yaml', project });
  });

  it('writes paths outside the project as they are, and no "creating" when nothing is being built', async () => {
    const project = tempDir();
    const elsewhere = path.join(tempDir(), 'a');
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({ a: environment(elsewhere) }, { creating: {} }));
    const onDisk = JSON.parse(fs.readFileSync(statePath(manifest), 'utf8'));
    expect(onDisk.environments.a.path).toBe(elsewhere);
    expect(onDisk.environments.a.parts.note.created[0].path).toBe(path.join(elsewhere, 'etc', 'note'));
    expect(onDisk).not.toHaveProperty('creating');
    expect(onDisk.environments.a).not.toHaveProperty('parents');
    expect(onDisk.environments.a).not.toHaveProperty('sitePackages');
  });

  it('does not rewrite a state whose content did not change', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    const s = stateWith({ a: environment(path.join(project, 'a')) });
    await writeState(manifest, s);
    const before = fs.statSync(statePath(manifest));
    expect(await writeState(manifest, s, stateBody(s, manifest))).toBe(false);
    expect(fs.statSync(statePath(manifest)).ino).toBe(before.ino);
    // Another state is written (through a new file renamed over the old one).
    expect(await writeState(manifest, stateWith({}), stateBody(s, manifest))).toBe(true);
    expect(fs.statSync(statePath(manifest)).ino).not.toBe(before.ino);
    expect((await readState(manifest, 'x')).state.environments).toEqual({});
  });

  it('reads no state as an empty one', async () => {
    const project = tempDir();
    const read = await readState(path.join(project, 'env.yaml'), '0.3.0');
    expect(read).toEqual({ state: emptyState('0.3.0'), trust: 'none', file: path.join(project, '.envbuild', 'env.yaml.state.json'), notes: [] });
  });

  it('believes an edited state only for planning, and says so', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({ a: environment(path.join(project, 'a')) }));
    const file = statePath(manifest);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"prompt": "a"', '"prompt": "b"'));
    const read = await readState(manifest, 'x');
    expect(read.trust).toBe('unsigned');
    expect(read.state.environments['a']!.inputs.prompt).toBe('b');
    expect(read.notes).toEqual([
      `${file} is not signed by this user's key (${keyPath()}): it was copied, edited, or written by another user or machine; it is not signed, so no recipe, removal command or pip it names is run: parts it records that the manifest no longer declares are removed by deleting only the files they recorded (if unchanged); the next apply records and signs it. If you did not expect this, inspect the file before applying`,
    ]);
  });

  it('does not believe a state without a MAC, with a malformed one, or read without a key', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({}));
    const file = statePath(manifest);
    const signed = fs.readFileSync(file, 'utf8');
    const data = JSON.parse(signed);
    fs.writeFileSync(file, JSON.stringify({ ...data, mac: undefined }, null, 2));
    expect((await readState(manifest, 'x')).trust).toBe('unsigned');
    fs.writeFileSync(file, JSON.stringify({ ...data, mac: 'abc' }, null, 2));
    expect((await readState(manifest, 'x')).trust).toBe('unsigned');
    fs.writeFileSync(file, signed);
    expect((await readState(manifest, 'x')).trust).toBe('signed');
    // Another user's (or a lost) key: nothing verifies.
    process.env['ENVBUILD_CONFIG_DIR'] = path.join(tempDir(), 'other-config');
    expect((await readState(manifest, 'x')).trust).toBe('unsigned');
  });

  it('recognises a moved project: its environments are found at the new place, with a note', async () => {
    const root = tempDir();
    const original = path.join(root, 'original');
    fs.mkdirSync(original);
    await writeState(path.join(original, 'env.yaml'), stateWith({ a: environment(path.join(original, 'envs', 'a')) }));
    const moved = path.join(root, 'moved');
    fs.renameSync(original, moved);
    const read = await readState(path.join(moved, 'env.yaml'), 'x');
    expect(read.trust).toBe('signed');
    expect(read.state.environments['a']!.path).toBe(path.join(moved, 'envs', 'a'));
    expect(read.notes).toEqual([`the project moved from ${original}: its environments are rebuilt in place, because a virtual environment records its own path`]);
  });

  it('removes a temporary left by a killed write, and nothing else', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({}));
    const dir = path.join(project, '.envbuild');
    const keep = ['env.yaml.state.json', 'lock-holder.json', 'notes.envbuild-0123abcd.tmp', 'env.yaml.state.json.envbuild-0123abcg.tmp', 'env.yaml.state.json.envbuild-0123abcd.tmp.x'];
    for (const name of keep.slice(1)) fs.writeFileSync(path.join(dir, name), '');
    fs.writeFileSync(path.join(dir, 'env.yaml.state.json.envbuild-0123abcd.tmp'), '{');
    fs.writeFileSync(path.join(dir, 'state.json.envbuild-ffffffff.tmp'), '{');
    await sweepStateTemporaries(project);
    expect(fs.readdirSync(dir).sort()).toEqual([...keep].sort());
    await expect(sweepStateTemporaries(tempDir())).resolves.toBeUndefined();
  });

  it('lists the other manifests with a state in the directory', async () => {
    const project = tempDir();
    expect(await otherStates(path.join(project, 'env.yaml'))).toEqual([]);
    for (const m of ['env.yaml', 'a.yaml', 'b.yml']) await writeState(path.join(project, m), stateWith({}));
    fs.writeFileSync(path.join(project, '.envbuild', 'c.yaml.state.json.envbuild-0123abcd.tmp'), '');
    fs.writeFileSync(path.join(project, '.envbuild', 'lock-holder.json'), '');
    expect((await otherStates(path.join(project, 'env.yaml'))).sort()).toEqual(['a.yaml', 'b.yml']);
  });

  it('deletes a state (and the version-1 file), then the folder once it is empty', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({}));
    await writeState(path.join(project, 'other.yaml'), stateWith({}));
    const legacy = path.join(project, '.envbuild', 'state.json');
    fs.writeFileSync(legacy, '{}');
    await deleteState(manifest, legacy);
    expect(fs.readdirSync(path.join(project, '.envbuild'))).toEqual(['other.yaml.state.json']);
    await removeStateDirIfEmpty(project);
    expect(fs.existsSync(path.join(project, '.envbuild'))).toBe(true);
    await deleteState(path.join(project, 'other.yaml'));
    await removeStateDirIfEmpty(project);
    expect(fs.existsSync(path.join(project, '.envbuild'))).toBe(false);
  });
});

describe('a version-1 state.json', () => {
  function legacy(project: string, envs: Record<string, unknown>): string {
    const file = path.join(project, '.envbuild', 'state.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ format: 'envbuild-state', version: 1, writtenBy: '0.0.9', environments: envs }));
    return file;
  }

  it('is taken over by the manifest whose environments it records, unsigned', async () => {
    const project = tempDir();
    const file = legacy(project, { a: environment(path.join(project, 'a')) });
    const read = await readState(path.join(project, 'env.yaml'), 'x', (s) => 'a' in s.environments);
    expect(read.trust).toBe('unsigned');
    expect(read.migratedFrom).toBe(file);
    expect(read.state.environments['a']!.path).toBe(path.join(project, 'a'));
    expect(read.notes).toEqual([
      `${file} from an earlier envbuild is taken over as env.yaml.state.json; it is not signed, so no recipe, removal command or pip it names is run: parts it records that the manifest no longer declares are removed by deleting only the files they recorded (if unchanged); the next apply records and signs it`,
    ]);
    // Without a judge, it belongs to the manifest.
    expect((await readState(path.join(project, 'env.yaml'), 'x')).migratedFrom).toBe(file);
  });

  it('is left for its own manifest when it records environments this one does not declare', async () => {
    const project = tempDir();
    const file = legacy(project, { zeta: environment(path.join(project, 'z')), alpha: environment(path.join(project, 'al')) });
    const read = await readState(path.join(project, 'env.yaml'), '0.4.0', () => false);
    expect(read).toEqual({
      state: emptyState('0.4.0'),
      trust: 'none',
      file: path.join(project, '.envbuild', 'env.yaml.state.json'),
      notes: [`${file} (from an earlier envbuild) records environments this manifest does not declare (alpha, zeta): left for the manifest it belongs to`],
    });
  });

  it('is refused like any state when it names a path outside its project through a link', async () => {
    const project = tempDir();
    fs.symlinkSync(tempDir(), path.join(project, 'link'));
    legacy(project, { a: environment(path.join(project, 'link', 'a')) });
    await expect(readState(path.join(project, 'env.yaml'), 'x')).rejects.toThrow(/leads outside the project through a symbolic link/);
  });
});

describe('refusals', () => {
  it('refuses a state that is a directory', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    fs.mkdirSync(statePath(manifest), { recursive: true });
    const e = await readState(manifest, 'x').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect(e).toMatchObject({ code: 'ESTATE_CORRUPT', message: `refusing to use ${statePath(manifest)}: it is a directory`, hint: 'nothing was changed; move the directory away (envbuild never deletes what it did not create), then run again' });
  });

  // root reads and writes anything: these two cannot happen to it (test/e2e/other-user.test.ts
  // meets both through the CLI as nobody when the tests run as root).
  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot)('refuses a state it cannot read, with the reason', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({}));
    fs.chmodSync(statePath(manifest), 0);
    await expect(readState(manifest, 'x')).rejects.toMatchObject({ code: 'EACCES' });
  });

  it('refuses a malformed state, naming the field', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    await writeState(manifest, stateWith({}));
    fs.writeFileSync(statePath(manifest), '{"format": "envbuild-state", "version": 2}');
    await expect(readState(manifest, 'x')).rejects.toThrow(`refusing to use ${statePath(manifest)}: "writtenBy" is not a string`);
  });

  it('passes on a state it cannot read for another reason', async () => {
    const project = tempDir();
    // A manifest name so long that its state file's name exceeds the file system's limit.
    const manifest = path.join(project, `${'m'.repeat(250)}.yaml`);
    fs.mkdirSync(path.join(project, '.envbuild'));
    await expect(readState(manifest, 'x')).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
  });

  it('leaves no temporary behind when a write fails', async () => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    fs.mkdirSync(path.join(statePath(manifest), 'in-the-way'), { recursive: true });
    await expect(writeState(manifest, stateWith({}))).rejects.toThrow();
    expect(fs.readdirSync(path.join(project, '.envbuild'))).toEqual(['env.yaml.state.json']);
  });

  it.for(['link', 'file'] as const)('refuses a .envbuild that is a %s, for reading and writing', async (kind) => {
    const project = tempDir();
    const manifest = path.join(project, 'env.yaml');
    const elsewhere = tempDir();
    if (kind === 'link') fs.symlinkSync(elsewhere, path.join(project, '.envbuild'));
    else fs.writeFileSync(path.join(project, '.envbuild'), '');
    const why = kind === 'link' ? `a symbolic link to ${elsewhere}` : 'not a directory';
    const expected = {
      code: 'EPATH',
      message: `refusing to use ${path.join(project, '.envbuild')}: it is ${why}`,
      hint: 'envbuild keeps its state in a directory of the project; remove the link (or file) and run again',
    };
    await expect(readState(manifest, 'x')).rejects.toMatchObject(expected);
    await expect(writeState(manifest, stateWith({}))).rejects.toMatchObject(expected);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

describe('the signing key', () => {
  it('lives in ENVBUILD_CONFIG_DIR, else $XDG_CONFIG_HOME/envbuild when absolute, else ~/.config/envbuild', () => {
    process.env['ENVBUILD_CONFIG_DIR'] = 'relative/config';
    expect(keyPath()).toBe(path.resolve('relative/config', 'state-key'));
    delete process.env['ENVBUILD_CONFIG_DIR'];
    process.env['XDG_CONFIG_HOME'] = '/xdg/config';
    expect(configDir()).toBe('/xdg/config/envbuild');
    process.env['XDG_CONFIG_HOME'] = 'not/absolute';
    expect(configDir()).toBe(path.join(os.homedir(), '.config', 'envbuild'));
    delete process.env['XDG_CONFIG_HOME'];
    expect(configDir()).toBe(path.join(os.homedir(), '.config', 'envbuild'));
    process.env['ENVBUILD_CONFIG_DIR'] = '';
    expect(configDir()).toBe(path.join(os.homedir(), '.config', 'envbuild'));
  });

  it('is created once, private (0600 in a 0700 directory), and reused', async () => {
    expect(await readKey()).toBe(null);
    const key = await ensureKey();
    expect(key).toHaveLength(32);
    expect(fs.statSync(keyPath()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(keyPath())).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(keyPath(), 'utf8')).toBe(`${key.toString('hex')}\n`);
    expect(await ensureKey()).toEqual(key);
    expect(await readKey()).toEqual(key);
  });

  // Only root can give a file to another user.
  it.skipIf(process.getuid?.() !== 0)('is not used when another user owns it', async () => {
    const key = await ensureKey();
    const uid = process.getuid?.() ?? 0;
    fs.chownSync(keyPath(), uid + 1, uid + 1);
    expect(await readKey()).toBe(null);
    fs.chownSync(keyPath(), uid, uid);
    expect(await readKey()).toEqual(key);
  });

  it('is the same for runs that create it at the same time', async () => {
    const keys = await Promise.all([ensureKey(), ensureKey(), ensureKey()]);
    expect(keys[1]).toEqual(keys[0]);
    expect(keys[2]).toEqual(keys[0]);
    expect(await readKey()).toEqual(keys[0]);
  });

  it('is not used when others can read it, when it is malformed or a link, and then cannot sign', async () => {
    const key = await ensureKey();
    fs.chmodSync(keyPath(), 0o640);
    expect(await readKey()).toBe(null);
    fs.chmodSync(keyPath(), 0o604);
    expect(await readKey()).toBe(null);
    const e = await ensureKey().catch((err: unknown) => err);
    expect(e).toMatchObject({
      code: 'EKEY',
      message: `${keyPath()} is not a private key file of this user (mode 0600, owned by you, 64 hex digits)`,
      hint: 'remove it (states it signed will be treated as not signed once) and run again',
    });
    fs.chmodSync(keyPath(), 0o600);
    expect(await readKey()).toEqual(key);
    fs.writeFileSync(keyPath(), `${key.toString('hex').slice(1)}\n`);
    expect(await readKey()).toBe(null);
    fs.writeFileSync(keyPath(), `x${key.toString('hex')}\n`);
    expect(await readKey()).toBe(null);
    fs.writeFileSync(keyPath(), `${key.toString('hex')}0\n`);
    expect(await readKey()).toBe(null);
    const real = `${keyPath()}.real`;
    fs.writeFileSync(real, `${key.toString('hex')}\n`, { mode: 0o600 });
    fs.rmSync(keyPath());
    fs.symlinkSync(real, keyPath());
    expect(await readKey()).toBe(null);
    fs.rmSync(keyPath());
    fs.mkdirSync(keyPath(), { mode: 0o700 });
    expect(await readKey()).toBe(null);
  });

  it.skipIf(process.getuid?.() === 0)('says where it could not be created (not as root, who writes anywhere)', async () => {
    const parent = tempDir();
    fs.chmodSync(parent, 0o500);
    process.env['ENVBUILD_CONFIG_DIR'] = path.join(parent, 'config');
    try {
      const e = await ensureKey().catch((err: unknown) => err);
      expect(e).toMatchObject({
        code: 'EKEY',
        message: `cannot create the key that signs envbuild's state at ${keyPath()} (EACCES)`,
        hint: 'make the directory writable, or set ENVBUILD_CONFIG_DIR to a private directory',
      });
    } finally {
      fs.chmodSync(parent, 0o700);
    }
  });
});
