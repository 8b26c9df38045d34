import { describe, expect, it } from 'vitest';
import {
  compareVersionStrings,
  parseRequest,
  rangeMatches,
  rangePitfall,
  type PythonRequest,
  type RangeRequest,
} from '../../src/python/version-request.js';

function parsed(text: string): PythonRequest {
  const result = parseRequest(text);
  if (!result.ok) throw new Error(`${text}: ${result.message}`);
  return result.request;
}

function range(text: string): RangeRequest {
  const request = parsed(text);
  if (request.kind !== 'range') throw new Error(`${text} parsed as ${request.kind}`);
  return request;
}

/** Which of these versions a request accepts. */
function accepted(text: string, versions: readonly string[]): string[] {
  const request = range(text);
  return versions.filter((v) => rangeMatches(request, v.split('.').map(Number)));
}

const MACHINE = ['2.7.18', '3.6.15', '3.10.13', '3.11.0', '3.11.2', '3.11.7', '3.12.0', '3.12.1', '3.13.0'];

describe('parseRequest', () => {
  it('tells the three forms apart', () => {
    expect(parsed('/usr/bin/python3')).toEqual({ kind: 'path', text: '/usr/bin/python3', path: '/usr/bin/python3' });
    expect(parsed('python3.12')).toEqual({ kind: 'command', text: 'python3.12', name: 'python3.12' });
    expect(parsed('pypy3')).toMatchObject({ kind: 'command', name: 'pypy3' });
    expect(parsed('3.11')).toMatchObject({ kind: 'range', clauses: [{ op: '==', release: [3, 11], wildcard: true }] });
    expect(parsed('  >=3.10   <3.13 ')).toMatchObject({ kind: 'range', text: '>=3.10 <3.13' });
  });

  it.each([
    ['3', ['3.6.15', '3.10.13', '3.11.0', '3.11.2', '3.11.7', '3.12.0', '3.12.1', '3.13.0']],
    ['3.11', ['3.11.0', '3.11.2', '3.11.7']],
    ['3.11.*', ['3.11.0', '3.11.2', '3.11.7']],
    ['3.12.1', ['3.12.1']],
    ['>=3.10 <3.13', ['3.10.13', '3.11.0', '3.11.2', '3.11.7', '3.12.0', '3.12.1']],
    ['>=3.10,<3.13', ['3.10.13', '3.11.0', '3.11.2', '3.11.7', '3.12.0', '3.12.1']],
    ['>= 3.10 , < 3.12', ['3.10.13', '3.11.0', '3.11.2', '3.11.7']],
    ['~=3.11', ['3.11.0', '3.11.2', '3.11.7', '3.12.0', '3.12.1', '3.13.0']],
    ['~=3.11.1', ['3.11.2', '3.11.7']],
    ['==3.11.*', ['3.11.0', '3.11.2', '3.11.7']],
    ['==3.11', ['3.11.0']],
    ['<=3.12', ['2.7.18', '3.6.15', '3.10.13', '3.11.0', '3.11.2', '3.11.7', '3.12.0']],
    ['>3.12', ['3.12.1', '3.13.0']],
    ['>=3.11,!=3.11.2,!=3.12.*', ['3.11.0', '3.11.7', '3.13.0']],
    ['2', ['2.7.18']],
  ])('%s accepts what PEP 440 says', (text, expected) => {
    expect(accepted(text, MACHINE)).toEqual(expected);
  });

  it.each([
    ['', 'the python request is empty'],
    ['   ', 'the python request is empty'],
    ['=3.11', '"=3.11": "=" is not an operator'],
    ['===3.11', 'arbitrary equality'],
    ['>=', '">=": expected a version after ">=" at column 3'],
    ['>=3.10,', 'trailing comma'],
    ['3.11 <3.13', "a bare version can't be combined"],
    ['>=3.1x', '"3.1x" is not a version'],
    ['3.13.0rc1', "pre-release and post-release versions (\"3.13.0rc1\") can't be requested as a range"],
    ['3.11.2.1', 'more than three numbers'],
    ['>=3.11.*', '".*" is only allowed after == or !='],
    ['~=3', '"~=" needs at least two numbers'],
    ['./venv/bin/python', 'is a relative path'],
    ['bin/python', 'is a relative path'],
    ['~/.pyenv/shims/python', '"~" is not expanded'],
    ['python 3', 'is not a valid command name'],
    ['cpython@3.12', 'is not a valid command name'],
  ])('rejects %j with a reason', (text, reason) => {
    expect(parseRequest(text)).toMatchObject({ ok: false, message: expect.stringContaining(reason), hint: expect.stringMatching(/\S/) });
  });

  it('points out the PEP 440 readings people trip on', () => {
    expect(rangePitfall(range('==3.11'))).toBe('"==3.11" means exactly 3.11.0 (PEP 440); write "3.11" or "==3.11.*" for any 3.11.x');
    expect(rangePitfall(range('<=3.12'))).toBe('"<=3.12" excludes later 3.12.x releases (PEP 440); write "<3.13" to include them');
    expect(rangePitfall(range('>=3.10 <3.13'))).toBeUndefined();
  });
});

describe('compareVersionStrings', () => {
  it('orders releases, pre-releases and checkout builds as PEP 440 does', () => {
    const shuffled = ['3.13.0', '3.9.18', '3.13.0rc1', '3.13.0a2', '3.13.0b1', '3.13.0+', '3.10.13', '2.7.18', '3.13.0a10'];
    expect([...shuffled].sort(compareVersionStrings)).toEqual([
      '2.7.18',
      '3.9.18',
      '3.10.13',
      '3.13.0a2',
      '3.13.0a10',
      '3.13.0b1',
      '3.13.0rc1',
      '3.13.0',
      '3.13.0+',
    ]);
  });
});
