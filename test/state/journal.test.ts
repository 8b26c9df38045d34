/**
 * The state journal as a user would meet it after a run: saves appended as signed lines
 * beside the state file and read back as part of the state; folded into the state file at the
 * end (byte for byte what writeState writes); and every line envbuild did not write in that
 * place — torn by a kill, reordered, forged, from another state, naming a path outside the
 * project — not believed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureKey, macOf } from '../../src/state/key.js';
import { journalFile, journalLine, journalRoots } from '../../src/state/journal.js';
import { StateWriter } from '../../src/state/state-writer.js';
import { otherStates, readState, stateBody, statePath, writeState } from '../../src/state/store.js';
import { emptyState, type EnvironmentState, type LoadedState, type StateFile } from '../../src/state/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { recordedEnvironment } from './fixtures.js';

/** A recorded environment with a prompt, so a change shows in its record. */
function environment(root: string, prompt = 'a'): EnvironmentState {
  const base = recordedEnvironment(root);
  return recordedEnvironment(root, {
    inputs: { ...base.inputs, prompt },
    entries: [{ path: 'pyvenv.cfg', digest: { kind: 'file' as const, sha256: 'ab'.repeat(32), mode: 0o644 } }],
  });
}

let saved: string | undefined;
beforeEach(() => {
  saved = process.env['ENVBUILD_CONFIG_DIR'];
  process.env['ENVBUILD_CONFIG_DIR'] = path.join(tempDir('envbuild-key-'), 'config');
});
afterEach(() => {
  if (saved === undefined) delete process.env['ENVBUILD_CONFIG_DIR'];
  else process.env['ENVBUILD_CONFIG_DIR'] = saved;
});

/** A project, its manifest's path, and a writer continuing the state as a run would read it. */
async function project() {
  const dir = tempDir();
  const manifest = path.join(dir, 'env.yaml');
  const file = statePath(manifest);
  const journal = journalFile(file);
  const writerFor = (loaded: LoadedState) =>
    new StateWriter(manifest, {
      state: loaded.state,
      body: loaded.trust === 'signed' && loaded.journal === undefined ? (loaded.body ?? '') : '',
      ...(loaded.mac !== undefined ? { mac: loaded.mac } : {}),
      ...(loaded.journal !== undefined ? { journal: true } : {}),
    });
  return { dir, manifest, file, journal, read: () => readState(manifest, '0.1.0'), writerFor, env: (name: string, prompt = 'a') => environment(path.join(dir, 'envs', name), prompt) };
}

const withEnvs = (state: StateFile, envs: Record<string, EnvironmentState | null>, over: Partial<StateFile> = {}): StateFile => {
  const environments = { ...state.environments };
  for (const [name, env] of Object.entries(envs)) {
    if (env) environments[name] = env;
    else delete environments[name];
  }
  return { ...state, ...over, environments };
};

/** A run: a state with `a` written whole, then b added, a changed, `creating` set and c added and removed, as lines. */
async function journalled() {
  const p = await project();
  const writer = p.writerFor(await p.read());
  let state = withEnvs(emptyState('0.1.0'), { a: p.env('a') }, { creating: { b: 5 } });
  expect(await writer.write(state, ['a'])).toBe(true);
  const base = fs.readFileSync(p.file, 'utf8');
  const states: StateFile[] = [];
  const step = async (next: StateFile, changed: string[]) => {
    expect(await writer.write(next, changed)).toBe(true);
    states.push(next);
    state = next;
  };
  await step(withEnvs(state, { b: p.env('b') }, { creating: {} }), ['b']);
  await step(withEnvs(state, { a: p.env('a', 'changed') }), ['a']);
  await step(withEnvs(state, { c: p.env('c') }, { creating: { d: 7 } }), ['c']);
  await step(withEnvs(state, { c: null }, { writtenBy: '0.2.0' }), ['c']);
  return { ...p, writer, base, states, final: state };
}

/** The state as a read gives it back: where it was written, and no empty `creating`. */
const asRead = (p: { dir: string }, state: StateFile) => {
  const { creating, ...rest } = state;
  return { ...rest, manifest: 'env.yaml', project: p.dir, ...(creating && Object.keys(creating).length > 0 ? { creating } : {}) };
};
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);

