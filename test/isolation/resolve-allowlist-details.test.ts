/**
 * The resolved allowlist in the cases a user meets less often: reasons in manifest order,
 * several sites, extension modules found without a file list, nested overlay claims, marker
 * and version problems in requirements, the policy `error` naming each kind of entry.
 * Hand-built site directories; every assertion is on the result or the diagnostics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/errors/diagnostic.js';
import { ManifestError } from '../../src/errors/user-error.js';
import { discoverGlobals } from '../../src/isolation/discover-globals.js';
import { resolveAllowlist, type ResolveOptions } from '../../src/isolation/resolve-allowlist.js';
import type { AllowEntry, DependencyPolicy, IsolationSpec } from '../../src/manifest/types.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { FakeSite } from '../helpers/fake-site.js';
import { tempDir } from '../helpers/temp-dir.js';
import { at, fakePythonInfo } from '../helpers/fake-python.js';

type Entry = { kind: 'dist'; name: string; version?: string } | { kind: 'module' | 'deb'; name: string } | { kind: 'path'; path: string };

/** Entries at line 10, 11, … unless an entry carries its own `line` (and `col`). */
function spec(sites: Array<FakeSite | string>, allow: Array<Entry & { line?: number; col?: number }>, dependencies: DependencyPolicy = 'follow'): IsolationSpec {
  return {
    mode: 'cherry-pick',
    allow: allow.map(({ line, col, ...e }, i) => ({ ...e, at: at(line ?? 10 + i, col) }) as AllowEntry),
    searchPaths: sites.map((s) => (typeof s === 'string' ? s : s.dir)),
    dependencies,
  };
}

const resolve = (s: IsolationSpec, python: PythonInfo = fakePythonInfo(), opts: ResolveOptions = {}) => resolveAllowlist(s, python, { dpkg: null, ...opts });

