import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { supportedTags } from '../../src/install/tags.js';
import { platformTags } from '../../src/install/tags.js';
import { probeInterpreter } from '../../src/python/index.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';

/** What the interpreter's own pip (its vendored `packaging`) says, with its site-packages on the path. */
async function pipSysTags(python: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(python, ['-c', 'from pip._vendor.packaging import tags\nfor t in tags.sys_tags(): print(t)'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return stdout.trim().split('\n');
}

describe('supportedTags', () => {
  // The interpreters whose pip vendors packaging ≥ 21 (manylinux_2_N tags, PEP 600).
  for (const [label, pick] of [
    ["Debian's python3.11", (ctx: Parameters<typeof debianPython>[0]) => debianPython(ctx, 11)],
    ['pyenv 3.12', (ctx: Parameters<typeof debianPython>[0]) => pyenvVersion(ctx, '3.12')],
    ['pyenv 3.13', (ctx: Parameters<typeof debianPython>[0]) => pyenvVersion(ctx, '3.13')],
    ['pyenv 3.8', (ctx: Parameters<typeof debianPython>[0]) => pyenvVersion(ctx, '3.8')],
  ] as const) {
    it(`equals packaging.tags.sys_tags() for ${label}, in order`, async (ctx) => {
      const python = pick(ctx);
      // Both start a Python: at once, since each mutant of tags.ts reruns this test.
      const [info, theirs] = await Promise.all([probeInterpreter(python), pipSysTags(python)]);
      const cpNoneAny = `cp${info.versionInfo[0]}${info.versionInfo[1]}-none-any`;
      // packaging < 22 (vendored by pips before 23.1) did not yield cpXY-none-any; newer ones do.
      const ours = theirs.includes(cpNoneAny) ? supportedTags(info) : supportedTags(info).filter((t) => t !== cpNoneAny);
      expect(ours).toEqual(theirs);
    });
  }

  const base = { implementation: 'cpython', soabi: 'cpython-313-x86_64-linux-gnu', versionInfo: [3, 13, 0] as const };
  const platform = { platform: 'linux-x86_64', glibc: '2.36', gilDisabled: false, maxUnicode: 0x10ffff };

  it('gives a free-threaded build cp313t and no abi3', () => {
    const tags = supportedTags({ ...base, soabi: 'cpython-313t-x86_64-linux-gnu', wheelPlatform: { ...platform, gilDisabled: true } });
    expect(tags[0]).toBe('cp313-cp313t-manylinux_2_36_x86_64');
    expect(tags.some((t) => t.includes('abi3'))).toBe(false);
    expect(tags).toContain('cp313-none-linux_x86_64');
    expect(tags).toContain('py3-none-any');
  });

  it('accepts abi3 wheels of every lower minor, and pure wheels of every version', () => {
    const tags = supportedTags({ ...base, wheelPlatform: platform });
    expect(tags).toContain('cp32-abi3-manylinux2014_x86_64');
    expect(tags).toContain('cp39-abi3-manylinux_2_17_x86_64');
    expect(tags).not.toContain('cp314-abi3-manylinux_2_17_x86_64');
    expect(tags.slice(-2)).toEqual(['py31-none-any', 'py30-none-any']);
    expect(tags).toContain('py3-none-any');
    expect(tags).not.toContain('py2-none-any');
  });

  it('lists manylinux from the glibc version down with legacy aliases, then musllinux, then linux', () => {
    expect(platformTags('linux-aarch64', '2.19', null)).toEqual([
      'manylinux_2_19_aarch64',
      'manylinux_2_18_aarch64',
      'manylinux_2_17_aarch64',
      'manylinux2014_aarch64',
      'linux_aarch64',
    ]);
    expect(platformTags('linux-x86_64', null, '1.2')).toEqual(['musllinux_1_2_x86_64', 'musllinux_1_1_x86_64', 'musllinux_1_0_x86_64', 'linux_x86_64']);
    const x86 = platformTags('linux-x86_64', '2.36', null);
    expect(x86.at(-2)).toBe('manylinux1_x86_64');
    expect(x86).toContain('manylinux2010_x86_64');
  });

  it('gives Python 2.7 wide builds cp27mu', () => {
    const tags = supportedTags({ implementation: 'cpython', soabi: null, versionInfo: [2, 7, 18], wheelPlatform: { ...platform, glibc: '2.36' } });
    expect(tags[0]).toBe('cp27-cp27mu-manylinux_2_36_x86_64');
    expect(tags).toContain('py2-none-any');
    expect(tags).not.toContain('py3-none-any');
  });
});

describe('supportedTags beyond CPython on Linux', () => {
  const mac = { platform: 'macosx-14.0-arm64', glibc: null, gilDisabled: false, maxUnicode: 0x10ffff };
  const pyNone = (plat: string) => ['py310', 'py3', 'py39', 'py38', 'py37', 'py36', 'py35', 'py34', 'py33', 'py32', 'py31', 'py30'].map((v) => `${v}-none-${plat}`);

  it('gives PyPy its SOABI as the ABI, then none, then the pure tags, as packaging.tags.generic_tags does', () => {
    expect(supportedTags({ implementation: 'pypy', versionInfo: [3, 10, 14], soabi: 'pypy310-pp73', wheelPlatform: mac })).toEqual([
      'pp310-pypy310_pp73-macosx_14_0_arm64',
      'pp310-none-macosx_14_0_arm64',
      ...pyNone('macosx_14_0_arm64'),
      'pp310-none-any',
      ...pyNone('any'),
    ]);
  });

  it('names other implementations by their short name or in full, and gives an ABI-less one only none', () => {
    expect(supportedTags({ implementation: 'ironpython', versionInfo: [3, 4, 0], soabi: null, wheelPlatform: mac }).slice(0, 2)).toEqual(['ip34-none-macosx_14_0_arm64', 'py34-none-macosx_14_0_arm64']);
    expect(supportedTags({ implementation: 'jython', versionInfo: [2, 7, 3], soabi: null, wheelPlatform: undefined })).toEqual(['jy27-none-any', 'py27-none-any', 'py2-none-any', 'py26-none-any', 'py25-none-any', 'py24-none-any', 'py23-none-any', 'py22-none-any', 'py21-none-any', 'py20-none-any']);
    expect(supportedTags({ implementation: 'graalpy', versionInfo: [3, 11, 7], soabi: 'graalpy-311', wheelPlatform: undefined })[0]).toBe('graalpy311-none-any');
  });

  it('reads the CPython ABI from the SOABI (cp37m), else from the version: cp27m on narrow builds, cp311 without SOABI', () => {
    expect(supportedTags({ implementation: 'cpython', versionInfo: [3, 7, 16], soabi: 'cpython-37m-x86_64-linux-gnu', wheelPlatform: mac })[0]).toBe('cp37-cp37m-macosx_14_0_arm64');
    expect(supportedTags({ implementation: 'cpython', versionInfo: [2, 7, 18], soabi: null, wheelPlatform: { ...mac, maxUnicode: 0xffff } })[0]).toBe('cp27-cp27m-macosx_14_0_arm64');
    const windowsLike = supportedTags({ implementation: 'cpython', versionInfo: [3, 11, 7], soabi: null, wheelPlatform: { ...mac, platform: 'win-amd64' } });
    expect(windowsLike.slice(0, 3)).toEqual(['cp311-cp311-win_amd64', 'cp311-abi3-win_amd64', 'cp311-none-win_amd64']);
    expect(windowsLike).toContain('cp32-abi3-win_amd64');
    expect(windowsLike).not.toContain('cp31-abi3-win_amd64');
  });

  it('gives no platform tags without a platform, and musl tags only from a musl version', () => {
    expect(platformTags(null, '2.36', '1.2')).toEqual([]);
    expect(platformTags('linux-x86_64', null, null)).toEqual(['linux_x86_64']);
    expect(platformTags('linux-armv7l', '2.17', null)).toEqual(['manylinux_2_17_armv7l', 'manylinux2014_armv7l', 'linux_armv7l']);
    expect(platformTags('linux-i686', '2.6', null)).toEqual(['manylinux_2_6_i686', 'manylinux_2_5_i686', 'manylinux1_i686', 'linux_i686']);
    expect(supportedTags({ implementation: 'cpython', versionInfo: [3, 12, 1], soabi: 'cpython-312-x86_64-linux-musl', musl: '1.1', wheelPlatform: { ...mac, platform: 'linux-x86_64' } }).slice(0, 3)).toEqual([
      'cp312-cp312-musllinux_1_1_x86_64',
      'cp312-cp312-musllinux_1_0_x86_64',
      'cp312-cp312-linux_x86_64',
    ]);
  });
});

describe('supportedTags at the edges of the ABI rules', () => {
  const linux = { platform: 'linux-x86_64', glibc: null, gilDisabled: false, maxUnicode: 0x10ffff };

  it('falls back to the version when the SOABI has no ABI flags (cp311-win_amd64)', () => {
    expect(supportedTags({ implementation: 'cpython', versionInfo: [3, 11, 7], soabi: 'cp311-win_amd64', wheelPlatform: { ...linux, platform: 'win-amd64' } })[0]).toBe('cp311-cp311-win_amd64');
  });

  it('needs no platform to list the pure tags of Python 2 and 3', () => {
    expect(supportedTags({ implementation: 'cpython', versionInfo: [2, 7, 18], soabi: null, wheelPlatform: undefined })[0]).toBe('cp27-none-any');
    expect(supportedTags({ implementation: 'cpython', versionInfo: [3, 9, 1], soabi: null, wheelPlatform: undefined }).slice(0, 3)).toEqual(['cp39-none-any', 'py39-none-any', 'py3-none-any']);
  });

  it('gives abi3 to CPython 3.2 and later only', () => {
    const abi3 = (v: readonly [number, number, number]) => supportedTags({ implementation: 'cpython', versionInfo: v, soabi: null, wheelPlatform: linux }).filter((t) => t.includes('-abi3-'));
    expect(abi3([3, 2, 0])).toEqual(['cp32-abi3-linux_x86_64']);
    expect(abi3([3, 1, 0])).toEqual([]);
    expect(abi3([2, 7, 18])).toEqual([]);
  });

  it('reads two-digit musl minors', () => {
    expect(platformTags('linux-x86_64', null, '1.12')[0]).toBe('musllinux_1_12_x86_64');
  });
});
