/**
 * .envbuild/state.json is untrusted input: whatever is wrong with it, apply and destroy refuse
 * it with a clear message and exit 1, and nothing on disk changes — not the project, and not a
 * victim file outside it that a forged state names with its exact digest. A missing state with
 * environments on disk: what matches the manifest exactly is adopted, anything else reported.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { cli, makeScenario, normalisedState, normalisedTree, resetTo } from './harness.js';
import { tempDir } from '../helpers/temp-dir.js';

type Env = Record<string, unknown> & { path: string; entries: unknown[]; parts: Record<string, Record<string, unknown> & { created: unknown[] }> };
type State = { version: unknown; environments: Record<string, Env> } & Record<string, unknown>;

interface Case {
  readonly name: string;
  /** Returns the new state text, given the project's real state and the places involved. */
  readonly corrupt: (state: State, text: string, at: { project: string; victim: string; victimFile: { sha256: string; mode: number } }) => string;
  readonly message: RegExp;
}

const json = (s: unknown) => JSON.stringify(s, null, 2);

const CASES: Case[] = [
  { name: 'truncated JSON', corrupt: (_s, text) => text.slice(0, Math.floor(text.length / 2)), message: /it is not valid JSON/ },
  { name: 'not a state file', corrupt: () => '[]', message: /it is not an envbuild state file/ },
  { name: 'a newer version', corrupt: (s) => json({ ...s, version: 3, writtenBy: '9.0.0' }), message: /written by a newer envbuild \(state version 3, this one reads up to 2; written by envbuild 9\.0\.0\)/ },
  { name: 'version of the wrong type', corrupt: (s) => json({ ...s, version: '1' }), message: /"version" is not an integer/ },
  { name: 'environments of the wrong type', corrupt: (s) => json({ ...s, environments: [] }), message: /"environments" is not an object/ },
  { name: 'entries of the wrong type', corrupt: (s) => json(edit(s, (e) => ((e as Record<string, unknown>)['entries'] = 'bin'))), message: /environments\.app\.entries is not a list/ },
  {
    name: 'a digest of the wrong type',
    corrupt: (s) => json(edit(s, (e) => (e.entries[0] = { path: 'bin', digest: { kind: 'file', sha256: 7 } }))),
    message: /environments\.app\.entries\[0\] is malformed/,
  },
  { name: 'inputs of the wrong type', corrupt: (s) => json(edit(s, (e) => (e['inputs'] = { python: 3 }))), message: /environments\.app\.inputs is malformed/ },
  { name: 'a bad environment name', corrupt: (s) => json({ ...s, environments: { '../x': s.environments['app'] } }), message: /bad environment name "\.\.\/x"/ },
  {
    name: 'an entry escaping with ../',
    corrupt: (s, _t, at) => json(edit(s, (e) => e.entries.push({ path: `../../../${path.basename(at.victim)}/victim.txt`, digest: { kind: 'file', ...at.victimFile } }))),
    message: /entries\[\d+\]\.path "\.\.\/\.\.\/\.\.\/[^"]+" escapes the environment/,
  },
  {
    name: 'an absolute entry path',
    corrupt: (s, _t, at) => json(edit(s, (e) => e.entries.push({ path: path.join(at.victim, 'victim.txt'), digest: { kind: 'file', ...at.victimFile } }))),
    message: /escapes the environment/,
  },
  {
    name: 'a root of /',
    corrupt: (s, _t, at) =>
      json(edit(s, (e) => ((e.path = '/'), (e.entries = [{ path: path.join(at.victim, 'victim.txt').slice(1), digest: { kind: 'file', ...at.victimFile } }])))),
    message: /environments\.app\.path is not a normalised absolute path/,
  },
  {
    name: 'a non-normalised root',
    corrupt: (s, _t, at) => json(edit(s, (e) => (e.path = `${at.project}/envs/../envs/app`))),
    message: /environments\.app\.path is not a normalised absolute path/,
  },
  {
    name: 'a root containing the project',
    corrupt: (s, _t, at) => json(edit(s, (e) => (e.path = path.dirname(at.project)))),
    message: /environments\.app\.path \S+ contains the project itself/,
  },
  {
    name: 'a root inside the project leading outside through a symbolic link',
    corrupt: (s, _t, at) => {
      fs.symlinkSync(at.victim, path.join(at.project, 'envs', 'evil'));
      const evil: Env = { ...s.environments['app']!, path: `${at.project}/envs/evil`, parts: {}, entries: [{ path: 'victim.txt', digest: { kind: 'file', ...at.victimFile } }] };
      delete evil['sitePackages'];
      return json({ ...s, environments: { ...s.environments, evil } });
    },
    message: /environments\.evil\.path \S+\/envs\/evil leads outside the project through a symbolic link \(to \S+\)/,
  },
  {
    name: 'a root in another envbuild project (a copied state)',
    corrupt: (s, _t, at) => {
      fs.mkdirSync(path.join(at.victim, '.envbuild'), { recursive: true });
      fs.writeFileSync(path.join(at.victim, '.envbuild', 'state.json'), '{}');
      return json(edit(s, (e) => ((e.path = path.join(at.victim, 'envs', 'app')), delete e['sitePackages'], (e.parts = {}))));
    },
    message: /lies in another envbuild project \(\S+\); was this state copied from there\?/,
  },
  {
    name: 'sitePackages outside the environment',
    corrupt: (s, _t, at) => json(edit(s, (e) => (e['sitePackages'] = at.victim))),
    message: /environments\.app\.sitePackages is not a normalised absolute path inside the environment/,
  },
  { name: 'a malformed part record', corrupt: (s) => json(edit(s, (e) => ((e.parts['note'] as Record<string, unknown>)['created'] = 'share'))), message: /environments\.app\.parts\.note is malformed/ },
  {
    name: 'a part created path outside the project',
    corrupt: (s, _t, at) => json(edit(s, (e) => e.parts['note']!.created.push({ path: path.join(at.victim, 'victim.txt'), kind: 'file', ...at.victimFile }))),
    message: /environments\.app\.parts\.note\.created\[\d\] "[^"]+victim\.txt" is outside the environment and the project/,
  },
  {
    name: 'a non-normalised part created path',
    corrupt: (s, _t, at) =>
      json(edit(s, (e) => e.parts['note']!.created.push({ path: `${at.project}/envs/app/../../../${path.basename(at.victim)}/victim.txt`, kind: 'file', ...at.victimFile }))),
    message: /environments\.app\.parts\.note\.created\[\d\] "[^"]+" is not a normalised absolute path/,
  },
];

