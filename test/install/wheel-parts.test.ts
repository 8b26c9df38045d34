import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { parseScriptEntryPoints, rewriteShebang, scriptText, shebang, versionedScripts } from '../../src/install/entry-points.js';
import { formatRecord, parseRecord } from '../../src/install/record.js';
import { parseWheelFilename } from '../../src/install/wheel-filename.js';

describe('wheel file names', () => {
  it('expands compressed tag sets and reads build tags', () => {
    expect(parseWheelFilename('six-1.16.0-py2.py3-none-any.whl')).toMatchObject({ name: 'six', version: '1.16.0', build: null, tags: ['py2-none-any', 'py3-none-any'] });
    expect(parseWheelFilename('numpy-2.0.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')).toMatchObject({
      build: '1',
      tags: ['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64'],
    });
  });
  it('refuses what is not a wheel name', () => {
    expect(() => parseWheelFilename('../evil-1.0-py3-none-any.whl')).toThrow(UserError);
    expect(() => parseWheelFilename('pkg-1.0.tar.gz')).toThrow(/is not a wheel file name/);
  });
});

describe('RECORD', () => {
  it('reads quoted CSV and writes it back sorted', () => {
    const text = 'b.py,sha256=abc,3\r\n"dir/with,comma.py",sha256=def,4\n"q""uote.py",,\n';
    const rows = parseRecord(text);
    expect(rows.map((r) => r.path)).toEqual(['b.py', 'dir/with,comma.py', 'q"uote.py']);
    expect(formatRecord(rows)).toBe('b.py,sha256=abc,3\n"dir/with,comma.py",sha256=def,4\n"q""uote.py",,\n');
  });
});

describe('entry points and scripts', () => {
  it("validates names with pip's rule plus no path separators, before anything is written", () => {
    for (const bad of ['../x', 'a/b', '/abs', 'a b', '[x', '..']) {
      expect(() => parseScriptEntryPoints(`[console_scripts]\n${bad} = m:f\n`, 'w.whl'), bad).toThrow(/refusing entry point name/);
    }
    expect(() => parseScriptEntryPoints('[console_scripts]\nx = module\n', 'w.whl')).toThrow(/a callable suffix is required/);
    expect(parseScriptEntryPoints('[console_scripts]\nx.y-z = pkg.mod:obj.attr [extra]\n[gui_scripts]\ng = m:f\n[other]\nignored = a:b\n', 'w.whl')).toEqual([
      { name: 'x.y-z', module: 'pkg.mod', attribute: 'obj.attr', gui: false },
      { name: 'g', module: 'm', attribute: 'f', gui: true },
    ]);
  });

  it("rewrites pip's versioned scripts for the target interpreter, as pip does", () => {
    const points = parseScriptEntryPoints('[console_scripts]\npip = pip._internal.cli.main:main\npip3 = pip._internal.cli.main:main\npip3.9 = pip._internal.cli.main:main\n', 'pip.whl');
    expect(versionedScripts(points, '3.12').map((p) => p.name)).toEqual(['pip', 'pip3', 'pip3.12']);
  });

  it('uses /bin/sh to start interpreters whose path is too long or has a space, as distlib does', () => {
    expect(shebang('/env/bin/python')).toBe('#!/env/bin/python\n');
    const long = `/${'x'.repeat(130)}/bin/python`;
    expect(shebang(long)).toBe(`#!/bin/sh\n'''exec' ${long} "$0" "$@"\n' '''`);
    expect(shebang('/my env/bin/python')).toBe(`#!/bin/sh\n'''exec' "/my env/bin/python" "$0" "$@"\n' '''`);
    expect(scriptText({ name: 'x', module: 'a.b', attribute: 'c.d', gui: false }, '/e/bin/python')).toBe(
      "#!/e/bin/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom a.b import c\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(c.d())\n",
    );
  });

  it('rewrites only a #!python first line', () => {
    expect(rewriteShebang(Buffer.from('#!python3 -u\nprint(1)\n'), '/e/bin/python')?.toString()).toBe('#!/e/bin/python\nprint(1)\n');
    expect(rewriteShebang(Buffer.from('#!/bin/sh\necho\n'), '/e/bin/python')).toBeUndefined();
  });
});