function diagnosticsOf(fn: () => unknown): readonly Diagnostic[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

const line = (d: Diagnostic) => `${d.severity} ${d.location ? `${d.location.line}:${d.location.col}` : '-'} ${d.message}`;

describe('resolveAllowlist: the recorded result', () => {
  it('for other isolation modes: the target and policy only', () => {
    const python = fakePythonInfo();
    const s: IsolationSpec = { ...spec([new FakeSite()], [{ kind: 'dist', name: 'x' }], 'error'), mode: 'full' };
    expect(resolve(s, python)).toEqual({
      format: 1,
      target: { executable: python.executable, version: python.version, soabi: python.soabi },
      dependencies: 'error',
      sites: [],
      distributions: [],
      modules: [],
      paths: [],
      warnings: [],
    });
  });

  it('warns about a search path that is not a directory, and reports errors before warnings', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' } });
    const missing = path.join(tempDir(), 'nowhere');
    const ok = resolve(spec([site, missing, missing], [{ kind: 'dist', name: 'alpha' }]));
    expect(ok.warnings.map(line)).toEqual([`warning - search path ${missing} does not exist or is not a directory`]);
    expect(ok.sites).toEqual([site.dir]);
    const bad = diagnosticsOf(() => resolve(spec([site, missing], [{ kind: 'dist', name: 'beta' }])));
    expect(bad.map(line)).toEqual([
      `error 10:7 no distribution named "beta" in the global site directories (searched ${site.dir})`,
      `warning - search path ${missing} does not exist or is not a directory`,
    ]);
  });

  it('says "(none exists)" when no site directory exists', () => {
    const missing = path.join(tempDir(), 'nowhere');
    expect(diagnosticsOf(() => resolve(spec([missing], [{ kind: 'dist', name: 'beta' }]))).map(line)[0]).toBe(
      'error 10:7 no distribution named "beta" in the global site directories (searched (none exists))',
    );
  });

  it('sorts items by name, reasons in manifest order (line, then column), allowed before dependencies', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'zeta', version: '1.0', topLevel: ['zeta'], files: { 'zeta.py': '' }, requires: ['common'] });
    site.distInfo({ name: 'able', version: '1.0', topLevel: ['able'], files: { 'able.py': '' }, requires: ['common'] });
    site.distInfo({ name: 'common', version: '1.0', topLevel: ['common'], files: { 'common/__init__.py': '' } });
    site.file('_zmod.py');
    site.file('_amod.py');
    const vendorB = tempDir('envbuild-vendor-b-');
    const vendorA = path.join(vendorB, 'a');
    fs.mkdirSync(vendorA);
    const allowlist = resolve(
      spec([site], [
        { kind: 'dist', name: 'zeta', line: 20 },
        { kind: 'module', name: 'common', line: 12, col: 9 },
        { kind: 'dist', name: 'common', line: 12, col: 3 },
        { kind: 'module', name: '_zmod', line: 13 },
        { kind: 'module', name: '_amod', line: 14 },
        { kind: 'path', path: vendorB, line: 15 },
        { kind: 'path', path: vendorA, line: 16 },
        { kind: 'path', path: `${vendorA}/`, line: 9 },
        { kind: 'dist', name: 'able', line: 30 },
      ]),
    );
    const why = (r: { kind: string; entry?: { at: { line: number; col: number } }; of?: string }) => (r.kind === 'allowed' ? `allowed@${r.entry!.at.line}:${r.entry!.at.col}` : `dependency of ${r.of}`);
    expect(allowlist.distributions.map((d) => [d.name, d.reasons.map(why)])).toEqual([
      ['able', ['allowed@30:7']],
      ['common', ['allowed@12:3', 'allowed@12:9', 'dependency of able', 'dependency of zeta']],
      ['zeta', ['allowed@20:7']],
    ]);
    expect(allowlist.modules.map((m) => m.name)).toEqual(['_amod', '_zmod']);
    expect(allowlist.paths.map((p) => [p.path, p.reasons.map(why)])).toEqual([
      [vendorB, ['allowed@15:7']],
      [vendorA, ['allowed@9:7', 'allowed@16:7']],
    ]);
  });

  it('takes import names from what is exposed: a module file, an extension, not the metadata', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'mixed', version: '2.0', topLevel: null, files: { 'one.py': '', '_two.cpython-311-x86_64-linux-gnu.so': '', 'pkg/__init__.py': '' } });
    const [d] = resolve(spec([site], [{ kind: 'dist', name: 'mixed' }])).distributions;
    expect(d).toMatchObject({
      topLevel: ['_two', 'one', 'pkg'],
      expose: ['_two.cpython-311-x86_64-linux-gnu.so', 'mixed-2.0.dist-info', 'one.py', 'pkg'],
      metadataDir: path.join(site.dir, 'mixed-2.0.dist-info'),
      location: site.dir,
    });
  });

  it('reuses a discovery it is given, and takes marker overrides', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' }, requires: ['old; python_version < "3"'] });
    site.distInfo({ name: 'old', version: '1.0', topLevel: ['old'], files: { 'old.py': '' } });
    const python = fakePythonInfo();
    const s = spec([site], [{ kind: 'dist', name: 'alpha' }]);
    expect(resolve(s, python, { markerEnvironment: { python_version: '2.7' } }).distributions.map((d) => d.name)).toEqual(['alpha', 'old']);
    expect(resolve(s, python).distributions.map((d) => d.name)).toEqual(['alpha']);
    const globals = discoverGlobals(python, { searchPaths: [site.dir], dpkg: null });
    fs.rmSync(path.join(site.dir, 'old-1.0.dist-info'), { recursive: true });
    // The discovery made before the removal still has `old`.
    expect(resolve(s, python, { globals, markerEnvironment: { python_version: '2.7' } }).distributions.map((d) => d.name)).toEqual(['alpha', 'old']);
  });
});

