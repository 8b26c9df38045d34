/**
 * Each step of the allowlist pipeline on its own, on hand-built site directories. The whole
 * pipeline is tested in resolve-allowlist.test.ts; these pin what each step adds.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverGlobals } from '../../src/isolation/discover-globals.js';
import { markerEnvironment } from '../../src/isolation/markers.js';
import { assembleAllowlist } from '../../src/isolation/resolve-allowlist/assemble.js';
import { checkConflicts, checkExtensionAbi, checkRequiresPython } from '../../src/isolation/resolve-allowlist/check-items.js';
import { closeOverDependencies } from '../../src/isolation/resolve-allowlist/close-dependencies.js';
import { Inclusions, itemName, makeContext, type AllowedPathMap, type ResolveContext } from '../../src/isolation/resolve-allowlist/context.js';
import { exposeItems } from '../../src/isolation/resolve-allowlist/expose-items.js';
import { matchEntries } from '../../src/isolation/resolve-allowlist/match-entries.js';
import type { AllowEntry, DependencyPolicy } from '../../src/manifest/types.js';
import { FakeSite } from '../helpers/fake-site.js';
import { tempDir } from '../helpers/temp-dir.js';
import { at, fakePythonInfo } from '../helpers/fake-python.js';

type Entry = { kind: 'dist'; name: string; version?: string } | { kind: 'module' | 'deb'; name: string } | { kind: 'path'; path: string };

function context(sites: FakeSite[], allow: Entry[], dependencies: DependencyPolicy = 'follow', baseDir?: string): ResolveContext {
  const python = fakePythonInfo();
  const spec = {
    mode: 'cherry-pick' as const,
    allow: allow.map((e, i) => ({ ...e, at: at(10 + i) }) as AllowEntry),
    searchPaths: sites.map((s) => s.dir),
    dependencies,
  };
  const globals = discoverGlobals(python, { searchPaths: spec.searchPaths, dpkg: null });
  return makeContext(spec, python, globals, markerEnvironment(python), baseDir);
}

/** Steps 1 (and 2): what the entries matched, by name, with their reasons' kinds. */
function matched(ctx: ResolveContext, close = false) {
  const included = new Inclusions();
  const paths: AllowedPathMap = new Map();
  matchEntries(ctx, included, paths);
  if (close) closeOverDependencies(ctx, included);
  const names = included
    .all()
    .map((i) => `${itemName(i.item)} ${i.reasons.map((r) => r.kind).join(',')}`)
    .sort();
  return { included, paths, names };
}

const messages = (ctx: ResolveContext, kind: 'errors' | 'warnings' = 'errors') => ctx.diagnostics[kind].map((d) => d.message);

