/**
 * state.json is untrusted: each way it can be wrong is refused as a whole, with the field
 * named, before anything in it is believed — and a well-formed one is read back as written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { checkStateOnDisk, isInside, parseState } from '../../src/state/validate-state.js';
import { deleteState, readState, serializeState, statePath, sweepStateTemporaries, writeState } from '../../src/state/store.js';
import { emptyState, type StateFile } from '../../src/state/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const PROJECT = '/work/project';
const FILE = `${PROJECT}/.envbuild/state.json`;
const ENV = `${PROJECT}/envs/app`;

type Json = Record<string, unknown>;

function part(more: Json = {}): Json {
  return {
    recipe: 'file',
    version: 'file@1',
    fingerprint: 'abc',
    options: {},
    outputs: {},
    created: [
      { path: `${ENV}/etc`, kind: 'dir' },
      { path: `${ENV}/etc/a.ini`, kind: 'file', sha256: 'f00', mode: 420 },
      { path: `${PROJECT}/link`, kind: 'symlink', target: 'x' },
    ],
    ...more,
  };
}

function env(more: Json = {}): Json {
  return {
    path: ENV,
    sitePackages: `${ENV}/lib/python3.11/site-packages`,
    inputs: { python: { executable: '/usr/bin/python3.11', version: '3.11.2' }, layout: 'venv', isolation: 'full', prompt: 'app', globals: ['six==1.16.0'] },
    entries: [
      { path: 'bin', digest: { kind: 'dir' } },
      { path: 'bin/python', digest: { kind: 'symlink', target: '/usr/bin/python3.11' } },
      { path: 'pyvenv.cfg', digest: { kind: 'file', sha256: 'ab', mode: 420 } },
      { path: 'lib/x.so', digest: { kind: 'copy', sha256: 'cd', size: 3 } },
    ],
    parts: { config: part() },
    ...more,
  };
}

function state(envs: Json = { app: env() }, more: Json = {}): string {
  return JSON.stringify({ format: 'envbuild-state', version: 1, writtenBy: '0.1.0', environments: envs, ...more });
}

function refusal(text: string): string {
  try {
    parseState(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).code).toBe('ESTATE_CORRUPT');
    expect((e as UserError).hint).toBe('nothing was changed; inspect or move the file away (envbuild will then treat environments on disk as unknown)');
    return (e as UserError).message.replace(`refusing to use ${FILE}: `, '');
  }
  throw new Error('accepted');
}

describe('parseState', () => {
  it('accepts a well-formed state and returns it as written', () => {
    const text = state({ app: env(), 'other.env-2': env({ path: '/srv/envs/other', sitePackages: undefined, inputs: { python: { executable: 'p', version: '2.7.18' }, layout: 'classic', isolation: 'system', prompt: '' } }) });
    expect(parseState(text, FILE)).toEqual(JSON.parse(text));
  });

  it.each<[string, string, string]>([
    ['not JSON', '{', 'it is not valid JSON ('],
    ['an array', '[]', 'it is not an envbuild state file'],
    ['null', 'null', 'it is not an envbuild state file'],
    ['another format', state({}, { format: 'other' }), 'it is not an envbuild state file'],
    ['a string version', state({}, { version: '1' }), '"version" is not an integer'],
    ['a fractional version', state({}, { version: 0.5 }), '"version" is not an integer'],
    ['an older version', state({}, { version: 0 }), 'unsupported state version 0'],
    ['no writtenBy', state({}, { writtenBy: 3 }), '"writtenBy" is not a string'],
    ['environments as a list', state({}, { environments: [] }), '"environments" is not an object'],
    ['environments null', state({}, { environments: null }), '"environments" is not an object'],
  ])('refuses %s', (_what, text, why) => {
    expect(refusal(text)).toContain(why);
    if (!why.endsWith('(')) expect(refusal(text)).toBe(why);
  });

  it('refuses a newer state version, saying which envbuild wrote it', () => {
    const err = (() => {
      try {
        return parseState(state({}, { version: 2, writtenBy: '9.9.9' }), FILE);
      } catch (e) {
        return e as UserError;
      }
    })() as UserError;
    expect(err.code).toBe('ESTATE_NEWER');
    expect(err.message).toBe(`${FILE} was written by a newer envbuild (state version 2, this one reads up to 1; written by envbuild 9.9.9)`);
    expect(err.hint).toBe('upgrade envbuild; the file is left untouched');
    expect(() => parseState(state({}, { version: 2, writtenBy: 7 }), FILE)).toThrow(`${FILE} was written by a newer envbuild (state version 2, this one reads up to 1)`);
  });

  const python = { executable: '/usr/bin/python3.11', version: '3.11.2' };
  const inputs = { python, layout: 'venv', isolation: 'full', prompt: 'app' };
  it.each<[string, Json, string]>([
    ['a bad environment name', { 'Bad Name': env() }, 'bad environment name "Bad Name"'],
    ['an environment name starting with a dot', { '.app': env() }, 'bad environment name ".app"'],
    ['an environment that is a list', { app: [] }, 'environments.app is not an object'],
    ['a relative path', { app: env({ path: 'envs/app' }) }, 'environments.app.path is not a normalised absolute path'],
    ['a path with ..', { app: env({ path: `${PROJECT}/envs/../app` }) }, 'environments.app.path is not a normalised absolute path'],
    ['the root', { app: env({ path: '/' }) }, 'environments.app.path is not a normalised absolute path'],
    ['a trailing slash', { app: env({ path: `${ENV}/` }) }, 'environments.app.path is not a normalised absolute path'],
    ['a NUL byte', { app: env({ path: `${ENV}\0x` }) }, 'environments.app.path is not a normalised absolute path'],
    ['a path that is not a string', { app: env({ path: 3 }) }, 'environments.app.path is not a normalised absolute path'],
    ['the project itself', { app: env({ path: PROJECT }) }, `environments.app.path ${PROJECT} contains the project itself`],
    ['a parent of the project', { app: env({ path: '/work' }) }, 'environments.app.path /work contains the project itself'],
    ['site-packages outside', { app: env({ sitePackages: '/usr/lib/python3/dist-packages' }) }, 'environments.app.sitePackages is not a normalised absolute path inside the environment'],
    ['site-packages the root itself', { app: env({ sitePackages: ENV }) }, 'environments.app.sitePackages is not a normalised absolute path inside the environment'],
    ['site-packages not normalised', { app: env({ sitePackages: `${ENV}/lib/../lib` }) }, 'environments.app.sitePackages is not a normalised absolute path inside the environment'],
    ['site-packages a number', { app: env({ sitePackages: 1 }) }, 'environments.app.sitePackages is not a normalised absolute path inside the environment'],
    ['no inputs', { app: env({ inputs: null }) }, 'environments.app.inputs is malformed'],
    ['no python', { app: env({ inputs: { ...inputs, python: 'x' } }) }, 'environments.app.inputs is malformed'],
    ['no executable', { app: env({ inputs: { ...inputs, python: { version: '3' } } }) }, 'environments.app.inputs is malformed'],
    ['no version', { app: env({ inputs: { ...inputs, python: { executable: 'x' } } }) }, 'environments.app.inputs is malformed'],
    ['a bad layout', { app: env({ inputs: { ...inputs, layout: 'conda' } }) }, 'environments.app.inputs is malformed'],
    ['no isolation', { app: env({ inputs: { ...inputs, isolation: 1 } }) }, 'environments.app.inputs is malformed'],
    ['no prompt', { app: env({ inputs: { ...inputs, prompt: null } }) }, 'environments.app.inputs is malformed'],
    ['globals not a list', { app: env({ inputs: { ...inputs, globals: 'six' } }) }, 'environments.app.inputs is malformed'],
    ['globals not strings', { app: env({ inputs: { ...inputs, globals: ['six', 1] } }) }, 'environments.app.inputs is malformed'],
    ['entries not a list', { app: env({ entries: {} }) }, 'environments.app.entries is not a list'],
    ['an entry without a path', { app: env({ entries: [{ digest: { kind: 'dir' } }] }) }, 'environments.app.entries[0] is malformed'],
    ['an entry that is null', { app: env({ entries: [null] }) }, 'environments.app.entries[0] is malformed'],
    ['an entry with a bad kind', { app: env({ entries: [{ path: 'x', digest: { kind: 'fifo' } }] }) }, 'environments.app.entries[0] is malformed'],
    ['a file entry without a mode', { app: env({ entries: [{ path: 'x', digest: { kind: 'file', sha256: 'a' } }] }) }, 'environments.app.entries[0] is malformed'],
    ['a file entry without a hash', { app: env({ entries: [{ path: 'x', digest: { kind: 'file', mode: 1 } }] }) }, 'environments.app.entries[0] is malformed'],
    ['a link entry without a target', { app: env({ entries: [{ path: 'x', digest: { kind: 'symlink' } }] }) }, 'environments.app.entries[0] is malformed'],
    ['a copy entry without a size', { app: env({ entries: [{ path: 'x', digest: { kind: 'copy', sha256: 'a' } }] }) }, 'environments.app.entries[0] is malformed'],
    ['a copy entry without a hash', { app: env({ entries: [{ path: 'x', digest: { kind: 'copy', size: 1 } }] }) }, 'environments.app.entries[0] is malformed'],
    ['a digest that is a list', { app: env({ entries: [{ path: 'x', digest: [] }] }) }, 'environments.app.entries[0] is malformed'],
    ['an entry escaping with ..', { app: env({ entries: [{ path: 'bin', digest: { kind: 'dir' } }, { path: '../../etc', digest: { kind: 'dir' } }] }) }, 'environments.app.entries[1].path "../../etc" escapes the environment'],
    ['an absolute entry', { app: env({ entries: [{ path: '/etc', digest: { kind: 'dir' } }] }) }, 'environments.app.entries[0].path "/etc" escapes the environment'],
    ['parts not an object', { app: env({ parts: [] }) }, 'environments.app.parts is not an object'],
    ['a part that is null', { app: env({ parts: { p: null } }) }, 'environments.app.parts.p is malformed'],
    ['a part without recipe', { app: env({ parts: { p: part({ recipe: 1 }) } }) }, 'environments.app.parts.p is malformed'],
    ['a part without version', { app: env({ parts: { p: part({ version: null }) } }) }, 'environments.app.parts.p is malformed'],
    ['a part without fingerprint', { app: env({ parts: { p: part({ fingerprint: 2 }) } }) }, 'environments.app.parts.p is malformed'],
    ['a part with list options', { app: env({ parts: { p: part({ options: [] }) } }) }, 'environments.app.parts.p is malformed'],
    ['a part without outputs', { app: env({ parts: { p: part({ outputs: 'x' }) } }) }, 'environments.app.parts.p is malformed'],
    ['a part with created not a list', { app: env({ parts: { p: part({ created: {} }) } }) }, 'environments.app.parts.p is malformed'],
    ['a created path not a string', { app: env({ parts: { p: part({ created: [{ path: 1, kind: 'dir' }] }) } }) }, 'environments.app.parts.p.created[0] is malformed'],
    ['a created entry of no kind', { app: env({ parts: { p: part({ created: [{ path: `${ENV}/x`, kind: 'copy' }] }) } }) }, 'environments.app.parts.p.created[0] is malformed'],
    ['a created file without a hash', { app: env({ parts: { p: part({ created: [{ path: `${ENV}/x`, kind: 'file', mode: 1 }] }) } }) }, 'environments.app.parts.p.created[0] is malformed'],
    ['a created file without a mode', { app: env({ parts: { p: part({ created: [{ path: `${ENV}/x`, kind: 'file', sha256: 'a' }] }) } }) }, 'environments.app.parts.p.created[0] is malformed'],
    ['a created link without a target', { app: env({ parts: { p: part({ created: [{ path: `${ENV}/x`, kind: 'symlink' }] }) } }) }, 'environments.app.parts.p.created[0] is malformed'],
    ['a relative created path', { app: env({ parts: { p: part({ created: [{ path: 'x', kind: 'dir' }] }) } }) }, 'environments.app.parts.p.created[0] "x" is not a normalised absolute path'],
    ['a created path outside', { app: env({ parts: { p: part({ created: [{ path: `${ENV}/x`, kind: 'dir' }, { path: '/etc/passwd', kind: 'dir' }] }) } }) }, 'environments.app.parts.p.created[1] "/etc/passwd" is outside the environment and the project'],
    ['the project as a created path', { app: env({ parts: { p: part({ created: [{ path: PROJECT, kind: 'dir' }] }) } }) }, `environments.app.parts.p.created[0] "${PROJECT}" is outside the environment and the project`],
  ])('refuses %s', (_what, envs, why) => {
    expect(refusal(state(envs))).toBe(why);
  });
});

describe('isInside', () => {
  it.each<[string, string, boolean]>([
    ['/a', '/a/b', true],
    ['/a', '/a/b/c', true],
    ['/a', '/a', false],
    ['/a', '/ab', false],
    ['/a/b', '/a', false],
    ['/a', '/a/..b', true],
    ['/a', '/b/../a/c', true],
  ])('%s holds %s: %s', (dir, p, inside) => {
    expect(isInside(dir, p)).toBe(inside);
  });
});

describe('checkStateOnDisk', () => {
  const stateOf = (envPath: string): StateFile => JSON.parse(state({ app: env({ path: envPath, sitePackages: undefined, parts: {} }) })) as StateFile;

  it('accepts an environment inside the project, existing or not, and one elsewhere', async () => {
    const dir = tempDir('envbuild-state-');
    fs.mkdirSync(path.join(dir, 'envs', 'app'), { recursive: true });
    const file = statePath(dir);
    await expect(checkStateOnDisk(stateOf(path.join(dir, 'envs', 'app')), file)).resolves.toBeUndefined();
    await expect(checkStateOnDisk(stateOf(path.join(dir, 'not', 'yet')), file)).resolves.toBeUndefined();
    await expect(checkStateOnDisk(stateOf(path.join(tempDir('envbuild-elsewhere-'), 'env')), file)).resolves.toBeUndefined();
  });

  it('refuses an environment that leads out of the project through a link, dangling or not', async () => {
    const dir = tempDir('envbuild-state-');
    const outside = tempDir('envbuild-outside-');
    fs.symlinkSync(outside, path.join(dir, 'envs'));
    const file = statePath(dir);
    await expect(checkStateOnDisk(stateOf(path.join(dir, 'envs', 'app')), file)).rejects.toThrow(
      `refusing to use ${file}: environments.app.path ${path.join(dir, 'envs', 'app')} leads outside the project through a symbolic link (to ${outside})`,
    );
    fs.symlinkSync('/nonexistent-envbuild-target', path.join(dir, 'dangling'));
    await expect(checkStateOnDisk(stateOf(path.join(dir, 'dangling', 'app')), file)).rejects.toThrow(
      `leads outside the project through a symbolic link (to /nonexistent-envbuild-target)`,
    );
  });

  it("refuses an environment lying in another envbuild project (a state copied from there)", async () => {
    const dir = tempDir('envbuild-state-');
    const other = tempDir('envbuild-other-');
    fs.mkdirSync(path.join(other, '.envbuild'));
    fs.writeFileSync(path.join(other, '.envbuild', 'state.json'), state({}));
    const file = statePath(dir);
    await expect(checkStateOnDisk(stateOf(path.join(other, 'envs', 'app')), file)).rejects.toThrow(
      `refusing to use ${file}: environments.app.path ${path.join(other, 'envs', 'app')} lies in another envbuild project (${other}); was this state copied from there?`,
    );
  });
});

describe('the state store', () => {
  it('reads an absent state as empty, writes atomically, and rewrites only changed bytes', async () => {
    const dir = tempDir('envbuild-store-');
    expect(await readState(dir, '1.2.3')).toEqual(emptyState('1.2.3'));
    const s = JSON.parse(state({ app: env({ path: path.join(dir, 'envs', 'app'), sitePackages: undefined, parts: {} }) })) as StateFile;
    expect(await writeState(dir, s)).toBe(true);
    expect(fs.readFileSync(statePath(dir), 'utf8')).toBe(serializeState(s));
    expect(serializeState(s)).toBe(`${JSON.stringify(s, null, 2)}\n`);
    expect(fs.statSync(statePath(dir)).mode & 0o777).toBe(0o644);
    expect(await readState(dir, 'ignored')).toEqual(s);
    const mtime = fs.statSync(statePath(dir)).mtimeMs;
    expect(await writeState(dir, s, serializeState(s))).toBe(false);
    expect(fs.statSync(statePath(dir)).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(path.join(dir, '.envbuild'))).toEqual(['state.json']);
  });

  it('refuses to read a corrupt state', async () => {
    const dir = tempDir('envbuild-store-');
    fs.mkdirSync(path.join(dir, '.envbuild'));
    fs.writeFileSync(statePath(dir), '{"format":"envbuild-state"');
    await expect(readState(dir, '1')).rejects.toThrow(`refusing to use ${statePath(dir)}: it is not valid JSON`);
  });

  it('propagates a read error other than absence', async () => {
    const dir = tempDir('envbuild-store-');
    fs.mkdirSync(statePath(dir), { recursive: true });
    await expect(readState(dir, '1')).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('sweeps only its own temporaries, and deletes the state and its folder when empty', async () => {
    const dir = tempDir('envbuild-store-');
    await writeState(dir, emptyState('1'));
    const sd = path.join(dir, '.envbuild');
    for (const n of ['state.json.envbuild-0123abcd.tmp', 'state.json.envbuild-xyz.tmp', 'notes.txt']) fs.writeFileSync(path.join(sd, n), '');
    await sweepStateTemporaries(dir);
    expect(fs.readdirSync(sd).sort()).toEqual(['notes.txt', 'state.json', 'state.json.envbuild-xyz.tmp']);
    await deleteState(dir);
    expect(fs.readdirSync(sd).sort()).toEqual(['notes.txt', 'state.json.envbuild-xyz.tmp']);
    fs.rmSync(sd, { recursive: true });
    await writeState(dir, emptyState('1'));
    await deleteState(dir);
    expect(fs.existsSync(sd)).toBe(false);
    await expect(sweepStateTemporaries(dir)).resolves.toBeUndefined();
  });
});
