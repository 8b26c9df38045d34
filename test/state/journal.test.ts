import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { replayJournal, StateJournal } from '../../src/state/journal.js';
import { readState, statePath } from '../../src/state/store.js';
import { emptyState, type EnvironmentState } from '../../src/state/types.js';

const record = (root: string): EnvironmentState => ({
  path: root,
  inputs: { python: { executable: '/usr/bin/python3.11', version: '3.11.2' }, layout: 'venv', isolation: 'full', prompt: 'x' },
  entries: [{ path: 'bin', digest: { kind: 'dir' } }],
  parts: {},
});

test('the journal is replayed over state.json; a torn last line (a killed write) is ignored, damage elsewhere is not', () => {
  const base = { ...emptyState('t'), environments: { a: record('/p/envs/a'), b: record('/p/envs/b') } };
  const lines = [JSON.stringify({ environment: 'c', state: record('/p/envs/c') }), JSON.stringify({ environment: 'a', state: null })];
  const replayed = replayJournal(base, `${lines.join('\n')}\n{"environment":"b","sta`);
  expect(Object.keys(replayed.environments).sort()).toEqual(['b', 'c']);
  expect(() => replayJournal(base, `{"environ\n${lines[0]}\n`)).toThrow(/line 1/);
});

test('records are appended, read back by a reader before compaction, and folded into state.json at the end', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envbuild-journal-'));
  const stateDir = path.join(dir, '.envbuild');
  const journal = new StateJournal(stateDir, emptyState('t'));
  await Promise.all([journal.record('a', record(path.join(dir, 'envs', 'a'))), journal.record('b', record(path.join(dir, 'envs', 'b')))]);
  expect(fs.existsSync(statePath(dir))).toBe(false);
  // A run killed here leaves the journal: the next reader sees both environments.
  expect(Object.keys((await readState(dir, 't')).environments).sort()).toEqual(['a', 'b']);
  await journal.compact(async (state) => fs.writeFileSync(statePath(dir), JSON.stringify(state)));
  expect(fs.readdirSync(stateDir)).toEqual(['state.json']);
  expect(Object.keys((await readState(dir, 't')).environments).sort()).toEqual(['a', 'b']);
});
