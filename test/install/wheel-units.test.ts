/**
 * The installer's pure pieces, at their edges: RECORD's CSV and hashes, WHEEL and METADATA
 * headers, member paths from a wheel, entry points and the scripts made from them, link modes.
 */
import { describe, expect, it } from 'vitest';
import { isEntryPointWrapper, parseScriptEntryPoints, rewriteShebang, shebang, versionedScripts } from '../../src/install/entry-points.js';
import { parseLinkMode } from '../../src/install/link.js';
import { checkMemberPath } from '../../src/install/member-path.js';
import { formatRecord, parseRecord, parseRecordHash, recordHash } from '../../src/install/record.js';
import { canonicalName, distInfoName, parseWheelFilename } from '../../src/install/wheel-filename.js';
import { parseHeaders, parseMetadataNameVersion, parseWheelFile } from '../../src/install/wheel-metadata.js';
import { refusal } from '../helpers/user-error.js';

describe('RECORD', () => {
  it('skips blank lines, keeps a last line without newline, and reads a lone CR as a line end', () => {
    expect(parseRecord('a.py,sha256=x,1\n\n\r\nb.py,,\rc.py,sha256=y,2')).toEqual([
      { path: 'a.py', hash: 'sha256=x', size: '1' },
      { path: 'b.py', hash: '', size: '' },
      { path: 'c.py', hash: 'sha256=y', size: '2' },
    ]);
    expect(parseRecord('only-path\n')).toEqual([{ path: 'only-path', hash: '', size: '' }]);
    expect(parseRecord('"a""b,c",h\n')).toEqual([{ path: 'a"b,c', hash: 'h', size: '' }]);
    // a quote inside an unquoted field is a plain character, as Python's csv reads it
    expect(parseRecord('a"b,h,1\n')).toEqual([{ path: 'a"b', hash: 'h', size: '1' }]);
    expect(parseRecord('')).toEqual([]);
    expect(parseRecord('x,')).toEqual([{ path: 'x', hash: '', size: '' }]);
  });

  it('is written sorted, quoting fields with commas, quotes or line breaks', () => {
    expect(formatRecord([{ path: 'b\nc', hash: '', size: '' }, { path: 'a', hash: 'sha256=x', size: '3' }, { path: 'a\rb', hash: 'h,1', size: '' }])).toBe('a,sha256=x,3\n"a\rb","h,1",\n"b\nc",,\n');
    expect(formatRecord([{ path: 'same', hash: '1', size: '' }, { path: 'same', hash: '2', size: '' }])).toBe('same,1,\nsame,2,\n');
  });

  it('hashes are sha256 in urlsafe base64 without padding, read back by algorithm', () => {
    expect(recordHash(new TextEncoder().encode('hello'))).toBe('sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ');
    expect(parseRecordHash('SHA512=abc==')).toEqual({ algorithm: 'sha512', digest: 'abc' });
    expect(parseRecordHash('sha256=a=b')).toEqual({ algorithm: 'sha256', digest: 'a=b' });
    expect(parseRecordHash('=abc')).toBeUndefined();
    expect(parseRecordHash('abc')).toBeUndefined();
    expect(parseRecordHash('')).toBeUndefined();
  });
});

