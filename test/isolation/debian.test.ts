/**
 * Against the real Debian packages of this machine: /usr/bin/python3.11 with python3-apt,
 * python3-gi, python3-yaml, python3-dbus, python3-six in /usr/lib/python3/dist-packages.
 * Skipped with a note where they are absent, failed under CI=true.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors/user-error.js';
import { discoverGlobals } from '../../src/isolation/discover-globals.js';
import { DpkgDatabase } from '../../src/isolation/dpkg.js';
import { OVERLAY_DIR, renderOverlay } from '../../src/isolation/overlay.js';
import { joinInside } from '../../src/layout/safe-path.js';
import { resolveAllowlist } from '../../src/isolation/resolve-allowlist.js';
import type { AllowEntry, IsolationSpec } from '../../src/manifest/types.js';
import type { PythonInfo } from '../../src/python/interpreter.js';
import { probeInterpreter } from '../../src/python/probe.js';
import { tempDir } from '../helpers/temp-dir.js';
import { at, fakePythonInfo } from '../helpers/fake-python.js';
import { debianPython, requirePresent, type SkippableContext } from '../helpers/require-python.js';
import { writeMiniVenv, writeTree } from '../helpers/write-tree.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const DIST_PACKAGES = '/usr/lib/python3/dist-packages';
const NEEDED = ['python3-apt', 'python3-gi', 'python3-yaml', 'python3-dbus', 'python3-six'];

async function debian(t: SkippableContext): Promise<PythonInfo> {
  const exe = debianPython(t, 11);
  const dpkg = DpkgDatabase.open();
  requirePresent(t, dpkg ?? undefined, 'dpkg (/var/lib/dpkg)');
  for (const pkg of NEEDED) requirePresent(t, dpkg?.isInstalled(pkg) ? pkg : undefined, `Debian package ${pkg}`);
  return probeInterpreter(exe);
}

type Unlocated = AllowEntry extends infer E ? (E extends AllowEntry ? Omit<E, 'at'> : never) : never;

function cherryPick(allow: Unlocated[], dependencies: IsolationSpec['dependencies'] = 'follow'): IsolationSpec {
  return { mode: 'cherry-pick', allow: allow.map((e, i) => ({ ...e, at: at(5 + i) }) as AllowEntry), searchPaths: [], dependencies };
}

describe('on Debian with python3.11', () => {
  it('discovers dist-packages', async (t) => {
    const python = await debian(t);
    const g = discoverGlobals(python, { dpkg: null });
    expect(g.sites.map((s) => s.path)).toContain(DIST_PACKAGES);
  });

  it('resolves python-apt, PyYAML and deb python3-gi with their real top-level names', async (t) => {
    const python = await debian(t);
    const allowlist = resolveAllowlist(
      cherryPick([{ kind: 'dist', name: 'python-apt' }, { kind: 'dist', name: 'pyyaml', version: '>=5' }, { kind: 'deb', name: 'python3-gi' }]),
      python,
    );
    const byName = new Map(allowlist.distributions.map((d) => [d.name, d]));
    expect([...byName.keys()]).toEqual(['PyGObject', 'python-apt', 'PyYAML']); // by normalised name
    const apt = byName.get('python-apt');
    expect(apt).toMatchObject({ location: DIST_PACKAGES, format: 'egg-info', debPackages: ['python3-apt'] });
    expect(apt?.topLevel).toEqual(['apt', 'apt_inst', 'apt_pkg', 'aptsources']);
    expect(apt?.expose).toEqual([
      'apt',
      'apt_inst-stubs',
      expect.stringMatching(/^apt_inst\.cpython-311-.*\.so$/),
      'apt_pkg-stubs',
      expect.stringMatching(/^apt_pkg\.cpython-311-.*\.so$/),
      'aptsources',
      expect.stringMatching(/^python_apt-.*\.egg-info$/),
    ]);
    // Debian's PyYAML keeps its extension inside the package: yaml/_yaml.cpython-311-….so, and _yaml/ is a package.
    expect(byName.get('PyYAML')).toMatchObject({ topLevel: ['_yaml', 'yaml'], debPackages: ['python3-yaml'], format: 'dist-info' });
    expect(byName.get('PyYAML')?.expose).toEqual([expect.stringMatching(/^PyYAML-.*\.dist-info$/), '_yaml', 'yaml']);
    expect(byName.get('PyGObject')).toMatchObject({ topLevel: ['gi', 'pygtkcompat'], debPackages: ['python3-gi'] });
    expect(byName.get('PyGObject')?.reasons).toEqual([{ kind: 'allowed', entry: { kind: 'deb', name: 'python3-gi', at: at(7) } }]);
    // PyGObject declares pycairo: where python3-cairo is not installed that is said, not fatal.
    // Other declared requirements this machine lacks may be said too, and nothing else.
    const warnings = allowlist.warnings.map((w) => w.message);
    const cairo = DpkgDatabase.open()?.isInstalled('python3-cairo') ?? false;
    expect(warnings.some((m) => /^PyGObject .* requires "pycairo.*", which is not installed/.test(m))).toBe(!cairo);
    expect(warnings.filter((m) => !/ requires ".*", which is not installed/.test(m))).toEqual([]);
  });

  it('follows the dpkg Depends closure where the metadata under-declares', async (t) => {
    const python = await debian(t);
    const dpkg = DpkgDatabase.open();
    requirePresent(t, dpkg?.isInstalled('python3-lazr.restfulclient') ? true : undefined, 'Debian package python3-lazr.restfulclient');
    const allowlist = resolveAllowlist(cherryPick([{ kind: 'dist', name: 'lazr.restfulclient' }]), python);
    const names = allowlist.distributions.map((d) => d.name);
    // lazr.restfulclient's requires.txt names none of these; its Debian package does.
    expect(names).toEqual(expect.arrayContaining(['lazr.restfulclient', 'lazr.uri', 'wadllib', 'httplib2', 'oauthlib', 'distro', 'six']));
    const wadllib = allowlist.distributions.find((d) => d.name === 'wadllib');
    expect(wadllib?.reasons).toContainEqual({
      kind: 'dependency',
      of: 'lazr.restfulclient',
      via: 'dpkg',
      requirement: 'python3-lazr.restfulclient → python3-wadllib',
    });
    // oauthlib → python3-cryptography → python3-cffi-backend-api-min, provided by python3-cffi-backend.
    expect(allowlist.modules.map((m) => m.name)).toEqual(expect.arrayContaining(['_cffi_backend', 'pkg_resources']));
    const lazrUri = allowlist.distributions.find((d) => d.name === 'lazr.uri');
    expect(lazrUri?.expose).toContain('lazr'); // both owners of lazr/ are allowed: linked whole

    // Alone, lazr.uri gets its portion of the shared namespace only.
    const alone = resolveAllowlist(cherryPick([{ kind: 'dist', name: 'lazr.uri' }], 'ignore'), python);
    expect(alone.distributions[0]?.expose).toEqual([expect.stringMatching(/^lazr\.uri-.*\.egg-info$/), 'lazr/uri']);
  });

  it('refuses extensions tagged cpython-311 for a 3.12 target sharing dist-packages', async (t) => {
    // This machine's multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu, …), from the interpreter.
    const triplet = (await debian(t)).soabi!.replace(/^cpython-311-/, '');
    const tag = `cpython-312-${triplet}`;
    const py312 = fakePythonInfo({ versionInfo: [3, 12, 1], globalSitePackages: [DIST_PACKAGES], soabi: tag, extensionSuffixes: [`.${tag}.so`, '.abi3.so', '.so'] });
    let caught: unknown;
    try {
      resolveAllowlist(cherryPick([{ kind: 'dist', name: 'python-apt' }, { kind: 'dist', name: 'six' }]), py312);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    const errors = (caught as ManifestError).diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location).toEqual(at(5));
    expect(errors[0]?.message).toBe(
      `python-apt has extension modules built for another interpreter: ${DIST_PACKAGES}/apt_inst.cpython-311-${triplet}.so, ${DIST_PACKAGES}/apt_pkg.cpython-311-${triplet}.so; ` +
        `/opt/fake/bin/python3.12 (Python 3.12.2) loads only .${tag}.so, .abi3.so, .so`,
    );
  });

  it('builds an environment that imports exactly the allowed packages, leaving the global tree alone', async (t) => {
    const python = await debian(t);
    const allowlist = resolveAllowlist(cherryPick([{ kind: 'dist', name: 'python-apt' }, { kind: 'dist', name: 'PyYAML' }]), python);
    const root = path.join(tempDir('envbuild-deb-'), 'ubuntu');
    const bin = writeMiniVenv(root, { executable: python.executable, version: python.version, sitePackages: python.venvScheme.purelib });
    writeTree(root, renderOverlay(allowlist, { manifestFile: '/project/env.yaml', environment: 'ubuntu', root, python }));
    const before = snapshotTree(DIST_PACKAGES, { by: 'metadata' });

    // Neither PYTHONDONTWRITEBYTECODE from this shell nor a user's PYTHONPATH may decide the result.
    const env = { PATH: process.env['PATH'] ?? '' };
    const run = (exe: string, code: string): string => execFileSync(exe, ['-c', code], { encoding: 'utf8', env }).trim();
    expect(run(bin, 'import apt, apt_pkg, yaml; apt_pkg.init(); print(apt_pkg.VERSION != "", yaml.__file__)')).toBe(
      `True ${path.join(joinInside(root, OVERLAY_DIR), 'yaml', '__init__.py')}`,
    );
    const blocked = run(
      bin,
      [
        'out = []',
        'for m in ("six", "dbus", "gi", "cryptography", "pip"):',
        '    try:',
        '        __import__(m); out.append(m + ":imported")',
        '    except ImportError:',
        '        out.append(m + ":blocked")',
        'print(" ".join(out))',
      ].join('\n'),
    );
    expect(blocked).toBe('six:blocked dbus:blocked gi:blocked cryptography:blocked pip:blocked');
    const versionCode = 'import importlib.metadata as m; print(m.version("PyYAML"))';
    expect(run(bin, versionCode)).toBe(run(python.executable, versionCode));
    expect(run(bin, 'import importlib.metadata as m; print(m.version("python-apt"))')).toBe(
      allowlist.distributions.find((d) => d.name === 'python-apt')?.version,
    );

    expect(snapshotTree(DIST_PACKAGES, { by: 'metadata' })).toEqual(before);
  });
});