function edit(s: State, f: (env: State['environments'][string]) => void): State {
  const copy = JSON.parse(JSON.stringify(s)) as State;
  f(copy.environments['app']!);
  return copy;
}

const withoutCache = (lines: string[]) => lines.filter((l) => !l.startsWith('.cache'));

describe('a hostile state file', () => {
  it(`is refused with a clear message, exit 1, and nothing acted on (${CASES.length} cases, apply and destroy)`, (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const built = tempDir('envbuild-hostile-built-');
    resetTo(built, p.dir);
    const statePath = path.join(p.dir, '.envbuild', 'env.yaml.state.json');
    const text = fs.readFileSync(statePath, 'utf8');

    const problems: string[] = [];
    for (const c of CASES) {
      resetTo(p.dir, built);
      const victim = tempDir('envbuild-victim-');
      fs.writeFileSync(path.join(victim, 'victim.txt'), 'precious', { mode: 0o644 });
      fs.chmodSync(path.join(victim, 'victim.txt'), 0o644);
      const victimFile = { sha256: createHash('sha256').update('precious').digest('hex'), mode: 0o644 };
      fs.writeFileSync(statePath, c.corrupt(JSON.parse(text) as State, text, { project: p.dir, victim, victimFile }));
      const before = { project: withoutCache(snapshotTree(p.dir, { mtimes: true })), victim: snapshotTree(victim, { mtimes: true }) };
      for (const command of ['apply', 'destroy']) {
        const r = cli(p.dir, [command]);
        const where = `${c.name}, ${command}`;
        if (r.code !== 1) problems.push(`${where}: exit ${r.code}`);
        if (!c.message.test(r.stderr)) problems.push(`${where}: message ${JSON.stringify(r.stderr)} does not match ${c.message}`);
        if (!/^envbuild: refusing to use .*state\.json|newer envbuild/.test(r.stderr) || !/hint: (nothing was changed|upgrade envbuild; the file is left untouched)/.test(r.stderr)) {
          problems.push(`${where}: unclear message ${JSON.stringify(r.stderr)}`);
        }
        if (/\n\s+at /.test(r.stderr)) problems.push(`${where}: stack trace`);
      }
      if (JSON.stringify(withoutCache(snapshotTree(p.dir, { mtimes: true }))) !== JSON.stringify(before.project)) problems.push(`${c.name}: the project changed`);
      if (JSON.stringify(snapshotTree(victim, { mtimes: true })) !== JSON.stringify(before.victim)) problems.push(`${c.name}: the victim changed`);
    }
    expect(problems).toEqual([]);
  });
});