describe('WHEEL and METADATA', () => {
  it('read headers up to the first blank line, folding continuation lines and keeping repeats', () => {
    const h = parseHeaders('Name: demo\nClassifier: A\n  continued\n\tmore\nClassifier: B\nno colon here\n: empty key\nKey : spaced \n\nBody: ignored\n');
    expect(h.get('name')).toEqual(['demo']);
    expect(h.get('classifier')).toEqual(['A\ncontinued\nmore', 'B']);
    expect(h.get('key')).toEqual(['spaced']);
    expect(h.has('body')).toBe(false);
    expect(h.has('')).toBe(false);
    expect([...h.keys()]).toEqual(['name', 'classifier', 'key']);
    expect(parseHeaders('  leading continuation\nA: 1\r\nB: 2\r\n').get('b')).toEqual(['2']);
  });

  it('WHEEL: version 1.x only, Root-Is-Purelib true in any case, tags listed', () => {
    expect(parseWheelFile('Wheel-Version: 1.0\nRoot-Is-Purelib: TRUE\nTag: py2-none-any\nTag: py3-none-any\n', 'w.whl')).toEqual({ wheelVersion: '1.0', rootIsPurelib: true, tags: ['py2-none-any', 'py3-none-any'] });
    expect(parseWheelFile('Wheel-Version: 1.9\nRoot-Is-Purelib: false\n', 'w.whl')).toEqual({ wheelVersion: '1.9', rootIsPurelib: false, tags: [] });
    expect(parseWheelFile('Wheel-Version: 1.0\n', 'w.whl').rootIsPurelib).toBe(false);
    expect(refusal(() => parseWheelFile('Wheel-Version: 2.0\n', 'w.whl')).message).toBe('w.whl: Wheel-Version 2.0 is not supported (only 1.x)');
    expect(refusal(() => parseWheelFile('Wheel-Version: 11.0\n', 'w.whl')).message).toBe('w.whl: Wheel-Version 11.0 is not supported (only 1.x)');
    for (const bad of ['Root-Is-Purelib: true\n', 'Wheel-Version: 1\n', 'Wheel-Version: 1.0a\n', 'Wheel-Version: x1.0\n']) {
      const e = refusal(() => parseWheelFile(bad, 'w.whl'));
      expect(e.message, bad).toBe('w.whl: WHEEL has no valid Wheel-Version');
      expect(e.hint).toBe('the wheel is damaged or not a wheel');
    }
  });

  it('METADATA: Name and Version are required', () => {
    expect(parseMetadataNameVersion('Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\n', 'w.whl')).toEqual({ name: 'Demo', version: '1.0' });
    for (const bad of ['Version: 1\n', 'Name: a\n', 'Name:\nVersion: 1\n', 'Name: a\nVersion: \n']) {
      expect(refusal(() => parseMetadataNameVersion(bad, 'w.whl')).message, bad).toBe('w.whl: METADATA has no Name or Version');
    }
  });
});

describe('wheel names', () => {
  it('normalise as PEP 503 and as dist-info directories spell them', () => {
    expect(canonicalName('Zope.Interface__x--Y')).toBe('zope-interface-x-y');
    expect(distInfoName('zope.interface-x')).toBe('zope_interface_x');
    expect(distInfoName('A..b')).toBe('A_b');
  });

  it('refuse file names with spaces, separators or missing parts', () => {
    for (const bad of ['a b-1-py3-none-any.whl', 'a-1-py3-none-any.zip', 'a-1-py3-none.whl', 'dir/a-1-py3-none-any.whl', 'a\\b-1-py3-none-any.whl', 'x.a-1-py3-none-any.whl.bak', 'a-1-x-py3-none-any.whl']) {
      expect(() => parseWheelFilename(bad), bad).toThrow(/is not a wheel file name/);
    }
    expect(parseWheelFilename('A-1-PY3-NONE-ANY.WHL')).toEqual({ filename: 'A-1-PY3-NONE-ANY.WHL', name: 'A', version: '1', build: null, tags: ['PY3-NONE-ANY'] });
    expect(parseWheelFilename('a-1-2x-py3-none-any.whl').build).toBe('2x');
    expect(parseWheelFilename('a-1-cp3.pp3-abi3.none-any.whl').tags).toEqual(['cp3-abi3-any', 'cp3-none-any', 'pp3-abi3-any', 'pp3-none-any']);
  });
});

describe('member paths', () => {
  it('refuse anything that could leave the environment', () => {
    for (const bad of ['', '/etc/passwd', 'C:evil', 'c:/x', 'x:y', 'a\\b', 'a\0b', 'a//b', 'a/', './a', 'a/./b', '../a', 'a/..']) {
      const e = refusal(() => checkMemberPath(bad, 'w.whl'));
      expect(e.message, JSON.stringify(bad)).toBe(`w.whl: refusing member "${bad}": it would be written outside the environment`);
      expect(e.hint).toBe('the wheel is malformed or malicious; nothing was installed from it');
    }
    for (const good of ['a', 'a/b.py', 'a..b/c', '.hidden', 'ab:c', '1:/a']) expect(() => checkMemberPath(good, 'w.whl'), good).not.toThrow();
  });
});