describe('a run that saves in lines', () => {
  it('leaves the state file as it was and each change as one line, read back as the state', async () => {
    const j = await journalled();
    expect(fs.readFileSync(j.file, 'utf8')).toBe(j.base);
    expect(lines(j.journal)).toHaveLength(4);
    expect(fs.statSync(j.journal).mode & 0o777).toBe(0o600);
    // Only what changed is in a line: the second holds a, not b.
    expect(JSON.parse(lines(j.journal)[1]!.slice(65)).environments).toEqual({ a: expect.objectContaining({ path: 'envs/a' }) });
    const read = await j.read();
    expect(read).toMatchObject({ trust: 'signed', notes: [], journal: j.journal });
    expect(read.state).toEqual(asRead(j, j.final));
    // Not taken for another manifest's state.
    expect(await otherStates(j.manifest)).toEqual([]);
  });

  it('folds the journal into a state file byte for byte as writeState writes it, and removes it', async () => {
    const j = await journalled();
    const replayed = (await j.read()).state;
    expect(await j.writer.finish(j.final)).toBe(true);
    expect(fs.existsSync(j.journal)).toBe(false);
    const compacted = fs.readFileSync(j.file, 'utf8');
    const read = await j.read();
    expect(read).not.toHaveProperty('journal');
    expect(read.state).toEqual(replayed);
    expect(stateBody(read.state, j.manifest)).toBe(stateBody(replayed, j.manifest));
    await writeState(j.manifest, j.final);
    expect(fs.readFileSync(j.file, 'utf8')).toBe(compacted);
    expect(await j.writer.finish(j.final)).toBe(false);
  });

  it('writes nothing when nothing changed: no line, no journal', async () => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const before = fs.statSync(p.file, { bigint: true });
    const loaded = await p.read();
    const writer = p.writerFor(loaded);
    expect(await writer.write(withEnvs(loaded.state, { a: p.env('a') }), ['a', 'b'])).toBe(false);
    expect(await writer.finish(loaded.state)).toBe(false);
    expect(fs.readdirSync(path.dirname(p.file))).toEqual(['env.yaml.state.json']);
    expect(fs.statSync(p.file, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
  });

  it('folds the journal in as it outgrows the state file, not before', async () => {
    const p = await project();
    const writer = p.writerFor(await p.read());
    let state = withEnvs(emptyState('0.1.0'), { a: p.env('a') });
    await writer.write(state, ['a']);
    // About 150 kB a line, carried by one option string (cheap to write, read and compare, so
    // the test is fast): past 1 MiB, and only then, the journal goes into the file.
    const bulky = (name: string) => {
      const env = p.env(name);
      const note = env.parts['note']!;
      return { ...env, parts: { note: { ...note, options: { ...note.options, text: name.repeat(75_000) } } } };
    };
    // The journal's size after each write that left it in place.
    const sizes: number[] = [];
    for (let i = 0; i < 9; i++) {
      state = withEnvs(state, { [`e${i}`]: bulky(`e${i}`) });
      await writer.write(state, [`e${i}`]);
      if (!fs.existsSync(p.journal)) break;
      sizes.push(fs.statSync(p.journal).size);
    }
    expect(fs.existsSync(p.journal)).toBe(false);
    // Each line is ~150 kB: not folded at 1 MiB minus a line, folded once the next one passed it.
    const line = sizes[0]!;
    expect(line).toBeGreaterThan(140_000);
    expect(sizes.at(-1)).toBeGreaterThan((1 << 20) - line);
    expect(sizes.at(-1)).toBeLessThanOrEqual(1 << 20);
    expect((await p.read()).state).toEqual(asRead(p, state));
  });

  it('after a kill between the fold and the removal of the journal, believes the file and removes the journal next time', async () => {
    const j = await journalled();
    const journal = fs.readFileSync(j.journal);
    await j.writer.finish(j.final);
    fs.writeFileSync(j.journal, journal, { mode: 0o600 });
    const read = await j.read();
    expect(read).toMatchObject({ trust: 'signed', notes: [], journal: j.journal });
    expect(read.state).toEqual(asRead(j, j.final));
    // The next write is a whole file, and the journal goes.
    const next = withEnvs(read.state, { e: j.env('e') });
    expect(await j.writerFor(read).write(next, ['e'])).toBe(true);
    expect(fs.existsSync(j.journal)).toBe(false);
    expect((await j.read()).state).toEqual(asRead(j, next));
  });
});

describe('lines that are not believed', () => {
  it('a last line torn by a kill: dropped, silently', async () => {
    const j = await journalled();
    const text = fs.readFileSync(j.journal, 'utf8');
    fs.writeFileSync(j.journal, text.slice(0, text.length - 40));
    const read = await j.read();
    expect(read.notes).toEqual([]);
    expect(read.state).toEqual(asRead(j, j.states[2]!));
  });

  it('reordered lines: believed up to the first out of place', async () => {
    const j = await journalled();
    const [l1, l2, l3, l4] = lines(j.journal);
    fs.writeFileSync(j.journal, `${[l1, l3, l2, l4].join('\n')}\n`);
    const read = await j.read();
    expect(read.state).toEqual(asRead(j, j.states[0]!));
    expect(read.notes).toEqual([`${j.journal}: line 2 and after are ignored: out of order; the changes they record are treated as unknown`]);
  });

  it('an edited line, or one signed with another key: believed up to it', async () => {
    const j = await journalled();
    const all = lines(j.journal);
    fs.writeFileSync(j.journal, `${[all[0], all[1]!.replace('"prompt":"changed"', '"prompt":"evil"'), all[2], all[3]].join('\n')}\n`);
    let read = await j.read();
    expect(read.state).toEqual(asRead(j, j.states[0]!));
    expect(read.notes).toEqual([`${j.journal}: line 2 and after are ignored: not signed by this user's key; the changes they record are treated as unknown`]);

    // A line made as envbuild makes them, in its place, but with another key.
    const prev = all[0]!.slice(0, 64);
    const forged = journalLine(Buffer.alloc(32, 7), prev, { writtenBy: 'x', environments: new Map([['a', JSON.stringify({ ...j.env('a', 'evil'), path: 'envs/a' })]]) });
    fs.writeFileSync(j.journal, `${all[0]}\n${forged.line}`);
    read = await j.read();
    expect(read.state).toEqual(asRead(j, j.states[0]!));
    expect(read.notes[0]).toMatch(/line 2 and after are ignored: not signed/);
  });

  it('a journal of another state (same key): ignored as a whole', async () => {
    const j = await journalled();
    const other = await project();
    await writeState(other.manifest, withEnvs(emptyState('0.1.0'), { a: other.env('a') }));
    fs.copyFileSync(j.journal, other.journal);
    const read = await other.read();
    expect(read.state).toEqual(asRead(other, withEnvs(emptyState('0.1.0'), { a: other.env('a') })));
    expect(read).toMatchObject({ trust: 'signed', journal: other.journal });
  });

  it('a journal beside a state that is not signed, or beside no state: ignored', async () => {
    const j = await journalled();
    const data = JSON.parse(j.base);
    fs.writeFileSync(j.file, JSON.stringify({ ...data, mac: undefined }, null, 2));
    let read = await j.read();
    expect(read.trust).toBe('unsigned');
    expect(Object.keys(read.state.environments)).toEqual(['a']);
    expect(read.notes).toContain(`${j.journal} is ignored: the changes it records extend a state that is not signed`);

    fs.rmSync(j.file);
    read = await j.read();
    expect(read).toEqual({ state: emptyState('0.1.0'), trust: 'none', file: j.file, notes: [], journal: j.journal });
  });

  it('a signed line naming a path outside the environment and the project: the state is refused', async () => {
    const j = await journalled();
    const all = lines(j.journal);
    const outside = { ...j.env('a', 'a'), path: 'envs/a', parts: { note: { ...j.env('a').parts['note']!, created: [{ path: '/etc/passwd', kind: 'file', sha256: 'cd', mode: 0o644 }] } } };
    const signed = journalLine(await ensureKey(), all[0]!.slice(0, 64), { writtenBy: 'x', environments: new Map([['a', JSON.stringify(outside)]]) });
    fs.writeFileSync(j.journal, `${all[0]}\n${signed.line}`);
    await expect(j.read()).rejects.toMatchObject({
      code: 'ESTATE_CORRUPT',
      message: `refusing to use ${j.journal}: environments.a.parts.note.created[0] "/etc/passwd" is outside the environment and the project`,
    });
  });

  it('a signed line whose environment leads outside the project through a link: the state is refused', async () => {
    const j = await journalled();
    fs.mkdirSync(path.join(j.dir, 'envs'), { recursive: true });
    fs.symlinkSync(tempDir(), path.join(j.dir, 'envs', 'x'));
    const all = lines(j.journal);
    const record = { ...j.env('x'), path: 'envs/x', parts: {} };
    const signed = journalLine(await ensureKey(), all[0]!.slice(0, 64), { writtenBy: 'x', environments: new Map([['x', JSON.stringify(record)]]) });
    fs.writeFileSync(j.journal, `${all[0]}\n${signed.line}`);
    await expect(j.read()).rejects.toThrow(/environments\.x\.path .* leads outside the project through a symbolic link/);
  });

  it.for(['a symbolic link', 'not a regular file'] as const)('a journal that is %s: not read, reported, and removed by the next write', async (kind) => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const target = path.join(tempDir(), 'target');
    fs.writeFileSync(target, 'keep\n');
    if (kind === 'a symbolic link') fs.symlinkSync(target, p.journal);
    else expect(spawnSync('mkfifo', [p.journal]).status).toBe(0);
    const read = await p.read();
    expect(read).toMatchObject({ trust: 'signed', journal: p.journal, notes: [`${p.journal} is ignored: it is ${kind}`] });
    const next = withEnvs(read.state, { b: p.env('b') });
    expect(await p.writerFor(read).write(next, ['b'])).toBe(true);
    expect(fs.existsSync(p.journal)).toBe(false);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep\n');
    expect(await p.read()).toMatchObject({ state: asRead(p, next), notes: [] });
  });

  it('a journal planted as a link during a run is not written through', async () => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const target = path.join(tempDir(), 'target');
    fs.writeFileSync(target, 'keep\n');
    const loaded = await p.read();
    fs.symlinkSync(target, p.journal);
    const writer = p.writerFor(loaded);
    const next = withEnvs(loaded.state, { b: p.env('b') });
    expect(await writer.write(next, ['b'])).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep\n');
    expect(fs.existsSync(p.journal)).toBe(false);
    expect((await p.read()).state).toEqual(asRead(p, next));
  });
});

