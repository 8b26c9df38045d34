import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors/user-error.js';
import { DpkgDatabase } from '../../src/isolation/dpkg.js';
import { resolveAllowlist } from '../../src/isolation/resolve-allowlist.js';
import type { AllowEntry } from '../../src/manifest/types.js';
import { FakeSite } from '../helpers/fake-site.js';
import { tempDir } from '../helpers/temp-dir.js';
import { at, fakePythonInfo } from '../helpers/fake-python.js';

interface FakePackage {
  readonly name: string;
  readonly arch?: string;
  readonly status?: string;
  readonly depends?: string;
  readonly provides?: string;
  /** Paths relative to the site; directories are listed as dpkg lists them. */
  readonly files?: readonly string[];
  /** Write the list as `<name>:<arch>.list` (Multi-Arch: same). */
  readonly qualifiedList?: boolean;
}

/**
 * A Debian-like system in a temp dir: a site directory whose egg-info directories have no file
 * list, and a dpkg database (status + info/*.list) that owns them.
 */
function debianLike(): { site: FakeSite; dpkg: DpkgDatabase; root: string } {
  const site = new FakeSite();
  const root = tempDir('envbuild-dpkg-');
  fs.mkdirSync(path.join(root, 'info'));
  const egg = (name: string, version: string, topLevel: string[], files: string[], requiresTxt?: string): string[] => {
    const entry = site.eggInfo({
      name,
      version,
      topLevel,
      files: Object.fromEntries(files.map((f) => [f, ''])),
      ...(requiresTxt === undefined ? {} : { requiresTxt }),
    });
    return [entry, `${entry}/PKG-INFO`, `${entry}/top_level.txt`, ...files];
  };
  const packages: FakePackage[] = [
    {
      name: 'python3-lazr.uri',
      depends: 'python3-pkg-resources, python3:any, python3 (>= 3.11~)',
      files: ['lazr', 'lazr/uri', ...egg('lazr.uri', '1.0.6', ['lazr'], ['lazr/uri/__init__.py', 'lazr/uri/_uri.py'])],
    },
    {
      name: 'python3-lazr.restfulclient',
      depends: 'python3-lazr.uri, python3-wadllib (>= 1.1.4), python3-importlib-metadata | python3 (>> 3.8), python3-helper',
      files: ['lazr', 'lazr/restfulclient', ...egg('lazr.restfulclient', '0.14.5', ['lazr'], ['lazr/restfulclient/__init__.py'])],
    },
    { name: 'python3-helper', depends: 'python3-wadllib' }, // no files of its own: traversed, not exposed
    { name: 'python3-wadllib', files: ['wadllib', ...egg('wadllib', '1.3.6', ['wadllib'], ['wadllib/__init__.py'], '[docs]\nSphinx\n')] },
    {
      name: 'python3-cryptography',
      depends: 'python3-cffi-backend-api-min (<= 9729), python3-cffi-backend-api-max (>= 9729), libc6 (>= 2.34)',
      files: ['cryptography', ...egg('cryptography', '38.0.4', ['cryptography'], ['cryptography/__init__.py'])],
    },
    {
      name: 'python3-cffi-backend',
      arch: 'amd64',
      qualifiedList: true,
      provides: 'python3-cffi-backend-api-9729, python3-cffi-backend-api-max (= 10495), python3-cffi-backend-api-min (= 9729)',
      files: ['_cffi_backend.cpython-311-x86_64-linux-gnu.so'],
    },
    {
      name: 'python3-setuptools',
      depends: 'python3-pkg-resources',
      // Debian's setuptools egg-info claims pkg_resources, which another package ships.
      files: ['setuptools', ...egg('setuptools', '66.1.1', ['pkg_resources', 'setuptools'], ['setuptools/__init__.py'])],
    },
    { name: 'python3-pkg-resources', files: ['pkg_resources', 'pkg_resources/__init__.py'] },
    { name: 'yq', depends: 'python3-wadllib', files: ['yq', ...egg('yq', '3.1.0', ['yq'], ['yq/__init__.py'])] },
    { name: 'python3-removed', status: 'deinstall ok config-files' },
    { name: 'python3-docs-only', files: [] },
  ];
  for (const p of packages) {
    for (const f of p.files ?? []) if (/\.(py|so)$/.test(f) && !fs.existsSync(path.join(site.dir, f))) site.file(f);
    const lines = ['/.', site.dir, ...(p.files ?? []).map((f) => `${site.dir}/${f}`), `/usr/share/doc/${p.name}`];
    if (p.name === 'python3-docs-only') lines.splice(1, 1);
    const listName = p.qualifiedList ? `${p.name}:${p.arch}.list` : `${p.name}.list`;
    if (!(p.status ?? '').includes('config-files')) fs.writeFileSync(path.join(root, 'info', listName), `${lines.join('\n')}\n`);
  }
  const status = packages
    .map((p) =>
      [
        `Package: ${p.name}`,
        `Status: ${p.status ?? 'install ok installed'}`,
        `Architecture: ${p.arch ?? 'all'}`,
        ...(p.provides ? [`Provides: ${p.provides}`] : []),
        ...(p.depends ? [`Depends: ${p.depends}`] : []),
        'Description: a package',
        ' with a long description: Package: not-a-field',
      ].join('\n'),
    )
    .join('\n\n');
  fs.writeFileSync(path.join(root, 'status'), `${status}\n\nPackage: python3\nStatus: install ok installed\nArchitecture: amd64\n`);
  const dpkg = DpkgDatabase.open(root);
  if (!dpkg) throw new Error('fake dpkg did not open');
  return { site, dpkg, root };
}

