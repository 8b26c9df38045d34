import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/errors/diagnostic.js';
import { ManifestError } from '../../src/errors/user-error.js';
import { resolveAllowlist } from '../../src/isolation/resolve-allowlist.js';
import type { AllowEntry, DependencyPolicy, IsolationSpec } from '../../src/manifest/types.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { refusal } from '../helpers/user-error.js';
import { FakeSite } from '../helpers/fake-site.js';
import { tempDir } from '../helpers/temp-dir.js';
import { at, fakePythonInfo } from '../helpers/fake-python.js';

type Entry = { kind: 'dist'; name: string; version?: string } | { kind: 'module' | 'deb'; name: string } | { kind: 'path'; path: string };

function spec(site: FakeSite | string[], allow: Entry[], dependencies: DependencyPolicy = 'follow'): IsolationSpec {
  return {
    mode: 'cherry-pick',
    allow: allow.map((e, i) => ({ ...e, at: at(10 + i) }) as AllowEntry),
    searchPaths: Array.isArray(site) ? site : [site.dir],
    dependencies,
  };
}

function resolve(s: IsolationSpec, python: PythonInfo = fakePythonInfo()) {
  return resolveAllowlist(s, python, { dpkg: null });
}

const manifestError = (fn: () => unknown) => refusal(fn, ManifestError);

/** A site where `alpha` depends on `beta` (which depends on `delta`), and on more that must not be followed. */
function dependencySite(): FakeSite {
  const site = new FakeSite();
  site.distInfo({
    name: 'alpha',
    version: '1.0',
    topLevel: ['alpha'],
    files: { 'alpha/__init__.py': '' },
    requires: [
      'beta (>=1)',
      'legacy; python_version < "3"',
      'testdep; extra == "test"',
      'gamma>=2',
    ],
  });
  site.distInfo({ name: 'Beta', version: '1.2', topLevel: ['beta'], files: { 'beta.py': '' }, requires: ['delta'] });
  site.eggInfo({
    name: 'delta',
    version: '0.5',
    topLevel: ['delta'],
    installedFiles: true,
    files: { 'delta/__init__.py': '' },
    requiresTxt: '[test]\nepsilon\n\n[:python_version < "3"]\nlegacy\n',
  });
  for (const n of ['legacy', 'testdep', 'epsilon', 'unrelated']) {
    site.distInfo({ name: n, version: '1.0', topLevel: [n], files: { [`${n}.py`]: '' } });
  }
  return site;
}