describe('resolveAllowlist: requirements', () => {
  it('warns about a marker it cannot evaluate, and about an installed version outside the requirement', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' }, requires: ['beta>=2', 'gamma; platform_thing == "x"'] });
    site.distInfo({ name: 'beta', version: '1.5', topLevel: ['beta'], files: { 'beta.py': '' } });
    site.distInfo({ name: 'gamma', version: '1.0', topLevel: ['gamma'], files: { 'gamma.py': '' } });
    const allowlist = resolve(spec([site], [{ kind: 'dist', name: 'alpha' }, { kind: 'module', name: 'alpha' }]));
    expect(allowlist.distributions.map((d) => d.name)).toEqual(['alpha', 'beta']);
    expect(allowlist.warnings.map(line)).toEqual([
      'warning 10:7 alpha declares "gamma; platform_thing == "x"", whose marker envbuild cannot evaluate (invalid environment marker "platform_thing == "x"": unknown variable platform_thing); not followed',
      'warning 10:7 alpha requires "beta>=2", but the global beta is 1.5; allowing it anyway',
    ]);
  });

  it('accepts an installed version that satisfies the requirement without a word, prereleases included', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' }, requires: ['beta>=2'] });
    site.distInfo({ name: 'beta', version: '2.1rc1', topLevel: ['beta'], files: { 'beta.py': '' } });
    expect(resolve(spec([site], [{ kind: 'dist', name: 'alpha' }])).warnings).toEqual([]);
  });

  it('error policy: names the entry by kind, and every requirement that needed the item', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' }, requires: ['common'] });
    site.distInfo({ name: 'beta', version: '1.0', topLevel: ['beta'], files: { 'beta.py': '' }, requires: ['common>=1'] });
    site.distInfo({ name: 'common', version: '1.0', topLevel: ['common'], files: { 'common.py': '' } });
    const errors = diagnosticsOf(() => resolve(spec([site], [{ kind: 'module', name: 'alpha' }, { kind: 'dist', name: 'beta' }], 'error')));
    expect(errors.map(line)).toEqual([
      'error 10:7 module alpha needs common, which the allowlist does not name (dependencies: error): needed by alpha (requires "common"), beta (requires "common>=1")',
      'error 11:7 dist beta needs common, which the allowlist does not name (dependencies: error): needed by alpha (requires "common"), beta (requires "common>=1")',
    ]);
    expect(errors[0]!.hint).toBe('add "common" to the allowlist, or set "dependencies: follow"');
  });

  it('a dependency reached from two entries carries both as roots: its problems are reported at each', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' }, requires: ['fast'] });
    site.distInfo({ name: 'beta', version: '1.0', topLevel: ['beta'], files: { 'beta.py': '' }, requires: ['fast'] });
    site.distInfo({ name: 'fast', version: '1.0', topLevel: ['fast'], files: { 'fast/_s.cpython-310-x86_64-linux-gnu.so': '', 'fast/_t.cpython-39-x86_64-linux-gnu.so': '' } });
    const errors = diagnosticsOf(() => resolve(spec([site], [{ kind: 'dist', name: 'alpha' }, { kind: 'dist', name: 'beta' }])));
    const message = `fast has extension modules built for another interpreter: ${site.dir}/fast/_s.cpython-310-x86_64-linux-gnu.so, ${site.dir}/fast/_t.cpython-39-x86_64-linux-gnu.so; /opt/fake/bin/python3.11 (Python 3.11.2) loads only .cpython-311-x86_64-linux-gnu.so, .abi3.so, .so`;
    expect(errors.map(line)).toEqual([`error 10:7 ${message}`, `error 11:7 ${message}`]);
  });
});