function entries(list: Array<{ kind: 'dist' | 'module' | 'deb'; name: string }>): AllowEntry[] {
  return list.map((e, i) => ({ ...e, at: at(20 + i) }));
}

describe('DpkgDatabase', () => {
  it('is null where there is no dpkg', () => {
    expect(DpkgDatabase.open(tempDir())).toBeNull();
  });

  it('reads file lists (also arch-qualified), Depends with alternatives and virtual packages', () => {
    const { site, dpkg } = debianLike();
    expect(dpkg.isInstalled('python3-cffi-backend')).toBe(true);
    expect(dpkg.isInstalled('python3-removed')).toBe(false);
    expect(dpkg.files('python3-cffi-backend')).toContain(`${site.dir}/_cffi_backend.cpython-311-x86_64-linux-gnu.so`);
    expect(dpkg.dependencies('python3-lazr.restfulclient')).toEqual([
      { written: 'python3-lazr.uri', package: 'python3-lazr.uri', virtual: null },
      { written: 'python3-wadllib', package: 'python3-wadllib', virtual: null },
      { written: 'python3-importlib-metadata | python3', package: 'python3', virtual: null },
      { written: 'python3-helper', package: 'python3-helper', virtual: null },
    ]);
    expect(dpkg.dependencies('python3-cryptography')).toEqual([
      { written: 'python3-cffi-backend-api-min', package: 'python3-cffi-backend', virtual: 'python3-cffi-backend-api-min' },
      { written: 'python3-cffi-backend-api-max', package: 'python3-cffi-backend', virtual: 'python3-cffi-backend-api-max' },
      { written: 'libc6', package: null, virtual: null },
    ]);
  });

  it('maps a file to its packages, also those not named python3-*', () => {
    const { site, dpkg } = debianLike();
    expect(dpkg.ownersOf(`${site.dir}/lazr`)).toEqual(['python3-lazr.restfulclient', 'python3-lazr.uri']);
    expect(dpkg.ownersOf(`${site.dir}/yq-3.1.0.egg-info`, site.dir)).toEqual(['yq']);
    expect(dpkg.ownersOf(`${site.dir}/nobody.py`, site.dir)).toEqual([]);
  });
});