describe('a missing state with environments on disk', () => {
  it('adopts an environment that matches the manifest exactly; its parts run again and own nothing that was already there', (ctx) => {
    const python = debianPython(ctx, 11);
    // The part writes inside a directory of the environment's own layout.
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi, dir: lib/extra}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    const tree = normalisedTree(p.dir);
    const state = normalisedState(p.dir);
    fs.rmSync(path.join(p.dir, '.envbuild'), { recursive: true });

    const plan = cli(p.dir, ['plan']);
    expect(plan.stdout).toContain('found on disk exactly as the manifest describes it: adopting it');
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created app (envs/app): no files changed; parts: note created');
    expect(normalisedTree(p.dir)).toEqual(tree);
    // A path that existed before a part ran is never recorded as created (issue 9.3): the
    // part's files from the lost state are the user's now, and destroy keeps them.
    const adopted = normalisedState(p.dir) as { environments: { app: { parts: { note: { created: unknown[] } } } } };
    const before = state as typeof adopted;
    expect(adopted.environments.app.parts.note.created).toEqual([]);
    // Nor is envs/, which was there before this apply.
    const strip = (s: typeof adopted) => ({ ...s, environments: { app: { ...s.environments.app, parts: {}, parents: undefined } } });
    expect(strip(adopted)).toEqual(strip(before));
  });

  it('reports, and never overwrites, an environment with anything more or different in it', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeScenario(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      note: {recipe: ./recipes/note.mjs, text: hi}\n`);
    expect(cli(p.dir, ['apply']).code).toBe(0);
    fs.rmSync(path.join(p.dir, '.envbuild'), { recursive: true });
    const before = withoutCache(snapshotTree(p.dir, { mtimes: true }));
    const r = cli(p.dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(p.dir, 'envs', 'app')} already exists and was not created by envbuild (it holds 7 entries: .gitignore, bin, include, lib, …; not part of the environment: share); move it away`);
    expect(withoutCache(snapshotTree(p.dir, { mtimes: true }))).toEqual(before);

    // The same with a generated file edited rather than a file added.
    fs.renameSync(path.join(p.dir, 'envs', 'app', 'share'), path.join(p.dir, 'share-moved'));
    fs.appendFileSync(path.join(p.dir, 'envs', 'app', 'pyvenv.cfg'), '# mine\n');
    const edited = withoutCache(snapshotTree(p.dir, { mtimes: true }));
    const again = cli(p.dir, ['apply']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists and was not created by envbuild (it holds 6 entries: .gitignore, bin, include, lib, …; different from what envbuild writes: pyvenv.cfg)');
    expect(withoutCache(snapshotTree(p.dir, { mtimes: true }))).toEqual(edited);
  });
});
