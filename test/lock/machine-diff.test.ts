/**
 * What a lock pins about the machine (interpreter, allowlist, inputs digest) and the lines a
 * plan or `apply --locked` shows when a lock and this machine or another lock differ.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { AllowedDistribution, ResolvedAllowlist } from '../../src/isolation/allowlist.js';
import { allowlistDifferences, interpreterDifferences, machineDifferences, packageChanges } from '../../src/lock/diff-lock.js';
import { inputsDigest } from '../../src/lock/inputs-digest.js';
import { interpreterTag, lockGlobals, lockInterpreter } from '../../src/lock/machine.js';
import { canonical, lockFileName, type EnvironmentLock, type LockGlobal, type LockInterpreter, type LockPackage } from '../../src/lock/model.js';
import { at, fakePythonInfo } from '../helpers/fake-python.js';

const H = (c: string) => c.repeat(64);

describe('the locked interpreter', () => {
  it('is tagged as packaging.tags.sys_tags() names its most specific tag', () => {
    expect(interpreterTag(fakePythonInfo())).toBe('cp311-cp311-linux_x86_64');
    expect(interpreterTag(fakePythonInfo({ versionInfo: [3, 7, 9], soabi: 'cpython-37m-aarch64-linux-gnu' }))).toBe('cp37-cp37m-linux_aarch64');
    expect(interpreterTag(fakePythonInfo({ versionInfo: [3, 13, 0], soabi: 'cpython-313t-x86_64-linux-gnu' }))).toBe('cp313-cp313t-linux_x86_64');
    // the platform's trailing version digits go (Python 2's `linux2`)
    expect(interpreterTag(fakePythonInfo({ platform: 'linux2' }))).toBe('cp311-cp311-linux_x86_64');
    expect(interpreterTag(fakePythonInfo({ platform: 'freebsd13' }))).toBe('cp311-cp311-freebsd_x86_64');
    expect(interpreterTag(fakePythonInfo({ implementation: 'pypy', versionInfo: [3, 10, 14], soabi: 'pypy310-pp73-x86_64-linux-gnu' }))).toBe(`pp310-pypy310_pp73_x86_64_linux_gnu-linux_${os.machine()}`);
    expect(interpreterTag(fakePythonInfo({ implementation: 'graalpy', versionInfo: [3, 10, 8], soabi: 'graalpy.x' }))).toBe(`graalpy310-graalpy_x-linux_${os.machine()}`);
  });

  it('without a SOABI (Python 2) has no ABI and the host machine, i686 for a 32-bit build on x86_64', () => {
    const py2 = fakePythonInfo({ versionInfo: [2, 7, 18], soabi: null });
    expect(interpreterTag(py2)).toBe(`cp27-none-linux_${os.machine()}`);
    const bits32 = interpreterTag({ ...py2, pointerBits: 32 });
    expect(bits32).toBe(`cp27-none-linux_${os.machine() === 'x86_64' ? 'i686' : os.machine()}`);
    expect(interpreterTag(fakePythonInfo({ soabi: 'cpython-311' }))).toBe(`cp311-cp311-linux_${os.machine()}`);
  });

  it('records the executable only where it is the same on every machine', () => {
    const base = fakePythonInfo();
    expect(lockInterpreter(base)).toEqual({ implementation: 'cpython', version: '3.11.2', soabi: 'cpython-311-x86_64-linux-gnu', platform: 'linux', tag: 'cp311-cp311-linux_x86_64' });
    expect(lockInterpreter({ ...base, executable: '/usr/bin/python3.11' }).executable).toBe('/usr/bin/python3.11');
    expect(lockInterpreter({ ...base, executable: '/usr/local/bin/python3' }).executable).toBe('/usr/local/bin/python3');
    for (const e of ['/home/u/.pyenv/versions/3.12.1/bin/python3.12', '/usr/bin/python3.11-config', '/x/usr/bin/python3', '/usr/lib/bin/python3']) {
      expect(Object.keys(lockInterpreter({ ...base, executable: e })), e).not.toContain('executable');
    }
  });

  it('lists the allowlist with each distribution\'s reason, locations portable', () => {
    const dist = (name: string, location: string, reasons: AllowedDistribution['reasons']): AllowedDistribution => ({
      name,
      normalizedName: canonical(name),
      version: '1.0',
      location,
      metadataDir: `${location}/${name}-1.0.dist-info`,
      format: 'dist-info',
      topLevel: [],
      expose: [],
      debPackages: [],
      reasons,
    });
    const allowed = { kind: 'allowed', entry: { name: 'PyYAML', at: at(7) } } as unknown as AllowedDistribution['reasons'][number];
    const allowlist = {
      distributions: [
        dist('PyYAML', '/usr/lib/python3/dist-packages', [allowed, allowed]),
        dist('idna', '/home/u/proj/site', [
          { kind: 'dependency', of: 'requests', via: 'metadata', requirement: 'idna<4,>=2.5' },
          { kind: 'dependency', of: 'requests', via: 'metadata', requirement: 'idna<4,>=2.5' },
          allowed,
        ]),
      ],
    } as unknown as ResolvedAllowlist;
    expect(lockGlobals(allowlist, '/home/u/proj')).toEqual([
      { name: 'PyYAML', version: '1.0', location: '/usr/lib/python3/dist-packages', reason: 'allowed (env.yaml:7)' },
      { name: 'idna', version: '1.0', location: 'site', reason: 'dependency of requests (idna<4,>=2.5); allowed (env.yaml:7)' },
    ]);
    expect(lockGlobals(undefined, '/home/u/proj')).toEqual([]);
  });
});

describe('the inputs digest', () => {
  const inputs = { python: '3.11', layout: 'venv', isolation: 'full', parts: [{ name: 'deps', recipe: 'packages', options: { b: [1, null, true], a: 'x' }, files: { 'req.txt': H('a'), gone: null } }] };

  it('is the sha256 of the inputs as canonical JSON (keys sorted at every level)', () => {
    const json = '{"isolation":"full","layout":"venv","parts":[{"files":{"gone":null,"req.txt":"' + H('a') + '"},"name":"deps","options":{"a":"x","b":[1,null,true]},"recipe":"packages"}],"python":"3.11"}';
    expect(inputsDigest(inputs)).toBe(`sha256:${createHash('sha256').update(json).digest('hex')}`);
  });

  it('changes with any value or order of a list, not with the order of keys', () => {
    const reordered = { parts: [{ files: { gone: null, 'req.txt': H('a') }, options: { a: 'x', b: [1, null, true] }, recipe: 'packages', name: 'deps' }], isolation: 'full', layout: 'venv', python: '3.11' };
    expect(inputsDigest(reordered)).toBe(inputsDigest(inputs));
    expect(inputsDigest({ ...inputs, python: '3.12' })).not.toBe(inputsDigest(inputs));
    expect(inputsDigest({ ...inputs, parts: [{ ...inputs.parts[0]!, options: { a: 'x', b: [null, 1, true] } }] })).not.toBe(inputsDigest(inputs));
    // an undefined option value counts as null, as JSON has no undefined
    expect(inputsDigest({ ...inputs, parts: [{ ...inputs.parts[0]!, options: [undefined] }] })).toBe(inputsDigest({ ...inputs, parts: [{ ...inputs.parts[0]!, options: [null] }] }));
  });
});

describe('lock names', () => {
  it('compare as PEP 503 names and name the file after the environment', () => {
    expect(canonical('Foo_Bar.baz--Qux')).toBe('foo-bar-baz-qux');
    expect(lockFileName('web')).toBe('pylock.web.toml');
  });
});

const pkg = (name: string, version: string | undefined, source: LockPackage['source'] = { kind: 'wheel', name: `${name}.whl`, path: `wh/${name}.whl`, sha256: H('a') }): LockPackage => ({
  name,
  ...(version !== undefined ? { version } : {}),
  dependencies: [],
  parts: ['deps'],
  requested: false,
  source,
});

describe('changes between two locks', () => {
  it('are one line per package, sorted by name, names compared as PEP 503 does', () => {
    expect(packageChanges([pkg('Zope.Interface', '6.0'), pkg('b', '1')], [pkg('zope-interface', '6.1'), pkg('a', '1'), pkg('b', '1')])).toEqual(['+ a 1', '~ zope-interface 6.0 → 6.1']);
    expect(packageChanges([pkg('same', '1')], [pkg('same', '1')])).toEqual([]);
    expect(packageChanges([], [])).toEqual([]);
  });

  it('name a changed file of the same version, and show directories and pins', () => {
    expect(packageChanges([pkg('idna', '3.7')], [pkg('idna', '3.7', { kind: 'wheel', name: 'idna.whl', path: 'wh/idna.whl', sha256: H('b') })])).toEqual(['~ idna 3.7 (source or hash changed)']);
    const editable = pkg('lib', undefined, { kind: 'directory', path: '../lib', editable: true });
    const plain = pkg('lib', undefined, { kind: 'directory', path: '../lib', editable: false });
    expect(packageChanges([], [editable])).toEqual(['+ lib (editable ../lib)']);
    expect(packageChanges([plain], [])).toEqual(['- lib (../lib)']);
    expect(packageChanges([plain], [editable])).toEqual(['~ lib (../lib) → (editable ../lib)']);
    expect(packageChanges([], [pkg('pinned', undefined, { kind: 'pinned' })])).toEqual(['+ pinned']);
    expect(packageChanges([pkg('gone', undefined, { kind: 'pinned' })], [])).toEqual(['- gone']);
  });
});

describe('differences between a lock and this machine', () => {
  const py: LockInterpreter = { implementation: 'cpython', version: '3.11.2', soabi: 'cpython-311-x86_64-linux-gnu', platform: 'linux-x86_64', tag: 'cp311-cp311-linux_x86_64' };
  const g = (name: string, version: string, location = '/usr/lib/python3/dist-packages'): LockGlobal => ({ name, version, location, reason: 'allowed (env.yaml:3)' });

  it('name the interpreter by version first, then by wheel tag and platform', () => {
    expect(interpreterDifferences(py, { ...py })).toEqual([]);
    expect(interpreterDifferences(py, { ...py, version: '3.11.4', tag: 'x' })).toEqual(['interpreter: cpython 3.11.2 locked, cpython 3.11.4 on this machine']);
    expect(interpreterDifferences(py, { ...py, implementation: 'pypy' })).toEqual(['interpreter: cpython 3.11.2 locked, pypy 3.11.2 on this machine']);
    expect(interpreterDifferences(py, { ...py, tag: 'cp311-cp311-linux_aarch64' })).toEqual(['interpreter: wheel tag cp311-cp311-linux_x86_64 (linux-x86_64) locked, cp311-cp311-linux_aarch64 (linux-x86_64) on this machine']);
    expect(interpreterDifferences(py, { ...py, platform: 'linux-aarch64' })).toEqual(['interpreter: wheel tag cp311-cp311-linux_x86_64 (linux-x86_64) locked, cp311-cp311-linux_x86_64 (linux-aarch64) on this machine']);
    // the SOABI and the executable alone make no difference
    expect(interpreterDifferences(py, { ...py, soabi: null, executable: '/usr/bin/python3.11' })).toEqual([]);
  });

  it('name each allowlisted global that is gone, changed, moved or new', () => {
    const locked = [g('PyYAML', '6.0'), g('gone', '1.0'), g('moved', '2.0'), g('Same_Name', '1.0')];
    const here = [g('pyyaml', '6.0.1'), g('moved', '2.0', '/usr/local/lib/python3.11/dist-packages'), g('same-name', '1.0'), g('new', '3.0')];
    expect(allowlistDifferences(locked, here)).toEqual([
      'allowlist: PyYAML 6.0 locked, 6.0.1 on this machine',
      'allowlist: gone 1.0 locked (/usr/lib/python3/dist-packages), not found on this machine',
      'allowlist: moved 2.0 locked in /usr/lib/python3/dist-packages, found in /usr/local/lib/python3.11/dist-packages on this machine',
      'allowlist: new 3.0 (/usr/lib/python3/dist-packages) is allowed on this machine but not locked',
    ]);
  });

  it('add the layout to the interpreter and the allowlist', () => {
    const lock: EnvironmentLock = { environment: 'app', inputs: 'sha256:x', interpreter: py, isolation: 'full', layout: 'venv', allowlist: [g('a', '1')], resolver: 'pip', packages: [] };
    expect(machineDifferences(lock, { interpreter: py, allowlist: [g('a', '1')], isolation: 'full', layout: 'venv' })).toEqual([]);
    expect(machineDifferences(lock, { interpreter: { ...py, version: '3.12.0' }, allowlist: [], isolation: 'none', layout: 'classic' })).toEqual([
      'interpreter: cpython 3.11.2 locked, cpython 3.12.0 on this machine',
      'layout: venv locked, classic here',
      'allowlist: a 1 locked (/usr/lib/python3/dist-packages), not found on this machine',
    ]);
  });
});