describe('entry points', () => {
  it('are read as importlib.metadata reads the file: comments, blank lines, spaced sections', () => {
    const text = '# comment\n; other comment\n\n[ console_scripts ]\n  a = m:f  \nnot a pair\nb=m.n:g.h[x]\n[gui_scripts]\nc = m:f [extra1, extra2]\n[console_scripts]\nd = m:f\n';
    expect(parseScriptEntryPoints(text, 'w.whl')).toEqual([
      { name: 'a', module: 'm', attribute: 'f', gui: false },
      { name: 'b', module: 'm.n', attribute: 'g.h', gui: false },
      { name: 'd', module: 'm', attribute: 'f', gui: false },
      { name: 'c', module: 'm', attribute: 'f', gui: true },
    ]);
    expect(parseScriptEntryPoints('x = m:f\n[console_scripts]\r\ny = m:f\r\n', 'w.whl').map((p) => p.name)).toEqual(['y']);
    expect(parseScriptEntryPoints('', 'w.whl')).toEqual([]);
  });

  it('refuse values that are not module:callable and names that are not plain', () => {
    for (const bad of ['m:', ':f', 'm f:g', 'm:f g', 'm.:f', 'm:f.', 'm:f [', 'm:f[x', 'a-b:f']) {
      expect(refusal(() => parseScriptEntryPoints(`[console_scripts]\nx = ${bad}\n`, 'w.whl')).message, bad).toBe(`w.whl: invalid entry point "x = ${bad}"`);
    }
    for (const bad of ['a\\b', 'a\tb', '.', '[a']) {
      const e = refusal(() => parseScriptEntryPoints(`[gui_scripts]\n${bad} = m:f\n`, 'w.whl'));
      expect(e.message).toBe(`w.whl: refusing entry point name ${JSON.stringify(bad.trim())}: a script name must be a plain file name`);
      expect(e.hint).toBe('the wheel is malformed or malicious; report it to its publisher');
    }
    const e = refusal(() => parseScriptEntryPoints('[console_scripts]\nx = m\n', 'w.whl'));
    expect(e.message).toBe('w.whl: invalid script entry point "x = m": a callable suffix is required');
  });

  it("replace pip's and setuptools' versioned scripts, keeping GUI ones and others", () => {
    const p = (name: string, gui = false) => ({ name, module: 'm', attribute: 'f', gui });
    const names = (ps: ReturnType<typeof versionedScripts>) => ps.map((x) => x.name);
    expect(names(versionedScripts([p('pip'), p('pip3'), p('pip3.10'), p('pip310'), p('pipx'), p('pip3', true)], '3.11'))).toEqual(['pipx', 'pip3', 'pip', 'pip3', 'pip3.11']);
    expect(names(versionedScripts([p('easy_install'), p('easy_install-3.9'), p('easy_install3'), p('easy_install-3.9', true)], '3.11'))).toEqual(['easy_install3', 'easy_install-3.9', 'easy_install', 'easy_install-3.11']);
    expect(names(versionedScripts([p('pip3.10'), p('pip', true)], '3.11'))).toEqual(['pip3.10', 'pip']);
    expect(names(versionedScripts([p('easy_install-3.9')], '3.11'))).toEqual(['easy_install-3.9']);
  });

  it('use #!python directly up to 127 bytes, and spot setuptools wrappers by name', () => {
    const at = (n: number) => `/${'p'.repeat(n - 1)}`;
    expect(shebang(at(124))).toBe(`#!${at(124)}\n`);
    expect(shebang(at(125)).startsWith('#!/bin/sh\n')).toBe(true);
    expect(rewriteShebang(new TextEncoder().encode('#!python'), '/e/py') && Buffer.from(rewriteShebang(new TextEncoder().encode('#!python'), '/e/py')!).toString()).toBe('#!/e/py\n');
    expect(rewriteShebang(new TextEncoder().encode('#!pytho\n'), '/e/py')).toBeUndefined();
    const names = new Set(['tool']);
    for (const f of ['tool', 'tool.exe', 'tool.EXE', 'tool.pya', 'tool-script.py', 'tool-SCRIPT.PY']) expect(isEntryPointWrapper(f, names), f).toBe(true);
    for (const f of ['tool.py', 'tool-script.pyw', 'other.exe', 'tool.sh', 'tool.exe.exe']) expect(isEntryPointWrapper(f, names), f).toBe(false);
  });
});