describe('allowlist steps', () => {
  it('matchEntries: distributions, modules (owned or bare) and paths; a miss is an error at its entry', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha/__init__.py': '' } });
    site.file('loose.py');
    const vendor = tempDir('envbuild-vendor-');
    const ctx = context(
      [site],
      [{ kind: 'dist', name: 'Alpha' }, { kind: 'module', name: 'loose' }, { kind: 'path', path: path.basename(vendor) }, { kind: 'dist', name: 'alpah' }],
      'follow',
      path.dirname(vendor),
    );
    const { names, paths } = matched(ctx);
    expect(names).toEqual(['alpha allowed', 'loose allowed']);
    expect([...paths.keys()]).toEqual([vendor]);
    expect(ctx.diagnostics.errors).toEqual([
      expect.objectContaining({ location: at(13), message: expect.stringMatching(/^no distribution named "alpah"/), hint: 'did you mean alpha?' }),
    ]);
  });

  it('closeOverDependencies: follows requirements that apply to the target; ignore follows none; error reports each', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha/__init__.py': '' }, requires: ['beta', 'old; python_version < "3"', 'absent'] });
    site.distInfo({ name: 'beta', version: '1.0', topLevel: ['beta'], files: { 'beta.py': '' } });
    site.distInfo({ name: 'old', version: '1.0', topLevel: ['old'], files: { 'old.py': '' } });
    const follow = context([site], [{ kind: 'dist', name: 'alpha' }]);
    expect(matched(follow, true).names).toEqual(['alpha allowed', 'beta dependency']);
    expect(messages(follow, 'warnings')).toEqual([expect.stringMatching(/^alpha 1\.0 requires "absent", which is not installed/)]);

    expect(matched(context([site], [{ kind: 'dist', name: 'alpha' }], 'ignore'), true).names).toEqual(['alpha allowed']);

    const strict = context([site], [{ kind: 'dist', name: 'alpha' }], 'error');
    matched(strict, true);
    expect(messages(strict)).toEqual([
      'dist alpha needs beta, which the allowlist does not name (dependencies: error): needed by alpha (requires "beta")',
    ]);
  });

  it('exposeItems: a module item exposes its files; a distribution without file list or top_level.txt only its metadata (a warning)', () => {
    const site = new FakeSite();
    site.eggInfo({ name: 'bare', version: '2.0', files: { 'bare.py': '' } });
    site.file('loose.py');
    const ctx = context([site], [{ kind: 'dist', name: 'bare' }, { kind: 'module', name: 'loose' }]);
    const exposed = exposeItems(ctx, matched(ctx).included);
    expect(exposed.map((e) => `${itemName(e.inc.item)}: ${e.expose.join(' ')}`)).toEqual(['bare: bare-2.0.egg-info', 'loose: loose.py']);
    expect(messages(ctx, 'warnings')).toEqual(['bare 2.0 has neither a file list nor top_level.txt: only its metadata is exposed']);
  });

  it('checks: foreign extension modules and overlapping items are errors, an unmet Requires-Python a warning', () => {
    const one = new FakeSite();
    const two = new FakeSite();
    one.distInfo({ name: 'fast', version: '1.0', topLevel: ['fast'], requiresPython: '>=3.12', files: { 'fast/_speed.cpython-312-x86_64-linux-gnu.so': '' } });
    one.distInfo({ name: 'clash-a', version: '1.0', topLevel: ['clash'], files: { 'clash.py': '' } });
    two.distInfo({ name: 'clash-b', version: '1.0', topLevel: ['clash'], files: { 'clash.py': '' } });
    const ctx = context([one, two], [{ kind: 'dist', name: 'fast' }, { kind: 'dist', name: 'clash-a' }, { kind: 'dist', name: 'clash-b' }]);
    const exposed = exposeItems(ctx, matched(ctx).included);
    for (const e of exposed) {
      checkExtensionAbi(ctx, e);
      checkRequiresPython(ctx, e.inc);
    }
    checkConflicts(ctx, exposed);
    expect(messages(ctx, 'warnings')).toEqual(['fast 1.0 declares Requires-Python ">=3.12", which Python 3.11.2 does not satisfy']);
    const errors = messages(ctx);
    expect(errors.filter((m) => m.startsWith('fast has extension modules built for another interpreter'))).toHaveLength(1);
    expect(errors.filter((m) => m.includes('both provide clash.py'))).toHaveLength(2);
  });

  it('assembleAllowlist: sorted by name, import names from what is exposed, paths with their reasons', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'zeta', version: '1.0', topLevel: ['zeta', 'notshipped'], files: { 'zeta/__init__.py': '' } });
    site.distInfo({ name: 'Alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' } });
    const vendor = tempDir('envbuild-vendor-');
    const ctx = context([site], [{ kind: 'dist', name: 'zeta' }, { kind: 'path', path: vendor }, { kind: 'dist', name: 'alpha' }]);
    const { included, paths } = matched(ctx);
    const result = assembleAllowlist(ctx, exposeItems(ctx, included), paths);
    expect(result.distributions.map((d) => [d.name, d.topLevel])).toEqual([
      ['Alpha', ['alpha']],
      ['zeta', ['zeta']],
    ]);
    expect(result.paths).toEqual([{ path: vendor, reasons: [{ kind: 'allowed', entry: { kind: 'path', path: vendor, at: at(11) } }] }]);
    expect(result.sites).toEqual([site.dir]);
  });
});
