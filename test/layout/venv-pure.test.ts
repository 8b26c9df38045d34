/**
 * Rendering a layout is pure: with the filesystem and process modules replaced by traps, it
 * still renders, and nothing touched them. (A later `import fs` in the renderer fails here.)
 */
import { describe, expect, it, vi } from 'vitest';

const { touched, trap } = vi.hoisted(() => {
  const touched: string[] = [];
  const trap = (name: string): Record<string, unknown> =>
    new Proxy(
      {},
      {
        get(_target, prop) {
          if (typeof prop === 'symbol' || prop === 'then') return undefined;
          touched.push(`${name}.${prop}`);
          return () => {
            throw new Error(`${name}.${prop} called while rendering`);
          };
        },
      },
    );
  return { touched, trap };
});

vi.mock('node:fs', () => trap('node:fs'));
vi.mock('node:fs/promises', () => trap('node:fs/promises'));
vi.mock('node:child_process', () => trap('node:child_process'));
vi.mock('fs', () => trap('fs'));
vi.mock('fs/promises', () => trap('fs/promises'));
vi.mock('child_process', () => trap('child_process'));

import { renderVenvLayout } from '../../src/layout/index.js';
import type { PythonInfo } from '../../src/python/interpreter.js';

const info: PythonInfo = {
  executable: '/nonexistent/bin/python3.12',
  version: '3.12.1',
  versionInfo: [3, 12, 1],
  implementation: 'cpython',
  prefix: '/nonexistent',
  basePrefix: '/nonexistent',
  execPrefix: '/nonexistent',
  baseExecPrefix: '/nonexistent',
  stdlib: '/nonexistent/lib/python3.12',
  platstdlib: '/nonexistent/lib/python3.12',
  venvScheme: { purelib: 'lib/python3.12/site-packages', platlib: 'lib/python3.12/site-packages', scripts: 'bin', include: 'include/python3.12' },
  globalSitePackages: [],
  userSite: null,
  sysPath: [],
  soabi: null,
  extensionSuffixes: [],
  cacheTag: null,
  platform: 'linux',
  pointerBits: 64,
  supportsVenv: true,
};

describe('renderVenvLayout purity', () => {
  it('renders with no filesystem and no process access', () => {
    const entries = renderVenvLayout(info, { root: '/nonexistent/env', prompt: 'env', systemSitePackages: false });
    expect(entries.length).toBeGreaterThan(10);
    expect(touched).toEqual([]);
  });
});
