import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { supportedTags } from '../../src/install/tags.js';
import { platformTags } from '../../src/install/tags.js';
import { probeInterpreter } from '../../src/python/index.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';

/** What the interpreter's own pip (its vendored `packaging`) says, with its site-packages on the path. */
function pipSysTags(python: string): string[] {
  const out = execFileSync(python, ['-c', 'from pip._vendor.packaging import tags\nfor t in tags.sys_tags(): print(t)'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return out.trim().split('\n');
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
      const info = await probeInterpreter(python);
      const theirs = pipSysTags(python);
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