describe('another manifest\'s journal', () => {
  it('names the roots its lines record, up to the first it cannot read', async () => {
    const j = await journalled();
    expect(await journalRoots(j.file, j.dir)).toEqual([
      ['b', path.join(j.dir, 'envs', 'b')],
      ['a', path.join(j.dir, 'envs', 'a')],
      ['c', path.join(j.dir, 'envs', 'c')],
      ['c', null],
    ]);
    const all = lines(j.journal);
    fs.writeFileSync(j.journal, `${all[0]}\n{not a line\n${all[2]}\n`);
    expect(await journalRoots(j.file, j.dir)).toEqual([['b', path.join(j.dir, 'envs', 'b')]]);
    fs.rmSync(j.journal);
    expect(await journalRoots(j.file, j.dir)).toEqual([]);
  });
});

describe('where a journal starts and what a line holds', () => {
  it('sits beside its state file, whatever the directories are called', () => {
    expect(journalFile('/p/a.json.d/.envbuild/env.yaml.state.json')).toBe('/p/a.json.d/.envbuild/env.yaml.state.journal');
  });

  it('a run continuing a signed state appends its first change as a line, leaving the file as it was', async () => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const base = fs.readFileSync(p.file, 'utf8');
    const loaded = await p.read();
    const next = withEnvs(loaded.state, { b: p.env('b'), c: p.env('c') });
    expect(await p.writerFor(loaded).write(next, ['b', 'c'])).toBe(true);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(base);
    expect(lines(p.journal)).toHaveLength(1);
    expect((await p.read()).state).toEqual(asRead(p, next));
  });

  it.for(['a moved project', 'a renamed manifest'] as const)('%s: the first save writes the whole file, saying where it now is', async (kind) => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const loaded = await p.read();
    const start = { ...loaded.state, ...(kind === 'a moved project' ? { project: '/elsewhere' } : { manifest: 'old.yaml' }) };
    const writer = new StateWriter(p.manifest, { state: start, body: loaded.body ?? '', mac: loaded.mac! });
    const next = withEnvs(loaded.state, { b: p.env('b') });
    expect(await writer.write(next, ['b'])).toBe(true);
    expect(fs.existsSync(p.journal)).toBe(false);
    expect(JSON.parse(fs.readFileSync(p.file, 'utf8'))).toMatchObject({ project: p.dir, manifest: 'env.yaml' });
    // From there on, saves are lines again.
    const third = withEnvs(next, { c: p.env('c') });
    expect(await writer.write(third, ['c'])).toBe(true);
    expect(lines(p.journal)).toHaveLength(1);
    expect((await p.read()).state).toEqual(asRead(p, third));
  });

  it.for([
    ['creating', { creating: { b: 9 } }],
    ['writtenBy', { writtenBy: '0.3.0' }],
  ] as const)('a save that changes only %s is a line of its own', async ([, over]) => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const loaded = await p.read();
    const next = { ...loaded.state, ...over };
    expect(await p.writerFor(loaded).write(next, [])).toBe(true);
    expect(lines(p.journal)).toHaveLength(1);
    expect((await p.read()).state).toEqual(asRead(p, next));
  });

  it('a state written in the same bytes is not written again, even with no line to extend', async () => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    const before = fs.statSync(p.file, { bigint: true });
    const loaded = await p.read();
    const writer = new StateWriter(p.manifest, { state: loaded.state, body: loaded.body! });
    expect(await writer.write(loaded.state, ['a'])).toBe(false);
    expect(fs.statSync(p.file, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
  });

  it('removing every environment removes the state file and its journal; a later save starts a new file', async () => {
    const j = await journalled();
    await j.writer.remove();
    expect(fs.readdirSync(path.dirname(j.file))).toEqual([]);
    const next = withEnvs(emptyState('0.1.0'), { e: j.env('e') });
    expect(await j.writer.write(next, ['e'])).toBe(true);
    expect(fs.existsSync(j.journal)).toBe(false);
    expect((await j.read()).state).toEqual(asRead(j, next));
  });

  it('a journal beside a state that is not signed, but empty: ignored without a note', async () => {
    const j = await journalled();
    fs.writeFileSync(j.file, JSON.stringify({ ...JSON.parse(j.base), mac: undefined }, null, 2));
    fs.writeFileSync(j.journal, '');
    const read = await j.read();
    expect(read).toMatchObject({ trust: 'unsigned', journal: j.journal });
    // Only the note about the state file itself.
    expect(read.notes).toEqual([expect.stringMatching(/^\S+\/env\.yaml\.state\.json is not signed by this user's key/)]);
  });

  it('a first line not signed by this key is reported; only a verified first line that follows another state is stale', async () => {
    const j = await journalled();
    const all = lines(j.journal);
    fs.writeFileSync(j.journal, `${all[0]!.replace('"writtenBy":"0.1.0"', '"writtenBy":"9.9.9"')}\n`);
    const read = await j.read();
    expect(read.state).toEqual(asRead(j, withEnvs(emptyState('0.1.0'), { a: j.env('a') }, { creating: { b: 5 } })));
    expect(read.notes).toEqual([`${j.journal}: line 1 and after are ignored: not signed by this user's key; the changes they record are treated as unknown`]);
  });

  it.for([
    ['without prev', (_prev: string) => ({ writtenBy: 'x', environments: {} })],
    ['whose writtenBy is not text', (prev: string) => ({ prev, writtenBy: 5, environments: {} })],
    ['whose environments are a list', (prev: string) => ({ prev, writtenBy: 'x', environments: [] })],
    ['that is not a line at all', () => 'garbage'],
  ] as const)('a signed line %s is not believed', async ([, shape]) => {
    const j = await journalled();
    const all = lines(j.journal);
    const prev = all[0]!.slice(0, 64);
    const key = await ensureKey();
    const made = shape(prev);
    const json = typeof made === 'string' ? made : JSON.stringify(made);
    const mac = macOf(key, `envbuild-journal\n${json}`);
    fs.writeFileSync(j.journal, `${all[0]}\n${mac} ${json}\n`);
    const read = await j.read();
    expect(read.state).toEqual(asRead(j, j.states[0]!));
    expect(read.notes).toEqual([`${j.journal}: line 2 and after are ignored: not signed by this user's key; the changes they record are treated as unknown`]);
  });

  it('a journal that is a directory: the state is refused, and the directory kept', async () => {
    const p = await project();
    await writeState(p.manifest, withEnvs(emptyState('0.1.0'), { a: p.env('a') }));
    fs.mkdirSync(p.journal);
    await expect(p.read()).rejects.toMatchObject({
      code: 'ESTATE_CORRUPT',
      message: `refusing to use ${p.journal}: it is a directory`,
      hint: expect.stringMatching(/^nothing was changed; move the directory away/),
    });
    expect(fs.statSync(p.journal).isDirectory()).toBe(true);
  });

  it('another manifest\'s journal: a last line without its newline (torn) names no root', async () => {
    const j = await journalled();
    const all = lines(j.journal);
    fs.writeFileSync(j.journal, `${all[0]}\n${all[1]}`);
    expect(await journalRoots(j.file, j.dir)).toEqual([['b', path.join(j.dir, 'envs', 'b')]]);
    // A record it cannot read (an environment holding the project) ends the list there.
    const outside = { ...j.env('x'), path: '/' };
    const bad = journalLine(await ensureKey(), 'f'.repeat(64), { writtenBy: 'x', environments: new Map([['x', JSON.stringify(outside)]]) });
    fs.writeFileSync(j.journal, `${all[0]}\n${bad.line}${all[2]}\n`);
    expect(await journalRoots(j.file, j.dir)).toEqual([['b', path.join(j.dir, 'envs', 'b')]]);
  });
});
