import type { PythonInfo } from '../../src/python/interpreter.js';

/**
 * A probe result for a CPython 3.11 on x86_64 Linux that has no global site directory of its
 * own: tests give it their hand-built sites as search paths, so nothing on the machine counts.
 */
export function fakePythonInfo(overrides: Partial<PythonInfo> = {}): PythonInfo {
  const minor = overrides.versionInfo?.[1] ?? 11;
  const tag = `cpython-3${minor}-x86_64-linux-gnu`;
  return {
    executable: `/opt/fake/bin/python3.${minor}`,
    version: `3.${minor}.2`,
    versionInfo: [3, minor, 2],
    implementation: 'cpython',
    prefix: '/opt/fake',
    basePrefix: '/opt/fake',
    execPrefix: '/opt/fake',
    baseExecPrefix: '/opt/fake',
    stdlib: `/opt/fake/lib/python3.${minor}`,
    platstdlib: `/opt/fake/lib/python3.${minor}`,
    venvScheme: {
      purelib: `lib/python3.${minor}/site-packages`,
      platlib: `lib/python3.${minor}/site-packages`,
      scripts: 'bin',
      include: `include/python3.${minor}`,
    },
    globalSitePackages: [],
    userSite: null,
    sysPath: [`/opt/fake/lib/python3${minor}.zip`, `/opt/fake/lib/python3.${minor}`, `/opt/fake/lib/python3.${minor}/lib-dynload`],
    soabi: tag,
    extensionSuffixes: [`.${tag}.so`, '.abi3.so', '.so'],
    cacheTag: `cpython-3${minor}`,
    platform: 'linux',
    pointerBits: 64,
    supportsVenv: true,
    ...overrides,
  };
}

/** Where allowlist entries are written in the imaginary manifest of a test. */
export function at(line: number, col = 7): { file: string; line: number; col: number } {
  return { file: '/project/env.yaml', line, col };
}
