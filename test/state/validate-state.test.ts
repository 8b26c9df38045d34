/**
 * A state file is untrusted input (hand-edited, truncated, copied, written by another version):
 * everything envbuild later deletes is named in it, so each field is checked and a bad file is
 * refused as a whole, with a message that says which field is wrong. Paths written relative to
 * the manifest's directory (version 2) come back absolute.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { checkStateOnDisk, enclosingProject, isInside, parseState } from '../../src/state/validate-state.js';
import type { StateFile } from '../../src/state/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const PROJECT = '/work/project';
const FILE = '/work/project/.envbuild/env.yaml.state.json';
const ID = '0123456789abcdef0123456789abcdef';

type Json = Record<string, unknown>;

function env(over: Json = {}): Json {
  return {
    path: 'envs/a',
    id: ID,
    inputs: { python: { executable: '/usr/bin/python3.11', version: '3.11.2' }, layout: 'venv', isolation: 'full', prompt: 'a' },
    entries: [
      { path: 'bin', digest: { kind: 'dir' } },
      { path: 'bin/python', digest: { kind: 'symlink', target: '/usr/bin/python3.11' } },
      { path: 'pyvenv.cfg', digest: { kind: 'file', sha256: 'ab', mode: 0o644 } },
      { path: 'lib/x.so', digest: { kind: 'copy', sha256: 'cd', size: 3 } },
    ],
    parts: {
      note: {
        recipe: 'file',
        version: '1',
        fingerprint: 'f',
        options: {},
        outputs: {},
        created: [
          { path: 'envs/a/etc', kind: 'dir' },
          { path: 'envs/a/etc/note', kind: 'file', sha256: 'ef', mode: 0o644 },
          { path: 'notes/link', kind: 'symlink', target: 'x' },
        ],
      },
    },
    ...over,
  };
}

function state(over: Json = {}, envOver: Json = {}): string {
  return JSON.stringify({ format: 'envbuild-state', version: 2, writtenBy: '0.1.0', environments: { a: env(envOver) }, ...over });
}

function refusal(text: string): UserError {
  try {
    parseState(text, FILE, PROJECT);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('the state was accepted');
}

describe('parseState accepts', () => {
  it('a version 2 state, with paths inside the project made absolute and its MAC dropped', () => {
    const parsed = parseState(
      state({ mac: 'ff', creating: { b: 12.5 } }, { parents: ['envs', '/elsewhere', 'envs/a/below', 'other'], sitePackages: 'lib/python3.11/site-packages', pending: { note: 3 } }),
      FILE,
      PROJECT,
    );
    expect(parsed).not.toHaveProperty('mac');
    expect(parsed.version).toBe(2);
    expect(parsed.creating).toEqual({ b: 12.5 });
    const a = parsed.environments['a']!;
    expect(a.path).toBe('/work/project/envs/a');
    expect(a.sitePackages).toBe('/work/project/envs/a/lib/python3.11/site-packages');
    // Only directories above the root and inside the project are kept as its parents.
    expect(a.parents).toEqual(['/work/project/envs']);
    expect(a.pending).toEqual({ note: 3 });
    expect(a.parts['note']!.created.map((c) => c.path)).toEqual(['/work/project/envs/a/etc', '/work/project/envs/a/etc/note', '/work/project/notes/link']);
    expect(a.entries).toHaveLength(4);
  });

  it('a version 1 state with absolute paths, read as version 2', () => {
    const parsed = parseState(
      state({ version: 1 }, { path: '/work/project/envs/a', sitePackages: '/work/project/envs/a/lib/site', parents: ['/work/project/envs'], parts: {} }),
      FILE,
      PROJECT,
    );
    expect(parsed.version).toBe(2);
    expect(parsed.environments['a']!.path).toBe('/work/project/envs/a');
    expect(parsed.environments['a']!.sitePackages).toBe('/work/project/envs/a/lib/site');
    expect(parsed.environments['a']!.parents).toEqual(['/work/project/envs']);
  });

  it('an environment outside the project, a classic layout and a cherry-pick allowlist', () => {
    const inputs = { python: { executable: '/p', version: '3.11.2' }, layout: 'classic', isolation: 'cherry-pick: yaml', prompt: 'a', globals: ['PyYAML==6.0'] };
    const parsed = parseState(state({}, { path: '/opt/envs/a', inputs, parts: {}, id: undefined }), FILE, PROJECT);
    expect(parsed.environments['a']!.path).toBe('/opt/envs/a');
    expect(parsed.environments['a']!).not.toHaveProperty('parents');
    expect(parsed.environments['a']!).not.toHaveProperty('sitePackages');
  });
});

describe('parseState refuses', () => {
  const inputs = (over: Json): Json => ({ python: { executable: '/p', version: '3.11.2' }, layout: 'venv', isolation: 'full', prompt: 'a', ...over });
  const part = (over: Json): Json => ({ parts: { p: { recipe: 'file', version: '1', fingerprint: 'f', options: {}, outputs: {}, created: [], ...over } } });
  const cases: Array<[string, string, RegExp]> = [
    ['text that is not JSON', '{"format": ', /it is not valid JSON \(/],
    ['another format', state({ format: 'other' }), /it is not an envbuild state file/],
    ['a list', '[]', /it is not an envbuild state file/],
    ['null', 'null', /it is not an envbuild state file/],
    ['a fractional version', state({ version: 1.5 }), /"version" is not an integer/],
    ['a version as text', state({ version: '2' }), /"version" is not an integer/],
    ['version 0', state({ version: 0 }), /unsupported state version 0/],
    ['a missing writtenBy', state({ writtenBy: 3 }), /"writtenBy" is not a string/],
    ['a manifest that is not text', state({ manifest: 1 }), /"manifest" is not a string/],
    ['a project that is not text', state({ project: false }), /"project" is not a string/],
    ['a mac that is not text', state({ mac: 7 }), /"mac" is not a string/],
    ['environments as a list', state({ environments: [] }), /"environments" is not an object/],
    ['creating as a list', state({ creating: [1] }), /"creating" is malformed/],
    ['creating with a text time', state({ creating: { a: 'now' } }), /"creating" is malformed/],
    ['an upper-case environment name', state({ environments: { A: env() } }), /bad environment name "A"/],
    ['an environment name starting with a dot', state({ environments: { '.a': env() } }), /bad environment name "\.a"/],
    ['an environment that is not an object', state({ environments: { a: 'x' } }), /environments\.a is not an object/],
    ['an environment without a path', state({}, { path: 3 }), /environments\.a\.path is not a normalised absolute path or a path inside the project/],
    ['an empty path', state({}, { path: '' }), /environments\.a\.path is not/],
    ['a path leaving the project', state({}, { path: '../a' }), /environments\.a\.path is not/],
    ['a path with a dot-dot inside', state({}, { path: 'envs/../a' }), /environments\.a\.path is not/],
    ['a path ending in a slash', state({}, { path: 'envs/a/' }), /environments\.a\.path is not/],
    ['a path with a NUL', state({}, { path: 'envs/a\0' }), /environments\.a\.path is not/],
    ['an absolute path not normalised', state({}, { path: '/work/../etc' }), /environments\.a\.path is not/],
    ['an absolute path ending in a slash', state({}, { path: '/opt/envs/' }), /environments\.a\.path is not/],
    ['the root directory', state({}, { path: '/' }), /environments\.a\.path is not/],
    ['a relative path in version 1', state({ version: 1 }, { path: 'envs/a', parts: {} }), /environments\.a\.path is not a normalised absolute path$/],
    ['the project itself', state({}, { path: '.', parts: {} }), /environments\.a\.path \/work\/project contains the project itself/],
    ['the project directory', state({}, { path: PROJECT, parts: {} }), /environments\.a\.path \/work\/project contains the project itself/],
    ['a directory above the project', state({}, { path: '/work', parts: {} }), /environments\.a\.path \/work contains the project itself/],
    ['pending as a list', state({}, { pending: [] }), /environments\.a\.pending is malformed/],
    ['pending with a text time', state({}, { pending: { p: 'x' } }), /environments\.a\.pending is malformed/],
    ['parents that are not a list', state({}, { parents: 'envs' }), /environments\.a\.parents is not a list/],
    ['an id that is not an envbuild id', state({}, { id: 'abc' }), /environments\.a\.id is not an envbuild id/],
    ['an id that is a number', state({}, { id: 5 }), /environments\.a\.id is not an envbuild id/],
    ['site-packages outside the environment', state({}, { sitePackages: '../b/site' }), /environments\.a\.sitePackages is not a normalised absolute path inside the environment/],
    ['site-packages absolute elsewhere', state({}, { sitePackages: '/usr/lib/python3/dist-packages' }), /environments\.a\.sitePackages is not/],
    ['site-packages not normalised', state({}, { sitePackages: '/work/project/envs/a/lib/../../b' }), /environments\.a\.sitePackages is not/],
    ['site-packages that is a number', state({}, { sitePackages: 3 }), /environments\.a\.sitePackages is not/],
    ['site-packages relative in version 1', state({ version: 1 }, { path: '/work/project/envs/a', sitePackages: 'lib/site', parts: {} }), /environments\.a\.sitePackages is not/],
    ['missing inputs', state({}, { inputs: undefined }), /environments\.a\.inputs is malformed/],
    ['inputs without python', state({}, { inputs: inputs({ python: 'p' }) }), /environments\.a\.inputs is malformed/],
    ['inputs without an executable', state({}, { inputs: inputs({ python: { version: '3.11.2' } }) }), /inputs is malformed/],
    ['inputs without a version', state({}, { inputs: inputs({ python: { executable: '/p' } }) }), /inputs is malformed/],
    ['an unknown layout', state({}, { inputs: inputs({ layout: 'conda' }) }), /inputs is malformed/],
    ['inputs without isolation', state({}, { inputs: inputs({ isolation: 1 }) }), /inputs is malformed/],
    ['inputs without a prompt', state({}, { inputs: inputs({ prompt: null }) }), /inputs is malformed/],
    ['globals that are not a list', state({}, { inputs: inputs({ globals: 'x' }) }), /inputs is malformed/],
    ['globals that are not text', state({}, { inputs: inputs({ globals: ['a', 1] }) }), /inputs is malformed/],
    ['entries that are not a list', state({}, { entries: {} }), /environments\.a\.entries is not a list/],
    ['an entry without a path', state({}, { entries: [{ digest: { kind: 'dir' } }] }), /environments\.a\.entries\[0\] is malformed/],
    ['an entry that is not an object', state({}, { entries: ['bin'] }), /entries\[0\] is malformed/],
    ['an entry without a digest', state({}, { entries: [{ path: 'x', digest: null }] }), /entries\[0\] is malformed/],
    ['a file digest without a mode', state({}, { entries: [{ path: 'x', digest: { kind: 'file', sha256: 'a' } }] }), /entries\[0\] is malformed/],
    ['a file digest without a hash', state({}, { entries: [{ path: 'x', digest: { kind: 'file', mode: 1 } }] }), /entries\[0\] is malformed/],
    ['a symlink digest without a target', state({}, { entries: [{ path: 'x', digest: { kind: 'symlink' } }] }), /entries\[0\] is malformed/],
    ['a copy digest without a size', state({}, { entries: [{ path: 'x', digest: { kind: 'copy', sha256: 'a' } }] }), /entries\[0\] is malformed/],
    ['a copy digest without a hash', state({}, { entries: [{ path: 'x', digest: { kind: 'copy', size: 1 } }] }), /entries\[0\] is malformed/],
    ['an unknown digest kind', state({}, { entries: [{ path: 'x', digest: { kind: 'fifo' } }] }), /entries\[0\] is malformed/],
    ['an entry escaping the environment', state({}, { entries: [{ path: 'bin', digest: { kind: 'dir' } }, { path: '../../etc', digest: { kind: 'dir' } }] }), /environments\.a\.entries\[1\]\.path "\.\.\/\.\.\/etc" escapes the environment/],
    ['parts as a list', state({}, { parts: [] }), /environments\.a\.parts is not an object/],
    ['a part that is not an object', state({}, { parts: { p: 1 } }), /environments\.a\.parts\.p is malformed/],
    ['a part without a recipe', state({}, part({ recipe: 1 })), /parts\.p is malformed/],
    ['a part without a version', state({}, part({ version: undefined })), /parts\.p is malformed/],
    ['a part without a fingerprint', state({}, part({ fingerprint: 2 })), /parts\.p is malformed/],
    ['a part with options as a list', state({}, part({ options: [] })), /parts\.p is malformed/],
    ['a part without outputs', state({}, part({ outputs: 'x' })), /parts\.p is malformed/],
    ['a part with created not a list', state({}, part({ created: {} })), /parts\.p is malformed/],
    ['a created path that is not an object', state({}, part({ created: ['x'] })), /parts\.p\.created\[0\] is malformed/],
    ['a created entry without a path', state({}, part({ created: [{ kind: 'dir' }] })), /parts\.p\.created\[0\] is malformed/],
    ['a created file without a hash', state({}, part({ created: [{ path: 'envs/a/x', kind: 'file', mode: 1 }] })), /created\[0\] is malformed/],
    ['a created file without a mode', state({}, part({ created: [{ path: 'envs/a/x', kind: 'file', sha256: 'a' }] })), /created\[0\] is malformed/],
    ['a created symlink without a target', state({}, part({ created: [{ path: 'envs/a/x', kind: 'symlink' }] })), /created\[0\] is malformed/],
    ['a created entry of unknown kind', state({}, part({ created: [{ path: 'envs/a/x', kind: 'copy' }] })), /created\[0\] is malformed/],
    ['a created path leaving the project', state({}, part({ created: [{ path: 'envs/a/x', kind: 'dir' }, { path: '../x', kind: 'dir' }] })), /parts\.p\.created\[1\] "\.\.\/x" is not a normalised absolute path/],
    ['a created path outside', state({}, part({ created: [{ path: '/etc/passwd', kind: 'dir' }] })), /parts\.p\.created\[0\] "\/etc\/passwd" is outside the environment and the project/],
    ['a created path that is the project', state({}, part({ created: [{ path: PROJECT, kind: 'dir' }] })), /created\[0\] "\/work\/project" is outside the environment and the project/],
  ];
  it.for(cases)('%s', ([, text, why]) => {
    const e = refusal(text);
    expect(e.code).toBe('ESTATE_CORRUPT');
    expect(e.message).toMatch(new RegExp(`^refusing to use ${FILE}: `));
    expect(e.message).toMatch(why);
    expect(e.hint).toMatch(/^nothing was changed; inspect or move the file away/);
  });

  it('a state written by a newer envbuild, saying which, and leaves it alone', () => {
    const e = refusal(state({ version: 3, writtenBy: '9.0.0' }));
    expect(e.code).toBe('ESTATE_NEWER');
    expect(e.message).toBe(`${FILE} was written by a newer envbuild (state version 3, this one reads up to 2; written by envbuild 9.0.0)`);
    expect(e.hint).toBe('upgrade envbuild; the file is left untouched');
    expect(refusal(state({ version: 3, writtenBy: 4 })).message).toBe(`${FILE} was written by a newer envbuild (state version 3, this one reads up to 2)`);
  });
});

describe('isInside', () => {
  it.for([
    ['/a', '/a/b', true],
    ['/a', '/a/b/c', true],
    ['/a', '/a/..b', true],
    ['/a', '/a', false],
    ['/a', '/ab', false],
    ['/a/b', '/a', false],
    ['/a', '/b/c', false],
    ['/a/b', '/a/c', false],
  ] as const)('%s holds %s: %s', ([dir, p, inside]) => {
    expect(isInside(dir, p)).toBe(inside);
  });
});

describe('checkStateOnDisk', () => {
  const onDisk = (_project: string, envPath: string): StateFile =>
    ({ format: 'envbuild-state', version: 2, writtenBy: 't', environments: { a: { path: envPath } } }) as unknown as StateFile;

  it('accepts an environment inside the project, built or not yet, and one elsewhere outside any project', async () => {
    const dir = tempDir();
    const project = path.join(dir, 'project');
    fs.mkdirSync(path.join(project, 'envs', 'a'), { recursive: true });
    await expect(checkStateOnDisk(onDisk(project, path.join(project, 'envs', 'a')), 'f', project)).resolves.toBeUndefined();
    await expect(checkStateOnDisk(onDisk(project, path.join(project, 'later', 'b')), 'f', project)).resolves.toBeUndefined();
    await expect(checkStateOnDisk(onDisk(project, path.join(dir, 'elsewhere', 'a')), 'f', project)).resolves.toBeUndefined();
  });

  it('refuses an environment that a symbolic link inside the project carries outside it', async () => {
    const dir = tempDir();
    const project = path.join(dir, 'project');
    fs.mkdirSync(path.join(dir, 'outside'), { recursive: true });
    fs.mkdirSync(project);
    fs.symlinkSync(path.join(dir, 'outside'), path.join(project, 'envs'));
    await expect(checkStateOnDisk(onDisk(project, path.join(project, 'envs', 'a')), 'F', project)).rejects.toThrow(
      `refusing to use F: environments.a.path ${path.join(project, 'envs', 'a')} leads outside the project through a symbolic link (to ${path.join(dir, 'outside')})`,
    );
    // A dangling link is followed to where it points.
    fs.symlinkSync(path.join(dir, 'gone'), path.join(project, 'dangling'));
    await expect(checkStateOnDisk(onDisk(project, path.join(project, 'dangling', 'a')), 'F', project)).rejects.toThrow(`(to ${path.join(dir, 'gone')})`);
  });

  it('refuses an environment that lies in another envbuild project (a copied state)', async () => {
    const dir = tempDir();
    const project = path.join(dir, 'copy');
    const original = path.join(dir, 'original');
    fs.mkdirSync(project);
    fs.mkdirSync(path.join(original, '.envbuild'), { recursive: true });
    fs.writeFileSync(path.join(original, '.envbuild', 'env.yaml.state.json'), '{}');
    await expect(checkStateOnDisk(onDisk(project, path.join(original, 'envs', 'a')), 'F', project)).rejects.toThrow(
      `refusing to use F: environments.a.path ${path.join(original, 'envs', 'a')} lies in another envbuild project (${original}); was this state copied from there?`,
    );
    expect(await enclosingProject(path.join(original, 'envs', 'a'))).toBe(original);
    // A .envbuild without a state (only a lock) does not make a project.
    fs.mkdirSync(path.join(dir, 'locked', '.envbuild'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'locked', '.envbuild', 'lock-holder.json'), '{}');
    expect(await enclosingProject(path.join(dir, 'locked', 'a'))).toBe(null);
  });
});