describe('resolveAllowlist: entries', () => {
  it('matches distribution names the PEP 503 way and records what to expose and why', () => {
    const site = dependencySite();
    const allowlist = resolve(spec(site, [{ kind: 'dist', name: 'ALPHA' }], 'ignore'));
    expect(allowlist).toEqual({
      format: 1,
      target: { executable: '/opt/fake/bin/python3.11', version: '3.11.2', soabi: 'cpython-311-x86_64-linux-gnu' },
      dependencies: 'ignore',
      sites: [site.dir],
      distributions: [
        {
          name: 'alpha',
          normalizedName: 'alpha',
          version: '1.0',
          location: site.dir,
          metadataDir: path.join(site.dir, 'alpha-1.0.dist-info'),
          format: 'dist-info',
          topLevel: ['alpha'],
          expose: ['alpha', 'alpha-1.0.dist-info'],
          debPackages: [],
          reasons: [{ kind: 'allowed', entry: { kind: 'dist', name: 'ALPHA', at: at(10) } }],
        },
      ],
      modules: [],
      paths: [],
      warnings: [],
    });
    // Plain data: survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(allowlist))).toEqual(allowlist);
  });

  it('checks a PEP 440 version specifier, naming both versions when it fails', () => {
    const site = dependencySite();
    expect(resolve(spec(site, [{ kind: 'dist', name: 'beta', version: '>=1,<2' }], 'ignore')).distributions[0]?.version).toBe('1.2');
    const err = manifestError(() => resolve(spec(site, [{ kind: 'dist', name: 'beta', version: '>=2' }])));
    expect(err.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        location: at(10),
        message: `Beta 1.2 in ${site.dir} does not satisfy the required version ">=2"`,
      }),
    ]);
  });

  it('resolves a module to its owning distribution, or to a bare module nobody claims', () => {
    const site = dependencySite();
    site.file('_cffi_backend.cpython-311-x86_64-linux-gnu.so');
    const allowlist = resolve(
      spec(site, [
        { kind: 'module', name: 'beta' },
        { kind: 'module', name: '_cffi_backend' },
      ], 'ignore'),
    );
    expect(allowlist.distributions.map((d) => d.name)).toEqual(['Beta']);
    expect(allowlist.modules).toEqual([
      {
        name: '_cffi_backend',
        location: site.dir,
        expose: ['_cffi_backend.cpython-311-x86_64-linux-gnu.so'],
        debPackages: [],
        reasons: [{ kind: 'allowed', entry: { kind: 'module', name: '_cffi_backend', at: at(11) } }],
      },
    ]);
  });

  it('takes a {path} as a whole directory, which must exist', () => {
    const site = dependencySite();
    const vendor = tempDir('envbuild-vendor-');
    const allowlist = resolve(spec(site, [{ kind: 'path', path: vendor }]));
    expect(allowlist.paths).toEqual([{ path: vendor, reasons: [{ kind: 'allowed', entry: { kind: 'path', path: vendor, at: at(10) } }] }]);
    const err = manifestError(() => resolve(spec(site, [{ kind: 'path', path: `${vendor}/missing` }, { kind: 'path', path: 'relative/dir' }])));
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      `path ${vendor}/missing does not exist or is not a directory`,
      'path "relative/dir" must be absolute',
    ]);
    expect(resolveAllowlist(spec(site, [{ kind: 'path', path: path.basename(vendor) }]), fakePythonInfo(), { dpkg: null, baseDir: path.dirname(vendor) }).paths[0]?.path).toBe(vendor);
  });

  it('reports every unmatched entry at once, with the directories searched and the closest names', () => {
    const site = dependencySite();
    site.distInfo({ name: 'PyYAML', version: '6.0', topLevel: ['yaml'], files: { 'yaml/__init__.py': '' } });
    const stdlib = tempDir('envbuild-stdlib-');
    fs.mkdirSync(path.join(stdlib, 'json'));
    const python = fakePythonInfo({ stdlib, platstdlib: stdlib, sysPath: [stdlib] });
    const err = manifestError(() =>
      resolve(
        spec(site, [
          { kind: 'dist', name: 'alpah' },
          { kind: 'dist', name: 'yaml' },
          { kind: 'module', name: 'betta' },
          { kind: 'module', name: 'json' },
          { kind: 'module', name: 'gi.repository' },
          { kind: 'deb', name: 'python3-gi' },
          { kind: 'dist', name: 'nothing-like-it' },
        ]),
        python,
      ),
    );
    expect(err.diagnostics.map((d) => formatDiagnostic(d))).toEqual([
      `/project/env.yaml:10:7: no distribution named "alpah" in the global site directories (searched ${site.dir})\n  hint: did you mean alpha?`,
      `/project/env.yaml:11:7: no distribution named "yaml" in the global site directories (searched ${site.dir})\n  hint: yaml is an import name, provided by PyYAML: write "module: yaml" or name the distribution`,
      `/project/env.yaml:12:7: no module named "betta" in the global site directories (searched ${site.dir})\n  hint: did you mean beta?`,
      `/project/env.yaml:13:7: no module named "json" in the global site directories (searched ${site.dir})\n  hint: json is in the standard library, which every environment can import: remove this entry`,
      '/project/env.yaml:14:7: "gi.repository" is not a top-level import name\n  hint: allow "gi"',
      '/project/env.yaml:15:7: "deb: python3-gi" needs dpkg, and this system has none (no /var/lib/dpkg/status)\n  hint: name the distribution or module instead',
      `/project/env.yaml:16:7: no distribution named "nothing-like-it" in the global site directories (searched ${site.dir})`,
    ]);
    expect(err.message).toMatch(/^7 problems in the manifest:/);
  });

  it('returns an empty allowlist for other isolation modes', () => {
    const s = { ...spec(dependencySite(), [{ kind: 'dist', name: 'alpha' }]), mode: 'full' as const };
    expect(resolve(s)).toMatchObject({ distributions: [], modules: [], paths: [], sites: [] });
  });
});

