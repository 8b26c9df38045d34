import { describe, expect, it } from 'vitest';
import { evaluateMarker, markerEnvironment, parseMarker } from '../../src/isolation/markers.js';
import { parseRequirement, parseRequiresTxt, requirementApplies } from '../../src/isolation/requirements.js';
import { fakePythonInfo } from '../helpers/fake-python.js';

const py311 = markerEnvironment(fakePythonInfo());
const py27 = markerEnvironment(
  fakePythonInfo({ version: '2.7.18', versionInfo: [2, 7, 18], soabi: null, extensionSuffixes: ['.so', 'module.so'] }),
);

describe('markerEnvironment', () => {
  it('describes the target interpreter, machine from its ABI tag', () => {
    expect(py311).toMatchObject({
      python_version: '3.11',
      python_full_version: '3.11.2',
      implementation_name: 'cpython',
      platform_python_implementation: 'CPython',
      os_name: 'posix',
      sys_platform: 'linux',
      platform_system: 'Linux',
      platform_machine: 'x86_64',
      extra: '',
    });
    const arm = markerEnvironment(fakePythonInfo({ soabi: 'cpython-311-aarch64-linux-gnu', extensionSuffixes: ['.so'] }));
    expect(arm.platform_machine).toBe('aarch64');
  });
});

describe('markers', () => {
  const cases: Array<[string, boolean, boolean]> = [
    ['python_version < "3"', false, true],
    ['python_version >= "3.8"', true, false],
    ['python_version > "3.9"', true, false], // a string comparison would say "3.11" < "3.9"
    ['python_full_version >= "3.11.1"', true, false],
    ['python_version == "3.11.*"', true, false],
    ['python_version == "3.1.*"', false, false],
    ['python_full_version == "3.11.*"', true, false],
    ['sys_platform == "linux" and platform_machine == "x86_64"', true, true],
    ['sys_platform == "win32" or (os_name == "posix" and implementation_name == "cpython")', true, true],
    ['"linux" in sys_platform', true, true],
    ['platform_system not in "Windows Darwin"', true, true],
    ["python_implementation == 'CPython'", true, true],
    ['extra == "test"', false, false],
  ];
  it.each(cases)('%s', (marker, on311, on27) => {
    const node = parseMarker(marker);
    expect(evaluateMarker(node, py311)).toBe(on311);
    expect(evaluateMarker(node, py27)).toBe(on27);
  });

  it('rejects what is not a marker', () => {
    expect(() => parseMarker('python_version <')).toThrow(/invalid environment marker/);
    expect(() => parseMarker('color == "red"')).toThrow(/unknown variable color/);
    expect(() => parseMarker('python_version == "3')).toThrow(/unterminated/);
  });
});

describe('requirements', () => {
  it('parses Requires-Dist forms', () => {
    expect(parseRequirement('pyparsing (!=3.0.0,<4,>=2.4.2) ; python_version > "3.0"')).toMatchObject({
      name: 'pyparsing',
      normalizedName: 'pyparsing',
      specifier: '!=3.0.0,<4,>=2.4.2',
      marker: 'python_version > "3.0"',
      extra: null,
    });
    expect(parseRequirement('Zope.Interface[docs, test]>=5; extra == "ssh"')).toMatchObject({
      normalizedName: 'zope-interface',
      extras: ['docs', 'test'],
      specifier: '>=5',
      marker: 'extra == "ssh"',
    });
    expect(parseRequirement('pkg @ https://example.org/p;x.whl ; os_name == "posix"')).toMatchObject({
      name: 'pkg',
      specifier: null,
      marker: 'os_name == "posix"',
    });
    expect(parseRequirement('# comment')).toBeNull();
  });

  it('parses requires.txt sections: [extra], [:marker], [extra:marker]', () => {
    const reqs = parseRequiresTxt(
      ['six', 'attrs>=20', '', '[:python_version < "3"]', 'mock', '', '[ssh]', 'bcrypt>=3.1.5', '', '[test:python_version < "3"]', 'futures', ''].join('\n'),
    );
    expect(reqs.map((r) => [r.name, r.extra, r.marker])).toEqual([
      ['six', null, null],
      ['attrs', null, null],
      ['mock', null, 'python_version < "3"'],
      ['bcrypt', 'ssh', null],
      ['futures', 'test', 'python_version < "3"'],
    ]);
    const applies = reqs.map((r) => requirementApplies(r, py311).applies);
    expect(applies).toEqual([true, true, false, false, false]);
  });

  it('never follows a requirement under an extra, nor one whose marker fails', () => {
    const underExtra = parseRequirement('pytest; extra == "test"');
    const py2Only = parseRequirement('futures; python_version < "3"');
    const broken = parseRequirement('x; python_version <<< "3"');
    expect(underExtra && requirementApplies(underExtra, py311)).toEqual({ applies: false, why: 'extra' });
    expect(py2Only && requirementApplies(py2Only, py311)).toEqual({ applies: false, why: 'marker' });
    expect(broken && requirementApplies(broken, py311)).toMatchObject({ applies: false, why: 'invalid-marker' });
  });
});
