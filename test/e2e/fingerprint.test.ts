/**
 * The no-op fast path: a signed state records a fingerprint (inode, size, mtime, ctime) of each
 * file envbuild wrote, and a plan confirms an unchanged file with one lstat instead of a read and
 * a hash. Every test here is a real change the fast path must not mistake for "unchanged".
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { makeProject, type Project } from '../helpers/project.js';

const manifest = (python: string, prompt = 'app') => `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    prompt: ${prompt}\n`;
const stateOf = (p: Project) => JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));

function applied(python: string): Project {
  const p = makeProject(manifest(python));
  const r = p.run('apply');
  expect(r.code, r.stderr).toBe(0);
  return p;
}

describe('fingerprints of recorded files (no-op fast path)', () => {
  it('records a fingerprint for every file entry, and a no-op stays a no-op', (ctx) => {
    const p = applied(debianPython(ctx, 11));
    const entries = stateOf(p).environments.app.entries as Array<{ path: string; digest: { kind: string }; stat?: string }>;
    const files = entries.filter((e) => e.digest.kind === 'file');
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const st = fs.lstatSync(path.join(p.env('app'), f.path), { bigint: true });
      expect(f.stat).toBe(`${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
    }
    expect(entries.filter((e) => e.digest.kind !== 'file').every((e) => e.stat === undefined)).toBe(true);
    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('an edit that keeps the size and restores the mtime is still seen, and repaired', (ctx) => {
    const p = applied(debianPython(ctx, 11));
    const file = path.join(p.env('app'), 'bin', 'activate');
    const before = fs.statSync(file, { bigint: true });
    const text = fs.readFileSync(file, 'utf8');
    const edited = text.replace('deactivate', 'DEACTIVATE');
    expect(edited.length).toBe(text.length);
    // `touch -r` copies the timestamps to the nanosecond, as a careful tool restoring them would.
    const ref = path.join(p.dir, 'ref');
    expect(spawnSync('touch', ['-r', file, ref]).status).toBe(0);
    fs.writeFileSync(file, edited);
    expect(spawnSync('touch', ['-r', ref, file]).status).toBe(0);
    const after = fs.statSync(file, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);

    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(2);
    expect(plan.stdout).toContain('bin/activate edited');
    expect(p.run('apply').code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
  });

  it('a deleted file and a file replaced by another of the same size are seen', (ctx) => {
    const p = applied(debianPython(ctx, 11));
    const cfg = path.join(p.env('app'), 'pyvenv.cfg');
    fs.rmSync(path.join(p.env('app'), 'bin', 'activate.fish'));
    // Renamed over the path: a new inode with the old size and mtime.
    const other = `${cfg}.other`;
    const text = fs.readFileSync(cfg, 'utf8');
    fs.writeFileSync(other, text.replace('= false', '= FALSE'));
    const st = fs.statSync(cfg);
    fs.utimesSync(other, st.atime, st.mtime);
    fs.renameSync(other, cfg);

    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(2);
    expect(plan.stdout).toContain('bin/activate.fish missing');
    expect(plan.stdout).toContain('pyvenv.cfg edited');
  });

  it('a changed manifest input is not a no-op, though every file still has its fingerprint', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = applied(python);
    p.write(manifest(python, 'renamed'));
    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(2);
    expect(plan.stdout).toContain('~ app   update');
    expect(plan.stdout).toMatch(/prompt/);
    expect(p.run('apply').code).toBe(0);
    expect(fs.readFileSync(path.join(p.env('app'), 'pyvenv.cfg'), 'utf8')).toContain("prompt = 'renamed'");
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
  });

  it('an unsigned state is not believed: its fingerprints are ignored and the file is read', (ctx) => {
    const p = applied(debianPython(ctx, 11));
    const file = path.join(p.env('app'), 'bin', 'activate');
    // Edit the file, then forge the state so its fingerprint matches the edited file.
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('deactivate', 'DEACTIVATE'));
    const st = fs.lstatSync(file, { bigint: true });
    const state = stateOf(p);
    for (const e of state.environments.app.entries) if (e.path === 'bin/activate') e.stat = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    fs.writeFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), JSON.stringify(state, null, 2));

    const plan = p.run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(2);
    expect(plan.stdout).toContain('bin/activate edited');
  });

  it('a malformed fingerprint makes the state corrupt, not believed', (ctx) => {
    const p = applied(debianPython(ctx, 11));
    const state = stateOf(p);
    const e = state.environments.app.entries.find((x: { path: string }) => x.path === 'bin/activate');
    e.stat = 'anything';
    fs.writeFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), JSON.stringify(state, null, 2));
    const plan = p.run('plan');
    expect(plan.code).not.toBe(0);
    expect(plan.stderr).toContain('entries[');
  });
});