describe('resolveAllowlist: what the target cannot use', () => {
  it('finds foreign extension modules on disk when there is no file list, skipping caches and links below', () => {
    const site = new FakeSite();
    site.file('bare/__init__.py');
    site.file('bare/sub/_speed.cpython-310-x86_64-linux-gnu.so');
    site.file('okmod/__init__.py');
    site.file('okmod/__pycache__/_x.cpython-310-x86_64-linux-gnu.so');
    const elsewhere = tempDir('envbuild-elsewhere-');
    fs.writeFileSync(path.join(elsewhere, '_y.cpython-310-x86_64-linux-gnu.so'), '');
    fs.symlinkSync(elsewhere, path.join(site.dir, 'okmod', 'linked'));
    const errors = diagnosticsOf(() => resolve(spec([site], [{ kind: 'module', name: 'bare' }, { kind: 'module', name: 'okmod' }])));
    expect(errors.map(line)).toEqual([
      `error 10:7 bare has extension modules built for another interpreter: ${site.dir}/bare/sub/_speed.cpython-310-x86_64-linux-gnu.so; /opt/fake/bin/python3.11 (Python 3.11.2) loads only .cpython-311-x86_64-linux-gnu.so, .abi3.so, .so`,
    ]);
    // A top-level module that is itself a link is followed.
    fs.symlinkSync(path.join(site.dir, 'bare'), path.join(site.dir, 'alias'));
    expect(diagnosticsOf(() => resolve(spec([site], [{ kind: 'module', name: 'alias' }]))).map(line)[0]).toMatch(/^error 10:7 alias has extension modules built for another interpreter: .*\/alias\/sub\/_speed/);
  });

  it('ignores a foreign extension the file list names but the disk lacks', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'gone', version: '1.0', topLevel: ['gone'], files: { 'gone/__init__.py': '' }, extraRecord: ['gone/_old.cpython-310-x86_64-linux-gnu.so,,'] });
    expect(resolve(spec([site], [{ kind: 'dist', name: 'gone' }])).distributions.map((d) => d.name)).toEqual(['gone']);
  });

  it('warns about an unmet Requires-Python written with spaces; a met, or unreadable, one is silent', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'new', version: '1.0', topLevel: ['new'], requiresPython: '>= 3.12', files: { 'new.py': '' } });
    site.distInfo({ name: 'met', version: '1.0', topLevel: ['met'], requiresPython: '>=3.8, <4', files: { 'met.py': '' } });
    site.distInfo({ name: 'odd', version: '1.0', topLevel: ['odd'], requiresPython: 'three', files: { 'odd.py': '' } });
    const allowlist = resolve(spec([site], [{ kind: 'dist', name: 'new' }, { kind: 'dist', name: 'met' }, { kind: 'dist', name: 'odd' }]));
    expect(allowlist.warnings.map(line)).toEqual(['warning 10:7 new 1.0 declares Requires-Python ">= 3.12", which Python 3.11.2 does not satisfy']);
  });

  it('refuses a package and a module inside it from two items', () => {
    const a = new FakeSite();
    const b = new FakeSite();
    a.distInfo({ name: 'outer', version: '1', topLevel: ['pkg'], files: { 'pkg/__init__.py': '', 'pkg/sub.py': '' } });
    b.distInfo({ name: 'inner', version: '1', topLevel: ['pkg'], files: { 'pkg/__init__.py': '', 'pkg/sub/__init__.py': '' } });
    b.distInfo({ name: 'other', version: '1', topLevel: ['pkg'], files: { 'pkg/other/__init__.py': '' } });
    const errors = diagnosticsOf(() => resolve(spec([a, b], [{ kind: 'dist', name: 'outer' }, { kind: 'dist', name: 'inner' }])));
    expect(errors.map(line)).toEqual([
      `error 10:7 outer (${a.dir}/pkg) and inner (${b.dir}/pkg/__init__.py) both provide pkg / pkg/__init__.py`,
      `error 10:7 outer (${a.dir}/pkg) and inner (${b.dir}/pkg/sub) both provide pkg / pkg/sub`,
      `error 11:7 outer (${a.dir}/pkg) and inner (${b.dir}/pkg/__init__.py) both provide pkg / pkg/__init__.py`,
      `error 11:7 outer (${a.dir}/pkg) and inner (${b.dir}/pkg/sub) both provide pkg / pkg/sub`,
    ]);
  });

  it('lets two items share the same file of one site (a split namespace)', () => {
    const site = new FakeSite();
    for (const sub of ['one', 'two', 'three']) {
      site.distInfo({ name: `ns-${sub}`, version: '1', topLevel: ['ns'], files: { 'ns/__init__.py': '', [`ns/${sub}/__init__.py`]: '' } });
    }
    const allowlist = resolve(spec([site], [{ kind: 'dist', name: 'ns-one' }, { kind: 'dist', name: 'ns-two' }]));
    expect(allowlist.distributions.map((d) => d.expose)).toEqual([
      ['ns/__init__.py', 'ns/one', 'ns_one-1.dist-info'],
      ['ns/__init__.py', 'ns/two', 'ns_two-1.dist-info'],
    ]);
  });
});

