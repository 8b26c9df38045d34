import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedAllowlist } from '../../src/isolation/allowlist.js';
import { auditEnvironment } from '../../src/isolation/audit.js';
import { OVERLAY_DIR, renderOverlay } from '../../src/isolation/overlay.js';
import { joinInside } from '../../src/layout/safe-path.js';

/** How findings name the overlay of an environment directory named `env`: the directory beside it. */
const SHOWN = '../.env.envbuild-overlay';
import { resolveAllowlist } from '../../src/isolation/resolve-allowlist.js';
import type { IsolationMode } from '../../src/manifest/types.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { probeInterpreter } from '../../src/python/probe.js';
import { FakeSite } from '../helpers/fake-site.js';
import { tempDir } from '../helpers/temp-dir.js';
import { at } from '../helpers/fake-python.js';
import { debianPython, requirePresent, type SkippableContext } from '../helpers/require-python.js';
import { writeMiniVenv, writeTree } from '../helpers/write-tree.js';

interface Env {
  readonly root: string;
  readonly bin: string;
  readonly python: PythonInfo;
  readonly site: FakeSite;
  readonly allowlist: ResolvedAllowlist;
  readonly sitePackages: string;
  audit(mode?: IsolationMode, allowlist?: ResolvedAllowlist | null): ReturnType<typeof auditEnvironment>;
}

/** A cherry-pick environment on the real python3.11 whose global packages are a search path built by the test. */
async function cherryPickEnv(t: SkippableContext): Promise<Env> {
  const python = await probeInterpreter(debianPython(t, 11));
  const site = new FakeSite();
  site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha/__init__.py': '' } });
  site.distInfo({ name: 'notallowed', version: '1.0', topLevel: ['notallowed'], files: { 'notallowed.py': '' } });
  const allowlist = resolveAllowlist(
    { mode: 'cherry-pick', allow: [{ kind: 'dist', name: 'alpha', at: at(4) }], searchPaths: [site.dir], dependencies: 'follow' },
    python,
    { dpkg: null },
  );
  const root = path.join(tempDir('envbuild-audit-'), 'env');
  const bin = writeMiniVenv(root, { executable: python.executable, version: python.version, sitePackages: python.venvScheme.purelib });
  writeTree(root, renderOverlay(allowlist, { manifestFile: '/project/env.yaml', environment: 'env', root, python }));
  const sitePackages = path.join(root, python.venvScheme.purelib);
  fs.writeFileSync(path.join(sitePackages, 'mine.py'), '');
  return {
    root,
    bin,
    python,
    site,
    allowlist,
    sitePackages,
    audit: (mode = 'cherry-pick', a = allowlist) => auditEnvironment({ envPython: bin, envRoot: root, python, allowlist: a, mode }),
  };
}

describe('auditEnvironment', () => {
  it('passes a clean cherry-pick environment and classifies what it can import', async (t) => {
    const env = await cherryPickEnv(t);
    const report = await env.audit();
    expect(report.findings).toEqual([]);
    expect(report.clean).toBe(true);
    const cls = (name: string) => report.modules.find((m) => m.name === name);
    expect(cls('sys')).toMatchObject({ class: 'stdlib', kind: 'builtin' });
    expect(cls('json')).toMatchObject({ class: 'stdlib', kind: 'package' });
    expect(cls('mine')).toMatchObject({ class: 'env', from: [env.sitePackages] });
    expect(cls('alpha')).toMatchObject({ class: 'allowed', from: [joinInside(env.root, OVERLAY_DIR)] });
    expect(cls('notallowed')).toBeUndefined();
    expect(report.sysPath.map((e) => e.class)).toEqual(expect.arrayContaining(['stdlib', 'env', 'overlay']));
    expect(report.distributions).toEqual([
      { name: 'alpha', version: '1.0', entry: joinInside(env.root, OVERLAY_DIR), metadata: 'alpha-1.0.dist-info', dangling: false, class: 'allowed' },
    ]);
  });

  it('finds a leak injected by a .pth pointing at the global dist-packages', async (t) => {
    const distPackages = '/usr/lib/python3/dist-packages';
    requirePresent(t, fs.existsSync(path.join(distPackages, 'six.py')) || undefined, 'python3-six');
    const env = await cherryPickEnv(t);
    fs.writeFileSync(path.join(env.sitePackages, 'leak.pth'), `${distPackages}\n`);
    const report = await env.audit();
    expect(report.clean).toBe(false);
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'foreign-path', path: distPackages }));
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'leak', what: 'module', name: 'six', path: distPackages }));
    expect(report.modules.find((m) => m.name === 'six')).toMatchObject({ class: 'leak' });
    // The same directory under full isolation, with no allowlist at all.
    const full = await env.audit('full', null);
    expect(full.findings).toContainEqual({
      kind: 'leak',
      what: 'module',
      name: 'six',
      path: distPackages,
      message: `"import six" finds ${distPackages}, which full isolation excludes`,
    });
    // Under system isolation global packages are expected, not leaks.
    const system = await env.audit('system', null);
    expect(system.findings.filter((f) => f.kind === 'leak' || f.kind === 'foreign-path')).toEqual([]);
  });

  it('reports a dangling link and the new version after a global upgrade renames the dist-info', async (t) => {
    const env = await cherryPickEnv(t);
    const oldDir = path.join(env.site.dir, 'alpha-1.0.dist-info');
    const newDir = path.join(env.site.dir, 'alpha-1.1.dist-info');
    fs.renameSync(oldDir, newDir);
    const metadata = path.join(newDir, 'METADATA');
    fs.writeFileSync(metadata, fs.readFileSync(metadata, 'utf8').replace('Version: 1.0', 'Version: 1.1'));
    const report = await env.audit();
    expect(report.clean).toBe(false);
    expect(report.findings).toEqual([
      {
        kind: 'dangling-link',
        path: `${SHOWN}/alpha-1.0.dist-info`,
        target: oldDir,
        message: `${SHOWN}/alpha-1.0.dist-info points to ${oldDir}, which no longer exists (upgraded or removed globally?)`,
      },
      {
        kind: 'version-changed',
        name: 'alpha',
        recorded: '1.0',
        found: '1.1',
        location: env.site.dir,
        message: `alpha is 1.1 in ${env.site.dir}, but 1.0 was recorded: run "envbuild apply" to re-link`,
      },
    ]);
    // What importlib.metadata then sees: a distribution without metadata (so pip would install a second copy).
    expect(report.distributions).toEqual([
      { name: null, version: null, entry: joinInside(env.root, OVERLAY_DIR), metadata: 'alpha-1.0.dist-info', dangling: true, class: 'allowed' },
    ]);
  });

  it('notices links that are missing, unexpected, or an overlay that is not on the path', async (t) => {
    const env = await cherryPickEnv(t);
    const overlay = joinInside(env.root, OVERLAY_DIR);
    fs.rmSync(path.join(overlay, 'alpha'));
    fs.symlinkSync(path.join(env.site.dir, 'notallowed.py'), path.join(overlay, 'notallowed.py'));
    const report = await env.audit();
    expect(report.findings.map((f) => [f.kind, 'path' in f ? f.path : ''])).toEqual([
      ['leak', overlay],
      ['link-missing', `${SHOWN}/alpha`],
      ['unexpected-link', `${SHOWN}/notallowed.py`],
    ]);
    fs.rmSync(path.join(env.sitePackages, 'zz_envbuild_overlay.pth'));
    const off = await env.audit();
    expect(off.findings.map((f) => f.kind)).toContain('overlay-not-on-path');
  });
});