describe('resolveAllowlist: dependencies', () => {
  it('follows Requires-Dist and requires.txt for the target, skipping extras and false markers; a missing one is a warning', () => {
    const site = dependencySite();
    const allowlist = resolve(spec(site, [{ kind: 'dist', name: 'alpha' }]));
    expect(allowlist.distributions.map((d) => [d.name, d.reasons])).toEqual([
      ['alpha', [{ kind: 'allowed', entry: { kind: 'dist', name: 'alpha', at: at(10) } }]],
      ['Beta', [{ kind: 'dependency', of: 'alpha', via: 'metadata', requirement: 'beta (>=1)' }]],
      ['delta', [{ kind: 'dependency', of: 'Beta', via: 'metadata', requirement: 'delta' }]],
    ]);
    expect(allowlist.warnings).toEqual([
      {
        severity: 'warning',
        location: at(10),
        message: `alpha 1.0 requires "gamma>=2", which is not installed in the global site directories (searched ${site.dir})`,
        hint: 'the environment gets what is there; install it globally or in the environment if the import fails',
      },
    ]);
  });

  it('evaluates markers for the target interpreter, not for the one running envbuild', () => {
    const site = dependencySite();
    const py27 = fakePythonInfo({ version: '2.7.18', versionInfo: [2, 7, 18], soabi: null, extensionSuffixes: ['.so', 'module.so'] });
    const names = resolve(spec(site, [{ kind: 'dist', name: 'alpha' }]), py27).distributions.map((d) => d.name);
    expect(names).toEqual(['alpha', 'Beta', 'delta', 'legacy']);
  });

  it('ignore: only what is listed; error: anything the closure adds is an error at the entry', () => {
    const site = dependencySite();
    expect(resolve(spec(site, [{ kind: 'dist', name: 'alpha' }], 'ignore')).distributions.map((d) => d.name)).toEqual(['alpha']);
    const err = manifestError(() => resolve(spec(site, [{ kind: 'dist', name: 'alpha' }], 'error')));
    expect(err.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.location, d.message])).toEqual([
      [at(10), 'dist alpha needs Beta, which the allowlist does not name (dependencies: error): needed by alpha (requires "beta (>=1)")'],
      [at(10), 'dist alpha needs delta, which the allowlist does not name (dependencies: error): needed by Beta (requires "delta")'],
    ]);
    // Naming the whole closure satisfies the policy.
    const full = resolve(spec(site, [{ kind: 'dist', name: 'alpha' }, { kind: 'dist', name: 'beta' }, { kind: 'dist', name: 'delta' }], 'error'));
    expect(full.distributions.map((d) => d.name)).toEqual(['alpha', 'Beta', 'delta']);
  });
});

describe('resolveAllowlist: extension modules', () => {
  it('refuses an extension built for another interpreter, naming the file and the interpreter', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'oldext', version: '1.0', topLevel: ['oldext'], files: { 'oldext/_speed.cpython-310-x86_64-linux-gnu.so': '', 'oldext/__init__.py': '' } });
    site.distInfo({ name: 'stable', version: '1.0', topLevel: ['stable'], files: { 'stable/_c.abi3.so': '', 'stable/_d.so': '' } });
    site.distInfo({
      name: 'transition',
      version: '1.0',
      topLevel: ['transition'],
      files: { 'transition.cpython-310-x86_64-linux-gnu.so': '', 'transition.cpython-311-x86_64-linux-gnu.so': '' },
    });
    site.distInfo({ name: 'vendored', version: '1.0', topLevel: ['vendored'], files: { 'vendored/__init__.py': '', 'vendored.libs/libssl-1a2b.3.0.so': '' } });
    const ok = resolve(spec(site, [{ kind: 'dist', name: 'stable' }, { kind: 'dist', name: 'transition' }, { kind: 'dist', name: 'vendored' }]));
    expect(ok.distributions.map((d) => d.expose)).toEqual([
      ['stable', 'stable-1.0.dist-info'],
      ['transition-1.0.dist-info', 'transition.cpython-310-x86_64-linux-gnu.so', 'transition.cpython-311-x86_64-linux-gnu.so'],
      ['vendored', 'vendored-1.0.dist-info', 'vendored.libs'],
    ]);
    const err = manifestError(() => resolve(spec(site, [{ kind: 'dist', name: 'oldext' }])));
    expect(err.diagnostics).toEqual([
      {
        severity: 'error',
        location: at(10),
        message: `oldext has extension modules built for another interpreter: ${site.dir}/oldext/_speed.cpython-310-x86_64-linux-gnu.so; /opt/fake/bin/python3.11 (Python 3.11.2) loads only .cpython-311-x86_64-linux-gnu.so, .abi3.so, .so`,
        hint: 'install oldext for Python 3.11.2, or build the environment on the interpreter it was built for',
      },
    ]);
    // The same distribution resolves for the interpreter it was built for.
    const py310 = fakePythonInfo({ versionInfo: [3, 10, 2] });
    expect(resolve(spec(site, [{ kind: 'dist', name: 'oldext' }]), py310).distributions).toHaveLength(1);
  });
});

