/**
 * PEP 751's rules as envbuild checks them on every lock it reads (an untrusted file naming
 * files to install): each broken rule is reported, naming where, and a valid lock has none.
 */
import { describe, expect, it } from 'vitest';
import { lockProblems } from '../../src/lock/validate-lock.js';

const H = 'e'.repeat(64);
type Doc = Record<string, unknown>;
const tool = () => ({
  envbuild: { environment: 'a', inputs: 'sha256:x', isolation: 'full', layout: 'venv', resolver: 'r', python: { implementation: 'cpython', version: '3.11.2', platform: 'linux', tag: 't' } },
});
const doc = (packages: unknown, extra: Doc = {}): Doc => ({ 'lock-version': '1.0', 'created-by': 'x', packages, tool: tool(), ...extra });
const wheel = (extra: Doc = {}) => ({ name: 'a-1-py3-none-any.whl', path: 'a.whl', hashes: { sha256: H }, ...extra });
const problemsOf = (...packages: unknown[]) => lockProblems(doc(packages));

describe('lock rules', () => {
  it('accept every source kind, a pin without one, and wheels beside an sdist', () => {
    expect(
      problemsOf(
        { name: 'a', version: '1', wheels: [wheel(), wheel({ name: 'a-1-py2-none-any.whl', path: undefined, url: 'https://h/a.whl' })], sdist: { path: 'a.tar.gz', hashes: { sha256: H } } },
        { name: 'b', version: '1', archive: { url: 'https://h/b.zip', hashes: { sha512: 'x' } } },
        { name: 'c', directory: { path: '.', editable: true } },
        { name: 'd', version: '1', tool: { envbuild: { source: 'pinned: pip had no --report' } }, dependencies: [{ name: 'a' }], marker: 'os_name == "posix"', 'requires-python': '>=3' },
        { name: 'a', version: '2', wheels: [wheel()] },
        { name: 'A.b_c-9', version: '1', wheels: [wheel()] },
      ),
    ).toEqual([]);
    expect(lockProblems(doc([], { tool: { envbuild: { ...tool().envbuild, allowlist: [{ name: 'n', version: 'v', location: 'l', reason: 'r' }] } } }))).toEqual([]);
  });

  it('refuse what is not a table at every level', () => {
    expect(lockProblems('text')).toEqual(['the file is not a TOML table']);
    expect(lockProblems(null)).toEqual(['the file is not a TOML table']);
    expect(lockProblems([])).toEqual(['the file is not a TOML table']);
    expect(lockProblems(new Date())).toEqual(['the file is not a TOML table']);
    expect(problemsOf('x', [], new Date())).toEqual(['packages[0] must be a table', 'packages[1] must be a table', 'packages[2] must be a table']);
    expect(problemsOf({ name: 'a', version: '1', wheels: ['x'] })).toEqual(['packages[0].wheels[0] must be a table']);
  });

  it('refuse a header without lock-version 1.0, created-by or packages', () => {
    expect(lockProblems({ 'lock-version': 1, 'created-by': '', tool: tool() })).toEqual(['lock-version must be "1.0" (found 1)', 'created-by is required', 'packages is required (an array of tables)']);
    expect(lockProblems({ 'created-by': 3, packages: {}, tool: tool() })).toEqual(['lock-version must be "1.0" (found null)', 'created-by is required', 'packages is required (an array of tables)']);
  });

  it('refuse package names, versions and fields of the wrong kind', () => {
    expect(problemsOf({ name: '-bad', version: 1, marker: 2, 'requires-python': false, dependencies: 'x', wheels: [wheel()] })).toEqual([
      'packages[0].name is required and must be a valid distribution name',
      'packages[0].version must be a string',
      'packages[0].marker must be a string',
      'packages[0].requires-python must be a string',
      'packages[0].dependencies must be an array of tables',
    ]);
    for (const name of ['', 'a b', 'a-', '.a', 'a/b', 7]) expect(problemsOf({ name, version: '1', wheels: [wheel()] }), String(name)).toEqual(['packages[0].name is required and must be a valid distribution name']);
    expect(problemsOf({ version: '1', wheels: [wheel()] })).toEqual(['packages[0].name is required and must be a valid distribution name']);
    expect(problemsOf({ name: 'a', version: '1', dependencies: [{ name: 'b' }, 'c'], wheels: [wheel()] })).toEqual(['packages[0].dependencies must be an array of tables']);
  });

  it('refuse a package with no source, or with two kinds of source', () => {
    expect(problemsOf({ name: 'a', version: '1' })).toEqual(['packages[0] has no source (one of vcs, directory, archive, sdist, wheels)']);
    expect(problemsOf({ name: 'a', version: '1', tool: { envbuild: { source: 'not pinned' } } })).toEqual(['packages[0] has no source (one of vcs, directory, archive, sdist, wheels)']);
    expect(problemsOf({ name: 'a', version: '1', tool: { envbuild: { source: 3 } } })).toHaveLength(1);
    expect(problemsOf({ name: 'a', version: '1', tool: 'pinned' })).toHaveLength(1);
    expect(problemsOf({ name: 'a', version: '1', archive: { path: 'a.zip', hashes: { sha256: H } }, wheels: [wheel()] })).toEqual(['packages[0] has more than one source kind: archive, wheels']);
    expect(problemsOf({ name: 'a', version: '1', archive: { path: 'a.zip', hashes: { sha256: H } }, sdist: { path: 'a.tgz', hashes: { sha256: H } } })).toEqual(['packages[0] has more than one source kind: archive, sdist']);
  });

  it('refuse files without a place or a usable hash, and unusable paths', () => {
    expect(problemsOf({ name: 'a', version: '1', wheels: [] })).toEqual(['packages[0].wheels must be a non-empty array']);
    expect(problemsOf({ name: 'a', version: '1', wheels: 'a.whl' })).toEqual(['packages[0].wheels must be a non-empty array']);
    expect(problemsOf({ name: 'a', version: '1', wheels: [{ hashes: {} }] })).toEqual([
      'packages[0].wheels[0].name is required',
      'packages[0].wheels[0] needs a url or a path',
      'packages[0].wheels[0].hashes is required (at least one hash)',
    ]);
    expect(problemsOf({ name: 'a', version: '1', sdist: { path: '', hashes: { sha256: H.toUpperCase() } } })).toEqual([
      'packages[0].sdist.path is not a usable path',
      'packages[0].sdist.hashes.sha256 must be 64 lowercase hex digits',
    ]);
    expect(problemsOf({ name: 'a', version: '1', archive: { path: 'a\0b', url: 3, hashes: { sha256: 5 } } })).toEqual([
      'packages[0].archive.path is not a usable path',
      'packages[0].archive.hashes.sha256 must be 64 lowercase hex digits',
    ]);
    expect(problemsOf({ name: 'a', version: '1', archive: { url: 'https://h/a', hashes: 'sha256' } })).toEqual(['packages[0].archive.hashes is required (at least one hash)']);
    expect(problemsOf({ name: 'a', version: '1', archive: { url: 'https://h/a', hashes: { sha256: `${H}0` } } })).toEqual(['packages[0].archive.hashes.sha256 must be 64 lowercase hex digits']);
    expect(problemsOf({ name: 'a', version: '1', archive: { url: 'https://h/a', hashes: { sha256: `x${H.slice(1)}` } } })).toEqual(['packages[0].archive.hashes.sha256 must be 64 lowercase hex digits']);
    expect(problemsOf({ name: 'a', version: '1', archive: 'a.zip' })).toEqual(['packages[0].archive must be a table']);
  });

  it('refuse a directory without a path or with a version, and version control sources', () => {
    expect(problemsOf({ name: 'a', directory: { editable: true } })).toEqual(['packages[0].directory.path is required']);
    expect(problemsOf({ name: 'a', directory: 'src' })).toEqual(['packages[0].directory.path is required']);
    expect(problemsOf({ name: 'a', directory: { path: '' } })).toEqual(['packages[0].directory.path is not a usable path']);
    expect(problemsOf({ name: 'a', version: '1', directory: { path: 'src' } })).toEqual(["packages[0].version must not be given for a directory (a source tree's version is not fixed)"]);
    expect(problemsOf({ name: 'a', version: '1', vcs: { type: 'git', url: 'https://h/r.git' } })).toEqual(['packages[0].vcs: envbuild does not install from version control sources']);
  });

  it('refuse a package listed twice (names compared without case)', () => {
    expect(problemsOf({ name: 'Dup', version: '1', wheels: [wheel()] }, { name: 'dup', version: '1', wheels: [wheel()] })).toEqual(['package dup 1 is listed twice']);
    expect(problemsOf({ name: 'd', directory: { path: 'a' } }, { name: 'd', directory: { path: 'b' } })).toEqual(['package d  is listed twice']);
    expect(problemsOf({ name: 'd', version: '1', wheels: [wheel()] }, { name: 'd', directory: { path: 'b' } })).toEqual([]);
  });

  it("refuse a lock without envbuild's own table, or with parts of it missing", () => {
    expect(lockProblems(doc([], { tool: undefined }))).toEqual(['[tool.envbuild] is missing: the lock was not written by envbuild']);
    expect(lockProblems(doc([], { tool: { envbuild: 'x' } }))).toEqual(['[tool.envbuild] is missing: the lock was not written by envbuild']);
    expect(lockProblems({ packages: [], tool: {} })).toEqual(['lock-version must be "1.0" (found null)', 'created-by is required', '[tool.envbuild] is missing: the lock was not written by envbuild']);
    expect(lockProblems(doc([], { tool: { envbuild: {} } }))).toEqual([
      'tool.envbuild.environment is required',
      'tool.envbuild.inputs is required',
      'tool.envbuild.isolation is required',
      'tool.envbuild.layout is required',
      'tool.envbuild.resolver is required',
      'tool.envbuild.python is required',
    ]);
    expect(lockProblems(doc([], { tool: { envbuild: { ...tool().envbuild, python: { implementation: 1 } } } }))).toEqual([
      'tool.envbuild.python.implementation is required',
      'tool.envbuild.python.version is required',
      'tool.envbuild.python.platform is required',
      'tool.envbuild.python.tag is required',
    ]);
    const bad = 'tool.envbuild.allowlist entries need name, version, location and reason';
    for (const allowlist of ['x', [{ name: 'n', version: 'v', location: 'l' }], ['x'], [{ name: 'n', version: 'v', location: 'l', reason: 'r' }, { name: 1, version: 'v', location: 'l', reason: 'r' }]]) {
      expect(lockProblems(doc([], { tool: { envbuild: { ...tool().envbuild, allowlist } } })), JSON.stringify(allowlist)).toEqual([bad]);
    }
  });
});