describe('resolveAllowlist with dpkg', () => {
  const python = fakePythonInfo();
  const resolve = (list: Parameters<typeof entries>[0], dependencies: 'follow' | 'ignore' | 'error' = 'follow') => {
    const { site, dpkg } = debianLike();
    return {
      site,
      allowlist: resolveAllowlist({ mode: 'cherry-pick', allow: entries(list), searchPaths: [site.dir], dependencies }, python, { dpkg }),
    };
  };

  it('splits a namespace by dpkg file lists when egg-info has none', () => {
    const { allowlist } = resolve([{ kind: 'dist', name: 'lazr.uri' }], 'ignore');
    expect(allowlist.distributions.map((d) => [d.name, d.expose, d.debPackages])).toEqual([
      ['lazr.uri', ['lazr.uri-1.0.6.egg-info', 'lazr/uri'], ['python3-lazr.uri']],
    ]);
  });

  it('unions the dpkg Depends closure of python3-* packages with the metadata one', () => {
    const { allowlist } = resolve([{ kind: 'deb', name: 'python3-lazr.restfulclient' }]);
    const why = (reasons: readonly { kind: string; of?: string; via?: string; requirement?: string }[]) =>
      reasons.map((r) => (r.kind === 'allowed' ? 'allowed' : `${r.of} ${r.via}: ${r.requirement}`));
    expect(allowlist.distributions.map((d) => [d.name, d.expose, why(d.reasons)])).toEqual([
      ['lazr.restfulclient', ['lazr', 'lazr.restfulclient-0.14.5.egg-info'], ['allowed']],
      [
        'lazr.uri',
        ['lazr', 'lazr.uri-1.0.6.egg-info'],
        ['lazr.restfulclient dpkg: python3-lazr.restfulclient → python3-lazr.uri'],
      ],
      [
        'wadllib',
        ['wadllib', 'wadllib-1.3.6.egg-info'],
        // Reached again through python3-helper (which has no files): the first edge is the one recorded.
        ['lazr.restfulclient dpkg: python3-lazr.restfulclient → python3-wadllib'],
      ],
    ]);
    // pkg_resources comes alone: its package ships no metadata, and setuptools' claim on it is not taken at its word.
    expect(allowlist.modules.map((m) => [m.name, m.expose, m.debPackages, why(m.reasons)])).toEqual([
      ['pkg_resources', ['pkg_resources'], ['python3-pkg-resources'], ['lazr.uri dpkg: python3-lazr.uri → python3-pkg-resources']],
    ]);
  });

  it('reaches a module with no metadata through a virtual package', () => {
    const { allowlist } = resolve([{ kind: 'dist', name: 'cryptography' }]);
    expect(allowlist.modules).toEqual([
      expect.objectContaining({
        name: '_cffi_backend',
        debPackages: ['python3-cffi-backend'],
        expose: ['_cffi_backend.cpython-311-x86_64-linux-gnu.so'],
        reasons: [
          {
            kind: 'dependency',
            of: 'cryptography',
            via: 'dpkg',
            requirement: 'python3-cryptography → python3-cffi-backend-api-min (provided by python3-cffi-backend)',
          },
        ],
      }),
    ]);
  });

  it('follows the Depends of a package not named python3-* into python3-* ones', () => {
    const { allowlist } = resolve([{ kind: 'dist', name: 'yq' }]);
    expect(allowlist.distributions.map((d) => [d.name, d.debPackages])).toEqual([
      ['wadllib', ['python3-wadllib']],
      ['yq', ['yq']],
    ]);
  });

  it('refuses deb entries that are not installed or have nothing in the site directories', () => {
    let caught: unknown;
    try {
      resolve([{ kind: 'deb', name: 'python3-removed' }, { kind: 'deb', name: 'lazr.uri' }, { kind: 'deb', name: 'python3-docs-only' }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    expect((caught as ManifestError).diagnostics.map((d) => [d.location?.line, d.message, d.hint])).toEqual([
      [20, 'Debian package "python3-removed" is not installed', expect.stringMatching(/^install it with apt|did you mean/)],
      [21, 'Debian package "lazr.uri" is not installed', 'did you mean python3-lazr.uri?'],
      [22, expect.stringMatching(/^Debian package "python3-docs-only" has no files in the global site directories/), undefined],
    ]);
  });

  it('suggests the closest installed python3-* package for a deb entry, or how to find one', () => {
    const diagnostics = (name: string) => {
      try {
        resolve([{ kind: 'deb', name }]);
      } catch (e) {
        return (e as ManifestError).diagnostics.map((d) => [d.message, d.hint]);
      }
      throw new Error('expected a ManifestError');
    };
    expect(diagnostics('python3-wadlib')).toEqual([['Debian package "python3-wadlib" is not installed', 'did you mean python3-wadllib?']]);
    expect(diagnostics('zzzzzzzzzzzz')).toEqual([['Debian package "zzzzzzzzzzzz" is not installed', 'install it with apt, or name a package from "dpkg -l \'python3-*\'"']]);
  });

  it('dependencies: error names each item the dpkg closure adds, with the Depends edge, at the deb entry', () => {
    let caught: unknown;
    try {
      resolve([{ kind: 'deb', name: 'python3-lazr.uri' }], 'error');
    } catch (e) {
      caught = e;
    }
    expect((caught as ManifestError).diagnostics.map((d) => [d.location?.line, d.message])).toEqual([
      [20, 'deb python3-lazr.uri needs pkg_resources, which the allowlist does not name (dependencies: error): needed by lazr.uri (dpkg: python3-lazr.uri → python3-pkg-resources)'],
    ]);
  });

  it('records a deb entry as a plain copy', () => {
    const { allowlist } = resolve([{ kind: 'deb', name: 'python3-wadllib' }], 'ignore');
    expect(allowlist.distributions.map((d) => [d.name, d.reasons])).toEqual([['wadllib', [{ kind: 'allowed', entry: { kind: 'deb', name: 'python3-wadllib', at: at(20) } }]]]);
  });
});
