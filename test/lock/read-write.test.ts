/**
 * A lock file's bytes as written, what reading one gives back or refuses (a lock is untrusted
 * input), and the check of the local files it names.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import type { EnvironmentLock } from '../../src/lock/model.js';
import { parseLock, readLockFile } from '../../src/lock/read-lock.js';
import { lockProblems } from '../../src/lock/validate-lock.js';
import { fileProblems } from '../../src/lock/verify-files.js';
import { writeLockText } from '../../src/lock/write-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const H = (c: string) => c.repeat(64);

const full: EnvironmentLock = {
  environment: 'app',
  inputs: `sha256:${H('0')}`,
  interpreter: { implementation: 'cpython', version: '3.11.2', soabi: null, platform: 'linux-x86_64', tag: 'cp311-none-linux_x86_64' },
  isolation: 'full',
  layout: 'classic',
  resolver: 'pip 23.0.1 --report',
  allowlist: [
    { name: 'b', version: '2', location: '/usr/lib/x', reason: 'r' },
    { name: 'A', version: '1', location: '/usr/lib/y', reason: 'q"\x7f' },
    { name: 'a', version: '1', location: '/usr/lib/a', reason: 'p' },
  ],
  packages: [
    { name: 'web', version: '2.0', marker: 'python_version >= "3.8"', requiresPython: '>=3.8', dependencies: ['idna', 'attrs'], parts: ['z', 'app'], requested: true, source: { kind: 'wheel', name: 'web-2.0-py3-none-any.whl', url: 'https://${env:T}@h/web.whl', sha256: H('1') } },
    { name: 'Web', version: '10.0', dependencies: [], parts: ['app'], requested: false, source: { kind: 'sdist', name: 'Web-10.0.tar.gz', path: 'sd/Web-10.0.tar.gz', sha256: H('2') } },
    { name: 'arch', version: '1', dependencies: [], parts: ['app'], requested: false, source: { kind: 'archive', path: 'a.zip', sha256: H('3') } },
    { name: 'lib', dependencies: [], parts: ['app'], requested: true, source: { kind: 'directory', path: '../lib', editable: true } },
    { name: 'pin', version: '0.1', dependencies: [], parts: ['app'], requested: false, source: { kind: 'pinned' } },
  ],
};

/** The whole file, byte for byte: PEP 751's key order, one inline table per file, envbuild's keys sorted. */
const FULL_TEXT = `lock-version = "1.0"
created-by = "envbuild"
requires-python = "==3.11.2"

[[packages]]
name = "arch"
version = "1"
dependencies = []
archive = { path = "a.zip", hashes = { sha256 = "${H('3')}" } }

[packages.tool.envbuild]
parts = ["app"]
requested = false

[[packages]]
name = "lib"
dependencies = []
directory = { path = "../lib", editable = true }

[packages.tool.envbuild]
parts = ["app"]
requested = true

[[packages]]
name = "pin"
version = "0.1"
dependencies = []

[packages.tool.envbuild]
parts = ["app"]
requested = false
source = "pinned: the version pip installed, without a file or hash (pip had no --report)"

[[packages]]
name = "Web"
version = "10.0"
dependencies = []
sdist = { name = "Web-10.0.tar.gz", path = "sd/Web-10.0.tar.gz", hashes = { sha256 = "${H('2')}" } }

[packages.tool.envbuild]
parts = ["app"]
requested = false

[[packages]]
name = "web"
version = "2.0"
marker = "python_version >= \\"3.8\\""
requires-python = ">=3.8"
dependencies = [{ name = "attrs" }, { name = "idna" }]
wheels = [
  { name = "web-2.0-py3-none-any.whl", url = "https://\${env:T}@h/web.whl", hashes = { sha256 = "${H('1')}" } },
]

[packages.tool.envbuild]
parts = ["app", "z"]
requested = true

[tool.envbuild]
environment = "app"
inputs = "sha256:${H('0')}"
isolation = "full"
layout = "classic"
resolver = "pip 23.0.1 --report"

[tool.envbuild.python]
implementation = "cpython"
platform = "linux-x86_64"
soabi = ""
tag = "cp311-none-linux_x86_64"
version = "3.11.2"

[[tool.envbuild.allowlist]]
location = "/usr/lib/a"
name = "a"
reason = "p"
version = "1"

[[tool.envbuild.allowlist]]
location = "/usr/lib/y"
name = "A"
reason = "q\\"\\u007f"
version = "1"

[[tool.envbuild.allowlist]]
location = "/usr/lib/x"
name = "b"
reason = "r"
version = "2"
`;

