import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { packageChanges, allowlistDifferences } from '../../src/lock/diff-lock.js';
import type { EnvironmentLock, LockPackage } from '../../src/lock/model.js';
import { portablePath, portableUrl } from '../../src/lock/paths.js';
import { parseLock } from '../../src/lock/read-lock.js';
import { lockProblems } from '../../src/lock/validate-lock.js';
import { writeLockText } from '../../src/lock/write-lock.js';

const H = (c: string) => c.repeat(64);
const pkg = (name: string, version: string, extra: Partial<LockPackage> = {}): LockPackage => ({
  name,
  version,
  dependencies: [],
  parts: ['deps'],
  requested: false,
  source: { kind: 'wheel', name: `${name}-${version}-py3-none-any.whl`, path: `wh/${name}-${version}-py3-none-any.whl`, sha256: H('a') },
  ...extra,
});

const lock = (packages: LockPackage[]): EnvironmentLock => ({
  environment: 'app',
  inputs: `sha256:${H('0')}`,
  interpreter: { implementation: 'cpython', version: '3.11.2', soabi: 'cpython-311-x86_64-linux-gnu', platform: 'linux', tag: 'cp311-cp311-linux_x86_64', executable: '/usr/bin/python3.11' },
  isolation: 'full',
  layout: 'venv',
  allowlist: [{ name: 'PyYAML', version: '6.0', location: '/usr/lib/python3/dist-packages', reason: 'allowed (env.yaml:7)' }],
  resolver: 'pip 23.0.1 --report',
  packages,
});

describe('lock files (PEP 751)', () => {
  it('are written deterministically, whatever the order of the packages, and read back as written', () => {
    const ps = [pkg('idna', '3.7'), pkg('attrs', '23.2.0', { requested: true, dependencies: ['idna'] }), pkg('lib', '', { version: undefined as never, source: { kind: 'directory', path: '../lib', editable: true } })]
      .map((p) => (p.version === undefined || p.version === '' ? (({ version: _v, ...rest }) => rest)(p) : p)) as LockPackage[];
    const text = writeLockText(lock(ps));
    expect(writeLockText(lock([...ps].reverse()))).toBe(text);
    expect(lockProblems(parse(text))).toEqual([]);
    expect(text.startsWith('lock-version = "1.0"\ncreated-by = "envbuild"\n')).toBe(true);
    expect(text.indexOf('name = "attrs"')).toBeLessThan(text.indexOf('name = "idna"'));
    expect(writeLockText(parseLock(text, 'pylock.app.toml'))).toBe(text);
  });

  it('of an environment with nothing installed are still valid', () => {
    const text = writeLockText(lock([]));
    expect(text).toContain('packages = []');
    expect(lockProblems(parse(text))).toEqual([]);
    expect(parseLock(text, 'pylock.app.toml').packages).toEqual([]);
  });

  it('refuse what PEP 751 forbids: a package without a source, two source kinds, a file without hashes', () => {
    const base = 'lock-version = "1.0"\ncreated-by = "x"\n';
    const tool = '\n[tool.envbuild]\nenvironment = "a"\ninputs = "x"\nisolation = "full"\nlayout = "venv"\nresolver = "r"\n[tool.envbuild.python]\nimplementation = "cpython"\nversion = "3.11.2"\nplatform = "linux"\ntag = "t"\n';
    const problems = (pkgs: string) => lockProblems(parse(`${base}${pkgs}${tool}`));
    expect(problems('[[packages]]\nname = "a"\nversion = "1"\n')).toEqual(['packages[0] has no source (one of vcs, directory, archive, sdist, wheels)']);
    expect(problems('[[packages]]\nname = "a"\nversion = "1"\ndirectory = { path = "x" }\narchive = { path = "a.zip", hashes = { sha256 = "' + H('b') + '" } }\n')).toContain(
      'packages[0] has more than one source kind: directory, archive',
    );
    expect(problems('[[packages]]\nname = "a"\nversion = "1"\nwheels = [{ name = "a-1-py3-none-any.whl", path = "a.whl" }]\n')).toEqual(['packages[0].wheels[0].hashes is required (at least one hash)']);
    expect(lockProblems(parse('created-by = "x"\npackages = []\n'))).toContain('lock-version must be "1.0" (found null)');
    expect(() => parseLock('lock-version = "1.0"\n', '/p/pylock.app.toml')).toThrow(/pylock\.app\.toml is not a lock envbuild can use/);
  });

  it('show changes as + / ~ / - lines and machine differences by name', () => {
    expect(packageChanges([pkg('idna', '3.6'), pkg('six', '1.16.0')], [pkg('attrs', '23.2.0'), pkg('idna', '3.7')])).toEqual(['+ attrs 23.2.0', '~ idna 3.6 → 3.7', '- six 1.16.0']);
    const locked = lock([]).allowlist;
    expect(allowlistDifferences(locked, [{ ...locked[0]!, version: '6.0.1' }])).toEqual(['allowlist: PyYAML 6.0 locked, 6.0.1 on this machine']);
  });

  it('keep machine paths and credentials out', () => {
    expect(portablePath('/home/u/proj/wh/a.whl', '/home/u/proj')).toBe('wh/a.whl');
    expect(portablePath('/usr/share/python-wheels/pip.whl', '/home/u/proj')).toBe('/usr/share/python-wheels/pip.whl');
    expect(portableUrl('https://bob:s3cret@pkgs.example/f/a.whl', ['https://${env:USER}:${env:TOKEN}@pkgs.example/simple'])).toBe('https://${env:USER}:${env:TOKEN}@pkgs.example/f/a.whl');
    expect(portableUrl('https://bob:s3cret@other.example/f/a.whl', [])).toBe('https://other.example/f/a.whl');
  });
});
