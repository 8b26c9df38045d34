/**
 * Issue 9, items 1–3 and 9: nothing in a state file makes envbuild run code or delete outside
 * what it owns. State is signed with a per-user key (ENVBUILD_CONFIG_DIR here, inside the
 * test's own directory); a state that does not verify is read for planning, but no recipe,
 * removal command or pip it names is run. A directory is removed as an environment only
 * while it carries the id recorded for it; a part owns only what it created; one manifest
 * never acts on another's environments. Decoys outside the project are compared before/after.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { cli, makeScenario, stateFile } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function outside(prefix = 'envbuild-decoy-'): string {
  return tempDir(prefix);
}

const readJson = (file: string): Json => JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('state is signed: what an unsigned state names is never run', () => {
  it('a part added to state by hand (a removal command, a recipe module) runs nothing; plan and apply say why', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const decoy = outside();
    const evil = path.join(decoy, 'evil.mjs');
    // A recipe module that leaves a mark the moment it is imported.
    fs.writeFileSync(evil, `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(path.join(decoy, 'imported'))}, 'x');\nexport default { name: 'evil', version: '1', options: {}, async apply() { return {}; }, async remove() {} };\n`);
    const state = readJson(stateFile(p.dir));
    const record = (recipe: string, options: Json) => ({ recipe, version: '1', fingerprint: 'x', options, outputs: {}, created: [] });
    state['environments']['app']['parts']['cmd'] = record('command', { command: 'true', 'remove-command': `id > ${path.join(decoy, 'ran')}` });
    state['environments']['app']['parts']['mod'] = record(evil, {});
    fs.writeFileSync(stateFile(p.dir), JSON.stringify(state, null, 2));
    const before = snapshotTree(decoy, { mtimes: true });

    const plan = cli(p.dir, ['plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/note: \S+env\.yaml\.state\.json is not signed by this user's key \(\S+state-key\).*no recipe, removal command or pip it names is run/);
    const r = cli(p.dir, ['apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('is not signed by this user');
    expect(r.stdout).toContain('parts: mod removed, cmd removed');
    expect(fs.existsSync(path.join(decoy, 'ran'))).toBe(false);
    expect(fs.existsSync(path.join(decoy, 'imported'))).toBe(false);
    expect(snapshotTree(decoy, { mtimes: true })).toEqual(before);
    // Recorded again, signed: the next run is quiet and the forged parts are gone.
    expect(Object.keys(readJson(stateFile(p.dir))['environments']['app']['parts'])).toEqual(['note']);
    const again = cli(p.dir, ['plan']);
    expect(again.stdout).not.toContain('not signed');
    expect(again.stdout).toContain('No changes');
  });

  it('a signed state’s removal command does run, and state, key and directories are private (0600/0700)', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      cmd: {recipe: command, command: "true", remove-command: "touch removed-mark"}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
    expect(mode(stateFile(p.dir))).toBe('600');
    expect(mode(path.join(p.dir, '.cache', 'config', 'state-key'))).toBe('600');
    expect(mode(path.join(p.dir, '.cache', 'config'))).toBe('700');
    expect(mode(path.join(p.dir, '.envbuild'))).toBe('700');
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    expect(fs.existsSync(path.join(p.dir, 'removed-mark'))).toBe(true);
  });
});

describe('removal is confirmed by the disk', () => {
  it('a forged state naming a directory outside the project (with exact digests) deletes nothing there', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const victim = outside('envbuild-victim-');
    fs.writeFileSync(path.join(victim, 'precious.txt'), 'precious', { mode: 0o644 });
    fs.chmodSync(path.join(victim, 'precious.txt'), 0o644);
    const state = readJson(stateFile(p.dir));
    const app = state['environments']['app'];
    state['environments']['old'] = { ...app, path: victim, parts: {}, entries: [{ path: 'precious.txt', digest: { kind: 'file', sha256: sha256('precious'), mode: 0o644 } }] };
    delete state['environments']['old']['sitePackages'];
    delete state['environments']['old']['parents'];
    fs.writeFileSync(stateFile(p.dir), JSON.stringify(state, null, 2));
    const before = snapshotTree(victim, { mtimes: true });
    for (const command of ['plan', 'apply', 'destroy']) {
      const r = cli(p.dir, [command]);
      expect(r.code, command).toBe(1);
      expect(r.stdout + r.stderr).toContain(`refusing to remove ${victim}: it is outside the project, the manifest does not declare it, and the state that names it is not signed`);
    }
    expect(snapshotTree(victim, { mtimes: true })).toEqual(before);
  });

  it('an environment whose marker no longer carries the recorded id is forgotten, not deleted', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const cfg = path.join(p.dir, 'envs', 'app', 'pyvenv.cfg');
    expect(fs.readFileSync(cfg, 'utf8')).toMatch(/^envbuild-id = [0-9a-f]{32}$/m);
    expect(readJson(stateFile(p.dir))['environments']['app']['id']).toMatch(/^[0-9a-f]{32}$/);
    // Somebody else's environment now stands there (another id).
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/envbuild-id = \w+/, `envbuild-id = ${'0'.repeat(32)}`));
    const before = snapshotTree(path.join(p.dir, 'envs'), { mtimes: true });
    const r = cli(p.dir, ['destroy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kept envs\/app: not removed: it does not carry the id envbuild recorded for it \(envbuild-id [0-9a-f]{32} in pyvenv\.cfg; it carries 0{32}\)/);
    expect(snapshotTree(path.join(p.dir, 'envs'), { mtimes: true })).toEqual(before);
  });
});

describe('a part owns only what it created', () => {
  it('a recipe claiming the manifest is refused before anything is recorded; destroy keeps the manifest', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      greedy: {recipe: ./recipes/greedy.mjs}\n`);
    fs.writeFileSync(
      path.join(p.dir, 'recipes', 'greedy.mjs'),
      `import path from 'node:path';\nexport default { name: 'greedy', version: '1', options: {}, async apply(ctx) { return { created: [path.join(ctx.manifestDir, 'env.yaml')] }; } };\n`,
    );
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`part app.greedy (greedy): created path ${p.manifest} is the manifest; nothing was recorded for it`);
    expect(JSON.stringify(readJson(stateFile(p.dir))['environments']['app']['parts'])).not.toContain('env.yaml');
    expect(cli(p.dir, ['destroy']).code).toBe(0);
    expect(fs.existsSync(p.manifest)).toBe(true);
  });

  it('the file recipe writing a file that already existed (same content) does not own it; its new parent directories it does', (ctx) => {
    const python = debianPython(ctx, 11);
    fs.mkdirSync(path.join(outside(), 'x'), { recursive: true });
    const p = makeScenario(
      `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      mine: {recipe: file, path: notes.txt, content: "mine\\n"}\n      deep: {recipe: file, path: "\${environments.app.path}/etc/deep/app.ini", content: "x\\n"}\n`,
    );
    fs.writeFileSync(path.join(p.dir, 'notes.txt'), 'mine\n');
    const r = cli(p.dir, ['apply']);
    expect(r.code, r.stderr).toBe(0);
    const parts = readJson(stateFile(p.dir))['environments']['app']['parts'];
    expect(parts['mine']['created']).toEqual([]);
    expect(parts['deep']['created'].map((c: Json) => c['path'])).toEqual(['envs/app/etc', 'envs/app/etc/deep', 'envs/app/etc/deep/app.ini']);
    const d = cli(p.dir, ['destroy']);
    expect(d.code, d.stderr).toBe(0);
    expect(fs.readFileSync(path.join(p.dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    // Everything envbuild made is gone, envs/ and .envbuild/ included (issue 9.11, 15.2).
    expect(fs.readdirSync(p.dir).sort()).toEqual(['.cache', 'env.yaml', 'notes.txt', 'pylock.app.toml', 'recipes']);
  });
});

describe('one manifest, one state', () => {
  it('applying a base manifest leaves the environments of the manifest extending it alone', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nextends: [base.yaml]\nenvironments:\n  a:\n    python: ${python}\n`);
    fs.writeFileSync(path.join(p.dir, 'base.yaml'), `envbuild: 1\nenvironments:\n  b:\n    python: ${python}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const before = snapshotTree(path.join(p.dir, 'envs'), { mtimes: true });
    const r = cli(p.dir, ['apply', 'base.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/base\.yaml:\d+:\d+: \S+\/envs\/b is an environment of the manifest env\.yaml beside this one; a manifest never acts on another's environments/);
    expect(snapshotTree(path.join(p.dir, 'envs'), { mtimes: true })).toEqual(before);
    expect(fs.readdirSync(path.join(p.dir, '.envbuild')).sort()).toEqual(['env.yaml.state.json']);
  });

  it('an absolute path holding an environment envbuild made for another project is refused, even when identical', (ctx) => {
    const python = debianPython(ctx, 11);
    const shared = path.join(outside(), 'app');
    const yaml = `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    path: ${shared}\n`;
    const first = makeScenario(yaml);
    expect(cli(first.dir, ['apply']).code).toBe(0);
    const before = snapshotTree(shared, { mtimes: true });
    const second = makeScenario(yaml);
    const r = cli(second.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${shared} already exists and was not created by envbuild (it holds`);
    expect(r.stderr).toContain('it is an environment envbuild created for another project');
    expect(cli(second.dir, ['destroy']).stdout).toContain('Nothing to destroy');
    expect(snapshotTree(shared, { mtimes: true })).toEqual(before);
  });

  it('a version-1 .envbuild/state.json is taken over by the manifest it belongs to, and nothing is rebuilt', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    // What the previous version wrote: absolute paths, no id, no MAC, one file for the directory.
    const v2 = readJson(stateFile(p.dir));
    const app = v2['environments']['app'];
    const abs = (rel: string) => path.join(p.dir, rel);
    const v1 = {
      format: 'envbuild-state',
      version: 1,
      writtenBy: '0.1.0',
      environments: {
        app: {
          path: abs(app['path']),
          inputs: app['inputs'],
          entries: app['entries'],
          parts: { note: { ...app['parts']['note'], created: app['parts']['note']['created'].map((c: Json) => ({ ...c, path: abs(c['path']) })) } },
          sitePackages: path.join(abs(app['path']), app['sitePackages']),
        },
      },
    };
    fs.rmSync(stateFile(p.dir));
    fs.writeFileSync(path.join(p.dir, '.envbuild', 'state.json'), JSON.stringify(v1, null, 2));
    const before = snapshotTree(path.join(p.dir, 'envs'), { mtimes: true });
    const plan = cli(p.dir, ['plan']);
    expect(plan.stdout).toContain('state.json from an earlier envbuild is taken over as env.yaml.state.json');
    expect(plan.stdout).toContain('No changes');
    const r = cli(p.dir, ['apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(p.dir, '.envbuild'))).toEqual(['env.yaml.state.json']);
    expect(readJson(stateFile(p.dir))['environments']['app']['id']).toBe(app['id']);
    expect(snapshotTree(path.join(p.dir, 'envs'), { mtimes: true })).toEqual(before);
    expect(cli(p.dir, ['plan']).stdout).not.toContain('note:');
  });
});