async function refusal(p: () => unknown): Promise<UserError> {
  try {
    await p();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('a written lock', () => {
  it('has exactly these bytes for every source kind, whatever the order given', () => {
    expect(writeLockText(full)).toBe(FULL_TEXT);
    expect(writeLockText({ ...full, packages: [...full.packages].reverse(), allowlist: [...full.allowlist].reverse() })).toBe(FULL_TEXT);
    expect(lockProblems(parse(FULL_TEXT))).toEqual([]);
  });

  it('reads back as the lock it was written from (sources, pins, interpreter, allowlist)', () => {
    const back = parseLock(FULL_TEXT, 'pylock.app.toml');
    const byName = (l: EnvironmentLock) => new Map(l.packages.map((p) => [`${p.name} ${p.version ?? ''}`, p]));
    expect(byName(back)).toEqual(new Map([...byName(full)].map(([k, p]) => [k, { ...p, dependencies: [...p.dependencies].sort(), parts: [...p.parts].sort() }])));
    expect({ ...back, packages: [], allowlist: [] }).toStrictEqual({ ...full, packages: [], allowlist: [] });
    expect(back.interpreter.soabi).toBeNull();
    expect(new Set(back.allowlist)).toEqual(new Set(full.allowlist));
    expect(writeLockText(back)).toBe(FULL_TEXT);
  });
});

describe('reading a lock', () => {
  const head = 'lock-version = "1.0"\ncreated-by = "someone"\n';
  const tool = '[tool.envbuild]\nenvironment = "a"\ninputs = "sha256:x"\nisolation = "full"\nlayout = "venv"\nresolver = "r"\n[tool.envbuild.python]\nimplementation = "cpython"\nversion = "3.11.2"\nplatform = "linux"\ntag = "t"\n';

  it('takes what PEP 751 allows but envbuild did not write: several wheels, url and path, names to normalise', () => {
    const text = `${head}[[packages]]
name = "Demo"
version = "1"
dependencies = [{ name = "Zope.Interface" }, { version = "2" }, { name = 3 }]
wheels = [
  { name = "demo-1-py3-none-any.whl", url = "https://h/demo.whl", path = "wh/demo.whl", hashes = { sha256 = "${H('a')}" } },
  { name = "demo-1-cp311-cp311-linux_x86_64.whl", path = "wh/other.whl", hashes = { sha256 = "${H('b')}" } },
]
[packages.tool.envbuild]
parts = ["deps", 3]
requested = "yes"
[[packages]]
name = "plain"
directory = { path = "src" }
[[packages]]
name = "tool-less"
version = "3"
archive = { url = "https://h/t.zip", hashes = { md5 = "x" } }
${tool.replace('layout = "venv"', 'layout = "something"')}soabi = "cpython-311-x86_64-linux-gnu"
executable = "/usr/bin/python3.11"
`;
    expect(lockProblems(parse(text))).toEqual([]);
    const lock = parseLock(text, 'pylock.a.toml');
    expect(lock.packages).toStrictEqual([
      {
        name: 'Demo',
        version: '1',
        dependencies: ['zope-interface'],
        parts: ['deps'],
        requested: false,
        source: { kind: 'wheel', name: 'demo-1-py3-none-any.whl', url: 'https://h/demo.whl', sha256: H('a') },
      },
      { name: 'plain', dependencies: [], parts: [], requested: false, source: { kind: 'directory', path: 'src', editable: false } },
      { name: 'tool-less', version: '3', dependencies: [], parts: [], requested: false, source: { kind: 'archive', url: 'https://h/t.zip', sha256: '' } },
    ]);
    expect(lock.interpreter).toEqual({ implementation: 'cpython', version: '3.11.2', soabi: 'cpython-311-x86_64-linux-gnu', platform: 'linux', tag: 't', executable: '/usr/bin/python3.11' });
    expect(lock.layout).toBe('venv');
    expect(lock.allowlist).toEqual([]);
    expect({ environment: lock.environment, inputs: lock.inputs, isolation: lock.isolation, resolver: lock.resolver }).toEqual({ environment: 'a', inputs: 'sha256:x', isolation: 'full', resolver: 'r' });
  });

  it('reads a missing SOABI (Python 2) as null', () => {
    expect(parseLock(`${head}packages = []\n${tool}`, 'pylock.a.toml').interpreter.soabi).toBeNull();
  });

  it('refuses text that is not TOML, naming the file and the first line of the parser\'s complaint', async () => {
    const e = await refusal(() => parseLock('lock-version = \n[[', '/p/pylock.app.toml'));
    expect(e.code).toBe('ELOCK');
    expect(e.message).toMatch(/^\/p\/pylock\.app\.toml is not valid TOML: \S.{9,}$/);
    expect(e.message).not.toContain('\n');
    expect(e.hint).toBe('a lock is written by `envbuild lock`; delete it and run that again');
  });

  it('refuses a lock breaking the rules, listing every problem on its own line', async () => {
    const e = await refusal(() => parseLock('lock-version = "2.0"\npackages = []\n', '/p/pylock.app.toml'));
    expect(e.message).toBe(
      '/p/pylock.app.toml is not a lock envbuild can use:\n  lock-version must be "1.0" (found "2.0")\n  created-by is required\n  [tool.envbuild] is missing: the lock was not written by envbuild',
    );
    expect(e.hint).toBe('run `envbuild lock` to write it again');
    expect(e.code).toBe('ELOCK');
  });

  it('from disk: none is null, an unreadable one is refused, a good one comes with its text', async () => {
    const dir = tempDir();
    expect(await readLockFile(path.join(dir, 'pylock.app.toml'))).toBeNull();
    fs.mkdirSync(path.join(dir, 'pylock.dir.toml'));
    const e = await refusal(() => readLockFile(path.join(dir, 'pylock.dir.toml')));
    expect(e.message).toMatch(/^cannot read lock .*pylock\.dir\.toml: EISDIR/);
    expect(e.code).toBe('ELOCK');
    fs.writeFileSync(path.join(dir, 'pylock.app.toml'), FULL_TEXT);
    const read = await readLockFile(path.join(dir, 'pylock.app.toml'));
    expect(read?.text).toBe(FULL_TEXT);
    expect(read?.lock.environment).toBe('app');
  });
});

describe('the files a lock names', () => {
  it('are checked against their locked sha256: missing and changed files named, others skipped', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'wh'));
    fs.writeFileSync(path.join(dir, 'wh/good.whl'), 'good');
    fs.writeFileSync(path.join(dir, 'wh/bad.tar.gz'), 'changed');
    fs.writeFileSync(path.join(dir, 'abs.zip'), 'abs');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const lock: EnvironmentLock = {
      ...full,
      packages: [
        { name: 'good', version: '1', dependencies: [], parts: [], requested: false, source: { kind: 'wheel', name: 'good.whl', path: 'wh/good.whl', sha256: sha('good') } },
        { name: 'bad', version: '2', dependencies: [], parts: [], requested: false, source: { kind: 'sdist', name: 'bad.tar.gz', path: 'wh/bad.tar.gz', sha256: sha('original') } },
        { name: 'gone', dependencies: [], parts: [], requested: false, source: { kind: 'archive', path: 'gone.zip', sha256: H('a') } },
        { name: 'abs', version: '3', dependencies: [], parts: [], requested: false, source: { kind: 'archive', path: path.join(dir, 'abs.zip'), sha256: sha('abs') } },
        { name: 'remote', version: '1', dependencies: [], parts: [], requested: false, source: { kind: 'wheel', name: 'r.whl', url: 'https://h/r.whl', sha256: H('b') } },
        { name: 'tree', dependencies: [], parts: [], requested: false, source: { kind: 'directory', path: 'missing-dir', editable: false } },
        { name: 'pin', version: '1', dependencies: [], parts: [], requested: false, source: { kind: 'pinned' } },
      ],
    };
    expect(await fileProblems(lock, dir)).toEqual([
      `hash mismatch: wh/bad.tar.gz (bad 2) has sha256 ${sha('changed').slice(0, 16)}…, the lock says ${sha('original').slice(0, 16)}…`,
      'file: gone.zip (gone ) is locked but missing',
    ]);
    expect(await fileProblems({ ...lock, packages: lock.packages.slice(0, 1) }, dir)).toEqual([]);
  });
});
