/** The test wheel builder makes valid, reproducible wheels (checked with Python's zipfile). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDebianPython, findPyenvPython, requirePresent } from './require-python.js';
import { tempDir } from './temp-dir.js';
import { buildWheel } from './wheel.js';

const scratch = tempDir('envbuild-wheel-');

const spec = {
  name: 'Hello.World',
  version: '2.0',
  modules: { 'hello_world/__init__.py': 'X = 1\n', 'hello_world/data,1.txt': 'comma in the name\n' },
  requires: ['six>=1.10', 'tomli; python_version < "3.11"'],
  entryPoints: { console_scripts: { hello: 'hello_world:main' } },
};

const CHECK = String.raw`
import base64, csv, hashlib, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
names = z.namelist()
record = [n for n in names if n.endswith('.dist-info/RECORD')][0]
rows = list(csv.reader(io.StringIO(z.read(record).decode())))
for path, digest, size in rows:
    if path == record:
        continue
    data = z.read(path)
    assert digest == 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode(), path
    assert int(size) == len(data), path
meta = z.read(record.replace('RECORD', 'METADATA')).decode()
print(json.dumps({'names': names, 'metadata': meta, 'rows': len(rows)}))
`;

describe('buildWheel', () => {
  it('writes a wheel Python reads, with a RECORD that verifies, byte-for-byte reproducibly', async (ctx) => {
    const python = requirePresent(ctx, findPyenvPython('3.12') ?? findDebianPython(11), 'a Python 3 interpreter');
    const a = await buildWheel(path.join(scratch, 'a'), spec);
    const b = await buildWheel(path.join(scratch, 'b'), spec);
    expect(path.basename(a)).toBe('hello_world-2.0-py3-none-any.whl');
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);

    const r = spawnSync(python, ['-I', '-c', CHECK, a], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { names: string[]; metadata: string; rows: number };
    expect(out.names).toEqual([
      'hello_world/__init__.py',
      'hello_world/data,1.txt',
      'hello_world-2.0.dist-info/METADATA',
      'hello_world-2.0.dist-info/WHEEL',
      'hello_world-2.0.dist-info/entry_points.txt',
      'hello_world-2.0.dist-info/RECORD',
    ]);
    expect(out.metadata).toContain('Name: Hello.World\nVersion: 2.0\nRequires-Dist: six>=1.10\nRequires-Dist: tomli; python_version < "3.11"\n');
    expect(out.rows).toBe(6);
  });

  it('refuses member paths that escape the wheel', async () => {
    await expect(buildWheel(scratch, { ...spec, modules: { '../evil.py': '' } })).rejects.toThrow(/relative POSIX path/);
  });
});
