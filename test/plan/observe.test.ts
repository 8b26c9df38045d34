/** observeDisk: what the planner is told about each root and each entry path, read-only. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { observeDisk } from '../../src/plan/observe.js';
import type { DesiredEnvironment } from '../../src/plan/types.js';
import { emptyState, type StateFile } from '../../src/state/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const wantedAt = (root: string, paths: string[], derived?: string[]) =>
  ({ name: 'app', path: root, entries: paths.map((p) => ({ kind: 'dir', path: p })), ...(derived ? { derived: { paths: derived, inputs: [], build: async () => undefined } } : {}) }) as unknown as DesiredEnvironment;

describe('observeDisk', () => {
  it('observes every path wanted or recorded, per root, and the sorted top-level names', async () => {
    const dir = tempDir('envbuild-observe-');
    const root = path.join(dir, 'app');
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'z.txt'), 'z');
    for (const n of ['m', 'c', 'x', 'a', 'q', 'e']) fs.writeFileSync(path.join(root, `${n}.dat`), '');
    fs.symlinkSync('bin', path.join(root, 'link'));
    const old = path.join(dir, 'old');
    const state: StateFile = { ...emptyState('t'), environments: { old: { path: old, entries: [{ path: 'gone', digest: { kind: 'dir' } }] } as never, app: { path: root, entries: [{ path: 'link', digest: { kind: 'dir' } }] } as never } };
    const seen = await observeDisk([wantedAt(root, ['bin', 'z.txt', 'missing'], ['site.pyc'])], state);
    expect(Object.keys(seen).sort()).toEqual([root, old].sort());
    expect(seen[old]).toEqual({ children: null, entries: {} });
    expect(seen[root]!.children).toEqual(['a.dat', 'bin', 'c.dat', 'e.dat', 'link', 'm.dat', 'q.dat', 'x.dat', 'z.txt']);
    expect(Object.keys(seen[root]!.entries).sort()).toEqual(['bin', 'link', 'missing', 'site.pyc', 'z.txt']);
    expect(seen[root]!.entries['bin']).toEqual({ kind: 'dir' });
    expect(seen[root]!.entries['missing']).toEqual({ kind: 'missing' });
    expect(seen[root]!.entries['link']).toEqual({ kind: 'symlink', target: 'bin' });
    expect(seen[root]!.entries['z.txt']).toMatchObject({ kind: 'file', size: 1 });
  });


  it('fails on a root it cannot read, rather than calling it absent', async () => {
    const dir = tempDir('envbuild-observe-');
    const loop = path.join(dir, 'loop');
    fs.symlinkSync(loop, loop);
    await expect(observeDisk([wantedAt(loop, ['bin'])], emptyState('t'))).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('reads the id a root carries in its marker, and calls a file where the root should be something in the way', async () => {
    const dir = tempDir('envbuild-observe-');
    const root = path.join(dir, 'app');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'pyvenv.cfg'), `home = /usr/bin\nenvbuild-id = ${'c'.repeat(32)}\n`);
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    const seen = await observeDisk([wantedAt(root, ['pyvenv.cfg']), { ...wantedAt(file, ['bin']), name: 'f' }], emptyState('t'));
    expect(seen[root]).toMatchObject({ children: ['pyvenv.cfg'], marker: 'c'.repeat(32) });
    expect(seen[file]).toEqual({ children: ['(a file)'], entries: { bin: { kind: 'missing' } }, marker: null });
  });

  it('names the first symbolic link between the project and a root inside it, and none elsewhere', async () => {
    const project = tempDir('envbuild-observe-');
    const real = tempDir('envbuild-observe-real-');
    fs.mkdirSync(path.join(real, 'app'));
    fs.symlinkSync(real, path.join(project, 'envs'));
    fs.mkdirSync(path.join(project, 'plain', 'app'), { recursive: true });
    const through = path.join(project, 'envs', 'app');
    const plain = path.join(project, 'plain', 'app');
    const absent = path.join(project, 'absent', 'app');
    const outside = path.join(real, 'app');
    const itself = path.join(project, 'plain', 'self');
    fs.symlinkSync(outside, itself);
    const roots = [through, plain, absent, outside, project, itself].map((r, i) => ({ ...wantedAt(r, []), name: `e${i}` }));
    const seen = await observeDisk(roots, emptyState('t'), project);
    expect(seen[through]!.linked).toEqual({ path: path.join(project, 'envs'), target: real });
    expect(seen[itself]!.linked).toEqual({ path: itself, target: outside });
    for (const r of [plain, absent, outside, project]) expect(seen[r]!.linked).toBeUndefined();
    // Links outside the project, or the project's own path being one, are not its business.
    const other = tempDir('envbuild-observe-other-');
    fs.symlinkSync(real, path.join(other, 'l'));
    const projectLink = path.join(other, 'p');
    fs.symlinkSync(project, projectLink);
    const beyond = path.join(other, 'l', 'app');
    const seen2 = await observeDisk([{ ...wantedAt(beyond, []), name: 'b' }, { ...wantedAt(projectLink, []), name: 'p' }], emptyState('t'), projectLink);
    expect(seen2[beyond]!.linked).toBeUndefined();
    expect(seen2[projectLink]!.linked).toBeUndefined();
    // Without a project, nothing is checked.
    expect((await observeDisk([wantedAt(through, [])], emptyState('t')))[through]!.linked).toBeUndefined();
  });
});
