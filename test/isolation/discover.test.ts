import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverGlobals, listSiteDirectories } from '../../src/isolation/discover-globals.js';
import { importNameOf } from '../../src/isolation/distribution.js';
import { FakeSite } from '../helpers/fake-site.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fakePythonInfo } from '../helpers/fake-python.js';

function buildSite(): FakeSite {
  const site = new FakeSite();
  site.distInfo({
    name: 'PyYAML',
    version: '6.0',
    topLevel: ['_yaml', 'yaml'],
    requires: ['attrs>=20'],
    files: { 'yaml/__init__.py': '', 'yaml/_yaml.cpython-311-x86_64-linux-gnu.so': '', '_yaml/__init__.py': '' },
  });
  // No top_level.txt: names from RECORD, which also lists a cache, a script outside the site
  // and a file Debian removed.
  site.distInfo({
    name: 'py_parsing',
    version: '3.0.9',
    topLevel: null,
    files: { 'pyparsing/__init__.py': '', 'pyparsing/core.py': '' },
    extraRecord: ['pyparsing/__pycache__/core.cpython-311.pyc,,', '../../../bin/pyparsing-cli,,', 'gone_module.py,,'],
  });
  site.eggInfo({
    name: 'python-apt',
    version: '2.6.0',
    topLevel: ['apt', 'apt_pkg'],
    files: { 'apt/__init__.py': '', 'apt_pkg.cpython-311-x86_64-linux-gnu.so': '', 'apt_pkg-stubs/__init__.pyi': '' },
    requiresTxt: 'six\n[test]\npytest\n',
  });
  site.eggInfo({ name: 'oldstyle', version: '0.1', form: 'file', files: { 'oldstyle.py': '' } });
  site.eggInfo({
    name: 'pipinstalled',
    version: '1.0',
    topLevel: ['pipinstalled'],
    installedFiles: true,
    files: { 'pipinstalled/__init__.py': '', 'pipinstalled/data.txt': '' },
  });
  // Debian's cryptography ships both a dist-info and an egg-info of itself.
  site.distInfo({ name: 'cryptography', version: '38.0.4', topLevel: ['cryptography'], files: { 'cryptography/__init__.py': '' } });
  site.file('cryptography.egg-info/PKG-INFO', 'Name: cryptography\nVersion: 38.0.4\n\n');
  site.file('_cffi_backend.cpython-311-x86_64-linux-gnu.so');
  site.file('distutils-precedence.pth', 'import os\n');
  site.file('__pycache__/six.cpython-311.pyc');
  return site;
}