describe('resolveAllowlist: namespaces and conflicts', () => {
  it('splits a namespace shared by an allowed and a non-allowed distribution', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'ns.one', version: '1.0', topLevel: ['ns'], files: { 'ns/one/__init__.py': '', 'ns/one/util.py': '' } });
    site.distInfo({ name: 'ns.two', version: '2.0', topLevel: ['ns'], files: { 'ns/two/__init__.py': '' } });
    const one = resolve(spec(site, [{ kind: 'dist', name: 'ns.one' }]));
    expect(one.distributions.map((d) => [d.name, d.topLevel, d.expose])).toEqual([['ns.one', ['ns'], ['ns.one-1.0.dist-info', 'ns/one']]]);
    // Both allowed: the namespace is linked whole.
    const both = resolve(spec(site, [{ kind: 'dist', name: 'ns.one' }, { kind: 'dist', name: 'ns.two' }]));
    expect(both.distributions.map((d) => d.expose)).toEqual([
      ['ns', 'ns.one-1.0.dist-info'],
      ['ns', 'ns.two-2.0.dist-info'],
    ]);
  });

  it('splits at the shallowest depth free of other distributions, sharing common files', () => {
    const site = new FakeSite();
    const ns = (name: string, sub: string) =>
      site.distInfo({
        name,
        version: '1.0',
        topLevel: ['google'],
        files: { 'google/__init__.py': '', [`google/cloud/__init__.py`]: '', [`google/cloud/${sub}/__init__.py`]: '', [`google/cloud/${sub}/x.py`]: '' },
      });
    ns('google-cloud-storage', 'storage');
    ns('google-cloud-bigquery', 'bigquery');
    ns('google-cloud-pubsub', 'pubsub');
    const allowlist = resolve(spec(site, [{ kind: 'dist', name: 'google-cloud-storage' }, { kind: 'dist', name: 'google-cloud-pubsub' }]));
    expect(allowlist.distributions.map((d) => [d.name, d.expose])).toEqual([
      ['google-cloud-pubsub', ['google/__init__.py', 'google/cloud/__init__.py', 'google/cloud/pubsub', 'google_cloud_pubsub-1.0.dist-info']],
      ['google-cloud-storage', ['google/__init__.py', 'google/cloud/__init__.py', 'google/cloud/storage', 'google_cloud_storage-1.0.dist-info']],
    ]);
  });

  it('refuses to split a namespace when the allowed distribution has no file list', () => {
    const site = new FakeSite();
    site.eggInfo({ name: 'lazr.uri', version: '1.0.6', topLevel: ['lazr'], namespacePackages: ['lazr'], files: { 'lazr/uri/__init__.py': '' } });
    site.eggInfo({ name: 'lazr.restfulclient', version: '0.14.5', topLevel: ['lazr'], namespacePackages: ['lazr'], files: { 'lazr/restfulclient/__init__.py': '' } });
    const err = manifestError(() => resolve(spec(site, [{ kind: 'dist', name: 'lazr.uri' }])));
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      `lazr/ in ${site.dir} is shared by lazr.uri and lazr.restfulclient, and lazr.uri has no file list (RECORD, installed-files.txt or dpkg) to tell its part`,
    ]);
  });

  it('refuses two allowed items that provide the same top-level name', () => {
    const a = new FakeSite();
    const b = new FakeSite();
    a.distInfo({ name: 'first', version: '1', topLevel: ['dup'], files: { 'dup/__init__.py': '' } });
    b.distInfo({ name: 'second', version: '1', topLevel: ['dup'], files: { 'dup/__init__.py': '' } });
    const err = manifestError(() => resolve(spec([a.dir, b.dir], [{ kind: 'dist', name: 'first' }, { kind: 'dist', name: 'second' }])));
    expect(err.diagnostics.map((d) => [d.location?.line, d.message])).toEqual([
      [10, `second (${b.dir}/dup) and first (${a.dir}/dup) both provide dup`],
      [11, `second (${b.dir}/dup) and first (${a.dir}/dup) both provide dup`],
    ]);
  });
});

describe('resolveAllowlist: determinism', () => {
  it('gives the same bytes for the same inputs, whatever the order entries are written in', () => {
    const site = dependencySite();
    site.file('_cffi_backend.cpython-311-x86_64-linux-gnu.so');
    const entries: Entry[] = [{ kind: 'dist', name: 'alpha' }, { kind: 'module', name: '_cffi_backend' }, { kind: 'dist', name: 'unrelated' }];
    const one = JSON.stringify(resolve(spec(site, entries)));
    expect(JSON.stringify(resolve(spec(site, entries)))).toBe(one);
    const reversed = resolve(spec(site, [...entries].reverse()));
    expect(reversed.distributions.map((d) => d.name)).toEqual(['alpha', 'Beta', 'delta', 'unrelated']);
    expect(reversed.modules.map((m) => m.name)).toEqual(['_cffi_backend']);
  });
});