describe('resolveAllowlist: entries that cannot be used', () => {
  it('explains a bad version specifier, a name that is no import name, a standard-library module file, a path .pth cannot hold', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' } });
    const stdlib = tempDir('envbuild-stdlib-');
    fs.writeFileSync(path.join(stdlib, 'shutil.py'), '');
    const python = fakePythonInfo({ stdlib, platstdlib: stdlib, sysPath: [stdlib] });
    const vendor = tempDir('envbuild-vendor-');
    const spaced = path.join(vendor, 'trailing ');
    const broken = path.join(vendor, 'line\nbreak');
    fs.mkdirSync(spaced);
    fs.mkdirSync(broken);
    const errors = diagnosticsOf(() =>
      resolve(
        spec([site], [
          { kind: 'dist', name: 'alpha', version: 'latest' },
          { kind: 'module', name: '1abc' },
          { kind: 'module', name: 'shutil' },
          { kind: 'path', path: spaced },
          { kind: 'path', path: broken },
        ]),
        python,
      ),
    );
    expect(errors.map((d) => [line(d), d.hint])).toEqual([
      ['error 10:7 "latest" is not a PEP 440 version specifier', 'e.g. ">=6", "==2.6.*", ">=1.2,<2"'],
      ['error 11:7 "1abc" is not a top-level import name', undefined],
      [`error 12:7 no module named "shutil" in the global site directories (searched ${site.dir})`, 'shutil is in the standard library, which every environment can import: remove this entry'],
      [`error 13:7 path ${JSON.stringify(spaced)} cannot be written to a .pth file (line break or trailing space)`, undefined],
      [`error 14:7 path ${JSON.stringify(broken)} cannot be written to a .pth file (line break or trailing space)`, undefined],
    ]);
  });

  it('records each entry as a plain copy, version included', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'alpha', version: '1.0', topLevel: ['alpha'], files: { 'alpha.py': '' } });
    const s = spec([site], [{ kind: 'dist', name: 'Alpha', version: '>=1' }]);
    const allowlist = resolve(s);
    expect(allowlist.distributions[0]!.reasons).toEqual([{ kind: 'allowed', entry: { kind: 'dist', name: 'Alpha', version: '>=1', at: at(10) } }]);
    const reason = allowlist.distributions[0]!.reasons[0] as { entry: { at: unknown } };
    expect(reason.entry.at).not.toBe(s.allow[0]!.at);
  });
});

describe('resolveAllowlist: diagnostics in reading order', () => {
  it('sorts by line and column as numbers, then message; unlocated ones first', () => {
    const site = new FakeSite();
    site.distInfo({ name: 'early', version: '1.0', topLevel: ['early'], files: { 'early.py': '' }, requires: ['zz-missing', 'aa-missing'] });
    site.distInfo({ name: 'late', version: '1.0', topLevel: ['late'], files: { 'late.py': '' }, requires: ['m-missing'] });
    site.distInfo({ name: 'wide', version: '1.0', topLevel: ['wide'], files: { 'wide.py': '' }, requires: ['w-missing'] });
    const missing = path.join(tempDir(), 'nowhere');
    const allowlist = resolve(
      spec([site, missing], [
        { kind: 'dist', name: 'late', line: 10 },
        { kind: 'dist', name: 'early', line: 9, col: 30 },
        { kind: 'dist', name: 'wide', line: 9, col: 5 },
      ]),
    );
    const req = (who: string, what: string) => `${who} 1.0 requires "${what}", which is not installed in the global site directories (searched ${site.dir})`;
    expect(allowlist.warnings.map(line)).toEqual([
      `warning - search path ${missing} does not exist or is not a directory`,
      `warning 9:5 ${req('wide', 'w-missing')}`,
      `warning 9:30 ${req('early', 'aa-missing')}`,
      `warning 9:30 ${req('early', 'zz-missing')}`,
      `warning 10:7 ${req('late', 'm-missing')}`,
    ]);
  });

  it('says what to do about a distribution it cannot expose well', () => {
    const site = new FakeSite();
    site.eggInfo({ name: 'bare', version: '2.0', files: { 'bare.py': '' } });
    site.eggInfo({ name: 'lazr.uri', version: '1.0.6', topLevel: ['lazr'], namespacePackages: ['lazr'], files: { 'lazr/uri/__init__.py': '' } });
    site.eggInfo({ name: 'lazr.restfulclient', version: '0.14.5', topLevel: ['lazr'], namespacePackages: ['lazr'], files: { 'lazr/restfulclient/__init__.py': '' } });
    const found = diagnosticsOf(() => resolve(spec([site], [{ kind: 'dist', name: 'bare' }, { kind: 'dist', name: 'lazr.uri' }])));
    expect(found.map((d) => [line(d), d.hint])).toEqual([
      [
        `error 11:7 lazr/ in ${site.dir} is shared by lazr.uri and lazr.restfulclient, and lazr.uri has no file list (RECORD, installed-files.txt or dpkg) to tell its part`,
        'allow lazr.restfulclient as well, or the directory with "path:"',
      ],
      ['warning 10:7 bare 2.0 has neither a file list nor top_level.txt: only its metadata is exposed', 'allow its modules by import name with "module: NAME"'],
    ]);
  });
});