describe('link modes', () => {
  it('are auto, clone, hardlink or copy; unset is undefined; anything else is refused naming its source', () => {
    for (const m of ['auto', 'clone', 'hardlink', 'copy'] as const) expect(parseLinkMode(m, 'X')).toBe(m);
    expect(parseLinkMode(undefined, 'X')).toBeUndefined();
    expect(parseLinkMode('', 'X')).toBeUndefined();
    const e = refusal(() => parseLinkMode('symlink', 'ENVBUILD_LINK_MODE'));
    expect(e.message).toBe('ENVBUILD_LINK_MODE is "symlink"; expected auto, clone, hardlink or copy');
    expect(e.code).toBe('ELINKMODE');
  });
});

describe('refusals carry their code and hint', () => {
  it('for entry points, wheel names, member paths, WHEEL and METADATA', () => {
    const ep = refusal(() => parseScriptEntryPoints('[console_scripts]\nx = -m\n', 'w.whl'));
    expect([ep.code, ep.hint]).toEqual(['EWHEEL', 'expected module:function']);
    const suffix = refusal(() => parseScriptEntryPoints('[console_scripts]\nx = m\n', 'w.whl'));
    expect([suffix.code, suffix.hint]).toEqual(['EWHEEL', 'see https://packaging.python.org/specifications/entry-points/#use-for-scripts']);
    expect(refusal(() => parseScriptEntryPoints('[console_scripts]\n[x = m:f\n', 'w.whl')).code).toBe('EWHEEL');
    const name = refusal(() => parseWheelFilename('x.tar.gz'));
    expect([name.code, name.message, name.hint]).toEqual(['EWHEELNAME', '"x.tar.gz" is not a wheel file name', 'a wheel is named {name}-{version}[-{build}]-{python tag}-{abi tag}-{platform tag}.whl (PEP 427)']);
    expect(refusal(() => checkMemberPath('../x', 'w.whl')).code).toBe('EWHEELPATH');
    const major = refusal(() => parseWheelFile('Wheel-Version: 2.0\n', 'w.whl'));
    expect([major.code, major.hint]).toEqual(['EWHEEL', 'install it with a newer installer']);
    expect(refusal(() => parseWheelFile('', 'w.whl')).code).toBe('EWHEEL');
    expect(parseWheelFile('Wheel-Version: 1.10\nRoot-Is-Purelib: true\n', 'w.whl').wheelVersion).toBe('1.10');
    const meta = refusal(() => parseMetadataNameVersion('', 'w.whl'));
    expect([meta.code, meta.hint]).toEqual(['EWHEEL', 'the wheel is damaged']);
  });

  it('entry_points.txt: comments with "=" inside a section, indented sections, a repeated spaced section, an empty name', () => {
    const text = '[console_scripts]\na = m:f\n# b = m:f\n; c = m:f\n  [gui_scripts]\ng = m:f\n[ console_scripts ]\nd = m:f\n';
    expect(parseScriptEntryPoints(text, 'w.whl').map((p) => `${p.name}${p.gui ? ' (gui)' : ''}`)).toEqual(['a', 'd', 'g (gui)']);
    expect(refusal(() => parseScriptEntryPoints('[console_scripts]\n= m:f\n', 'w.whl')).message).toBe('w.whl: refusing entry point name "": a script name must be a plain file name');
    const p = (n: string) => ({ name: n, module: 'm', attribute: 'f', gui: false });
    expect(versionedScripts([p('pip'), p('mypip3'), p('easy_install'), p('my-easy_install-3.9'), p('easy_install-3.10'), p('easy_install-10.1')], '3.11').map((x) => x.name)).toEqual([
      'mypip3',
      'my-easy_install-3.9',
      'pip',
      'pip3',
      'pip3.11',
      'easy_install',
      'easy_install-3.11',
    ]);
  });
});