describe('discoverGlobals', () => {
  it('reads dist-info and egg-info distributions, names and versions from their metadata', () => {
    const site = buildSite();
    const g = discoverGlobals(fakePythonInfo(), { searchPaths: [site.dir], dpkg: null });
    expect(g.distributions.map((d) => [d.name, d.normalizedName, d.version, d.format, d.metadataEntry, d.topLevel])).toEqual([
      ['cryptography', 'cryptography', '38.0.4', 'dist-info', 'cryptography-38.0.4.dist-info', ['cryptography']],
      ['oldstyle', 'oldstyle', '0.1', 'egg-info', 'oldstyle-0.1.egg-info', []],
      ['pipinstalled', 'pipinstalled', '1.0', 'egg-info', 'pipinstalled-1.0.egg-info', ['pipinstalled']],
      ['py_parsing', 'py-parsing', '3.0.9', 'dist-info', 'py_parsing-3.0.9.dist-info', ['pyparsing']],
      ['python-apt', 'python-apt', '2.6.0', 'egg-info', 'python_apt-2.6.0.egg-info', ['apt', 'apt_pkg']],
      ['PyYAML', 'pyyaml', '6.0', 'dist-info', 'PyYAML-6.0.dist-info', ['_yaml', 'yaml']],
    ]);
    expect(g.findDistribution('cryptography')?.shadowedMetadataEntries).toEqual(['cryptography.egg-info']);
  });

  it('takes file lists from RECORD (no caches, nothing outside the site) and installed-files.txt', () => {
    const site = buildSite();
    const g = discoverGlobals(fakePythonInfo(), { searchPaths: [site.dir], dpkg: null });
    const pyparsing = g.findDistribution('py-parsing');
    expect(pyparsing && g.fileList(pyparsing)).toEqual({
      source: 'RECORD',
      packages: [],
      files: [
        'py_parsing-3.0.9.dist-info/METADATA',
        'py_parsing-3.0.9.dist-info/WHEEL',
        'py_parsing-3.0.9.dist-info/RECORD',
        'pyparsing/__init__.py',
        'pyparsing/core.py',
        'gone_module.py',
      ],
    });
    const pipinstalled = g.findDistribution('pipinstalled');
    expect(pipinstalled && g.fileList(pipinstalled)?.files).toEqual([
      'pipinstalled/__init__.py',
      'pipinstalled/data.txt',
      'pipinstalled-1.0.egg-info/PKG-INFO',
      'pipinstalled-1.0.egg-info/top_level.txt',
      'pipinstalled-1.0.egg-info',
    ]);
    const apt = g.findDistribution('python-apt');
    expect(apt && g.fileList(apt)).toBeNull(); // Debian-style: no list without dpkg
    expect(apt && g.requirements(apt).map((r) => [r.name, r.extra])).toEqual([
      ['six', null],
      ['pytest', 'test'],
    ]);
  });

  it('maps modules to their owners, and finds modules no metadata claims', () => {
    const site = buildSite();
    const g = discoverGlobals(fakePythonInfo(), { searchPaths: [site.dir], dpkg: null });
    expect(g.findModule('apt_pkg')).toMatchObject({
      entries: ['apt_pkg-stubs', 'apt_pkg.cpython-311-x86_64-linux-gnu.so'],
      owners: [{ name: 'python-apt' }],
    });
    expect(g.findModule('_cffi_backend')).toEqual({
      site: site.dir,
      entries: ['_cffi_backend.cpython-311-x86_64-linux-gnu.so'],
      owners: [],
    });
    expect(g.findModule('distutils-precedence')).toBeNull();
    expect(g.findModule('six')).toBeNull();
  });

  it('lists site directories in order, deduplicated by realpath, and notes missing search paths', () => {
    const a = tempDir();
    const b = tempDir();
    const link = path.join(tempDir(), 'a-again');
    fs.symlinkSync(a, link);
    const { sites, missingSearchPaths } = listSiteDirectories({ globalSitePackages: [a, '/nonexistent/dist-packages'] }, [
      b,
      link,
      '/nonexistent/search',
    ]);
    expect(sites.map((s) => [s.path, s.origin])).toEqual([
      [a, 'interpreter'],
      [b, 'search-path'],
    ]);
    expect(missingSearchPaths).toEqual(['/nonexistent/search']);
  });

  it('finds the first distribution of a name in path order', () => {
    const first = new FakeSite();
    const second = new FakeSite();
    first.distInfo({ name: 'six', version: '1.16.0', files: { 'six.py': '' } });
    second.distInfo({ name: 'six', version: '1.10.0', files: { 'six.py': '' } });
    const g = discoverGlobals(fakePythonInfo(), { searchPaths: [first.dir, second.dir], dpkg: null });
    expect(g.findDistribution('six')?.version).toBe('1.16.0');
    expect(g.distributions).toHaveLength(2);
  });
});

describe('importNameOf', () => {
  it.each([
    ['six.py', false, 'six'],
    ['apt_pkg.cpython-311-x86_64-linux-gnu.so', false, 'apt_pkg'],
    ['_yaml.abi3.so', false, '_yaml'],
    ['yaml', true, 'yaml'],
    ['apt_pkg-stubs', true, null],
    ['numpy.libs', true, null],
    ['PyYAML-6.0.dist-info', true, null],
    ['x.pth', false, null],
    ['__pycache__', true, null],
  ] as const)('%s', (entry, isDir, expected) => {
    expect(importNameOf(entry, isDir)).toBe(expected);
  });
});
