import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { loadManifest } from '../../src/manifest/index.js';
import { manifestDir, onlyProblemOf, problemsOf } from './manifest-fixture.js';

/** A valid environment to put next to the one under test. */
const HEADER = 'envbuild: 1\nenvironments:\n';

describe('YAML problems', () => {
  test('a syntax error is reported where the parser stopped', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n   layout: venv\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 1));
    expect(p.message).toContain('YAML syntax error');
  });

  test('a bracket or quote left open is reported where it opens, not where yaml gives up', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app: {python: "3.11"\n  other: {}\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 3, 8));
    expect(p.message).toBe('YAML syntax error: the `{` opened here is never closed');

    const q = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11\n    layout: venv\n` });
    const r = await onlyProblemOf(q.path('env.yaml'));
    expect(r.location).toEqual(q.at('env.yaml', 4, 13));
    expect(r.message).toBe('YAML syntax error: the " quote opened here is never closed');
  });

  test('a duplicate key is reported at the second one, naming the first', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    python: "3.12"\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 5));
    expect(p.message).toBe('duplicate key `python`: it is already set at line 4, col 5');
  });

  test('keys that are equal once read (1 and "1") are duplicates too', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3"\n    parts:\n      1: {recipe: a}\n      "1": {recipe: b}\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 7, 7));
    expect(p.message).toContain('duplicate key `1`');
  });

  test('an alias bomb is refused with a diagnostic, not a crash', async () => {
    const m = manifestDir({
      'env.yaml': [
        'envbuild: 1',
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
        'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
        'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
        'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
        '',
      ].join('\n'),
    });
    // Found without expanding: 9^9 values would not be built within the test's time limit.
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.message).toContain('alias bomb');
    // The alias that stands for the most values: the first `*h`.
    expect(p.message).toContain('`*h`');
    expect(p.location).toEqual(m.at('env.yaml', 10, 8));
  }, 30_000);

  test('aliases within reason are expanded, keeping the anchor\'s position', async () => {
    const m = manifestDir({
      'env.yaml': `${HEADER}  app: &base\n    python: "3.11"\n    layout: venvv\n  other: *base\n`,
    });
    const problems = await problemsOf(m.path('env.yaml'));
    // The same written value, reached twice, is one problem.
    expect(problems).toHaveLength(2);
    expect(problems.map((p) => p.keyPath)).toEqual(['environments.app.layout', 'environments.other.layout']);
    expect(problems.every((p) => p.location?.line === 5 && p.location.col === 13)).toBe(true);
  });

  test('bytes that are not UTF-8 are located at the first bad byte', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(`${HEADER}  app:\n    python: "3.11"\n    prompt: "caf`),
      Buffer.from([0xe9]), // é in Latin-1
      Buffer.from('"\n'),
    ]);
    const m = manifestDir({ 'env.yaml': latin1 });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 17));
    expect(p.message).toBe('the file is not valid UTF-8 (byte 0xe9)');
    expect(p.hint).toContain('UTF-8');
  });

  test('columns after multi-byte characters count characters, not bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('# café ☕ '), Buffer.from([0xff]), Buffer.from('\n')]);
    const m = manifestDir({ 'env.yaml': bytes });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 1, 10));
  });

  test('an empty file (or only comments) says so', async () => {
    const m = manifestDir({ 'env.yaml': '# yaml-language-server: $schema=../schemas/envbuild.schema.json\n\n' });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 1, 1));
    expect(p.message).toBe('the manifest is empty');
    expect(p.hint).toContain('envbuild: 1');
  });

  test('a document that is not a mapping is refused', async () => {
    const m = manifestDir({ 'env.yaml': '- envbuild: 1\n' });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 1, 1));
    expect(p.message).toContain('must be a mapping');
  });

  test('an unknown tag is an error', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app: {python: !py "3.11"}\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 3, 17));
    expect(p.message).toContain('unsupported YAML tag: !py');
  });
});

describe('schema problems', () => {
  test('a wrong type, with the hint YAML numbers need', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: 3.10\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 4, 13));
    expect(p.keyPath).toBe('environments.app.python');
    expect(p.message).toBe('expected a string, got the number 3.1');
    expect(p.hint).toBe('YAML reads 3.10 as the number 3.1; write it in quotes: "3.10"');
  });

  test('a bad enum value lists the choices and guesses', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    layout: venvv\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 13));
    expect(p.message).toBe('expected `auto`, `venv` or `classic`, got the string "venvv"; did you mean `venv`?');
  });

  test('an unknown key is reported at the key, with did-you-mean', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    isolaton: full\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 5));
    expect(p.keyPath).toBe('environments.app.isolaton');
    expect(p.message).toBe('unknown key `isolaton`; did you mean `isolation`?');
  });

  test('an unknown key with no near match lists what is allowed', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    colour: blue\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.message).toBe('unknown key `colour`');
    expect(p.hint).toBe('expected `python`, `path`, `prompt`, `layout`, `isolation`, `pip` or `parts`');
  });

  test('an environment field at the top level says where it belongs', async () => {
    const m = manifestDir({ 'env.yaml': `envbuild: 1\npython: "3.11"\nenvironments:\n  app: {python: "3.11"}\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 2, 1));
    expect(p.hint).toContain('under `environments.<name>` or `defaults`');
  });

  test('a missing `envbuild` is reported at the top mapping; the rest is still checked', async () => {
    const m = manifestDir({ 'env.yaml': '# my project\nenvironments:\n  app:\n    python: 3\n' });
    const problems = await problemsOf(m.path('env.yaml'));
    expect(problems.map((p) => [p.location?.line, p.location?.col, p.message])).toEqual([
      [2, 1, 'missing `envbuild: 1`, the manifest format version'],
      [4, 13, 'expected a string, got the number 3'],
    ]);
  });

  test('a newer format number asks for an upgrade and reads no further', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 2\nworkspaces: {}\n' });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 1, 11));
    expect(p.message).toBe('this manifest is format 2, but this envbuild reads format 1 only');
    expect(p.hint).toContain('upgrade envbuild');
  });

  test('a quoted format number is a type error with a hint', async () => {
    const m = manifestDir({ 'env.yaml': `envbuild: "1"\nenvironments:\n  app: {python: "3"}\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 1, 11));
    expect(p.message).toBe('expected the format version `1`, got the string "1"');
    expect(p.hint).toBe('write `envbuild: 1` without quotes');
  });

  test('a bad environment name is reported at the name', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  My_App:\n    python: "3.11"\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 3, 3));
    expect(p.message).toBe('invalid environment name `My_App`');
    expect(p.hint).toContain('lowercase letters');
  });

  test('a missing required key is reported at its parent', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    parts:\n      deps:\n        requirements: [attrs]\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 6, 7));
    expect(p.keyPath).toBe('environments.app.parts.deps.recipe');
    expect(p.message).toBe('missing required key `recipe`');
  });

  test('no environments at all', async () => {
    const empty = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments: {}\n' });
    const p = await onlyProblemOf(empty.path('env.yaml'));
    expect(p.location).toEqual(empty.at('env.yaml', 2, 15));
    expect(p.message).toContain('`environments` is empty');

    const missing = manifestDir({ 'env.yaml': 'envbuild: 1\ndefaults: {python: "3"}\n' });
    const q = await onlyProblemOf(missing.path('env.yaml'));
    expect(q.location).toEqual(missing.at('env.yaml', 1, 1));
    expect(q.message).toBe('missing required key `environments`');
  });
});

describe('one diagnostic per problem through oneOf', () => {
  test('isolation of the wrong type', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    isolation: 5\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 16));
    expect(p.message).toBe('expected `full`, `system` or a mapping, got the number 5');
  });

  test('isolation: cherry-pick as a string explains the mapping form', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    isolation: cherry-pick\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.message).toBe('expected `full` or `system`, got the string "cherry-pick"');
    expect(p.hint).toContain('mode: cherry-pick');
  });

  test('a mapping isolation reports the mapping\'s own problem only', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    isolation:\n      mode: cherrypick\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 6, 13));
    expect(p.keyPath).toBe('environments.app.isolation.mode');
    expect(p.message).toContain('did you mean `cherry-pick`?');
  });

  test('allow entries: each malformed entry is one diagnostic', async () => {
    const m = manifestDir({
      'env.yaml': [
        'envbuild: 1',
        'environments:',
        '  app:',
        '    python: "3.11"',
        '    isolation:',
        '      mode: cherry-pick',
        '      allow:',
        '        - modul: six',
        '        - {dist: a, module: b}',
        '        - 5',
        '        - {dist: PyYAML, version: 6}',
        '        - {version: ">=1"}',
        '',
      ].join('\n'),
    });
    const problems = await problemsOf(m.path('env.yaml'));
    expect(problems.map((p) => [p.location?.line, p.location?.col, p.message])).toEqual([
      [8, 11, 'unknown key `modul`; did you mean `module`?'],
      [9, 11, 'expected one of `dist`, `module`, `deb` or `path`, not several: this entry has `dist` and `module`'],
      [10, 11, 'expected a string or a mapping, got the number 5'],
      [11, 35, 'expected a string, got the number 6'],
      [12, 11, 'expected a mapping with one of `dist`, `module`, `deb` or `path`'],
    ]);
  });
});

describe('checks beyond the schema', () => {
  test('`python` given nowhere is reported at the environment', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    layout: venv\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 3, 3));
    expect(p.keyPath).toBe('environments.app.python');
    expect(p.message).toBe('environment `app` has no `python`');
    expect(p.hint).toBe('name its interpreter here or in `defaults`: a version range (`python: "3.12"`), a command (`python3.12`) or an absolute path');
  });

  test('a bad PEP 440 specifier in `allow` is reported at the value', async () => {
    const m = manifestDir({
      'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    isolation:\n      mode: cherry-pick\n      allow:\n        - dist: PyYAML\n          version: ">=6 <7"\n`,
    });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 9, 20));
    expect(p.keyPath).toBe('environments.app.isolation.allow[0].version');
    expect(p.message).toBe('invalid PEP 440 version specifier `>=6 <7`');
    expect(p.hint).toBe('separate clauses with commas: `>=6,<7`');
  });

  test('`allow` with a mode other than cherry-pick', async () => {
    const m = manifestDir({
      'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    isolation:\n      mode: full\n      allow: [python-apt]\n`,
    });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 7, 14));
    expect(p.message).toBe('`allow` only applies to `mode: cherry-pick`, but the mode is `full`');
  });

  test('a relative path escaping the manifest directory', async () => {
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3.11"\n    path: envs/../../elsewhere\n` });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 5, 11));
    expect(p.message).toBe('path `envs/../../elsewhere` leaves the manifest\'s directory');
  });

  test('environments sharing a directory, or nested in one another', async () => {
    const m = manifestDir({
      'env.yaml': [
        'envbuild: 1',
        'defaults: {python: "3.11"}',
        'environments:',
        '  app: {}',
        '  copy: {path: envs/app}',
        '  nested: {path: ./envs/app/sub}',
        '  apart: {path: envs/apart}',
        '',
      ].join('\n'),
    });
    const problems = await problemsOf(m.path('env.yaml'));
    expect(problems.map((p) => [p.location?.line, p.location?.col, p.message])).toEqual([
      [5, 16, `environments \`app\` and \`copy\` have the same path ${m.dir}/envs/app`],
      // `copy` shares `app`'s directory: what overlaps it is reported once, naming `app`.
      [6, 18, `environment \`nested\` is inside environment \`app\` (${m.dir}/envs/app)`],
    ]);
  });
});

describe('hostile input stays bounded', () => {
  test('an anchor used by many environments is fine; a large anchor repeated many times is a bomb', async () => {
    // yaml's own guard counts alias uses: it refused 101 uses of `"3.11"` and let 90 copies
    // of a 200 000-item list through. What is measured now is how much the aliases add.
    const many = manifestDir({
      'env.yaml': `envbuild: 1\nenvironments:\n  e0: {python: &py "3.11"}\n${Array.from({ length: 150 }, (_, i) => `  e${i + 1}: {python: *py}\n`).join('')}`,
    });
    const loaded = await loadManifest(many.path('env.yaml'));
    expect(loaded.environments.map((e) => e.name)).toEqual(Array.from({ length: 151 }, (_, i) => `e${i}`));
    expect(loaded.environments.every((e) => e.python === '3.11')).toBe(true);

    const items = Array.from({ length: 20_000 }, (_, i) => i).join(',');
    const wide = manifestDir({
      'env.yaml': `envbuild: 1\nenvironments:\n  app:\n    python: "3"\n    parts:\n      p:\n        recipe: file\n        a: &big [${items}]\n${Array.from({ length: 5 }, (_, i) => `        c${i}: *big\n`).join('')}`,
    });
    const p = await onlyProblemOf(wide.path('env.yaml'));
    expect(p.message).toContain('alias bomb');
    expect(p.location).toEqual(wide.at('env.yaml', 9, 13));
  });

  test('past 100 problems, the rest are counted in one closing line', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `    k${i}: 1\n`).join('');
    const m = manifestDir({ 'env.yaml': `${HEADER}  app:\n    python: "3"\n${keys}` });
    const problems = await problemsOf(m.path('env.yaml'));
    expect(problems).toHaveLength(101);
    expect(problems[99]?.message).toBe('unknown key `k99`');
    expect(problems[100]).toMatchObject({ message: '… and 150 more problems from here on, not shown', location: m.at('env.yaml', 105, 5) });
  });

  test('a malformed python request is reported at load time, where it is written', async () => {
    const m = manifestDir({
      'env.yaml': 'envbuild: 1\ndefaults: {python: ">=3.10 <<3.13"}\nenvironments:\n  a: {}\n  b: {}\n  c: {python: "${env:PY}"}\n',
    });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 2, 20));
    expect(p.keyPath).toBe('defaults.python');
    expect(p.message).toMatch(/^invalid python request: /);
  });
});

describe('extends', () => {
  test('a problem in a base is located in the base file', async () => {
    const m = manifestDir({
      'env.yaml': 'envbuild: 1\nextends: shared/base.yaml\nenvironments:\n  app: {}\n',
      'shared/base.yaml': 'envbuild: 1\ndefaults:\n  python: "3.11"\n  isolation: ful\n',
    });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('shared/base.yaml', 4, 14));
    expect(p.keyPath).toBe('defaults.isolation');
    expect(p.message).toContain('did you mean `full`?');
  });

  test('a cycle is reported where it closes, printing the chain', async () => {
    const m = manifestDir({
      'env.yaml': 'envbuild: 1\nextends: a.yaml\nenvironments:\n  app: {python: "3"}\n',
      'a.yaml': 'envbuild: 1\nextends: [b.yaml]\n',
      'b.yaml': 'envbuild: 1\nextends:\n  - a.yaml\n',
    });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('b.yaml', 3, 5));
    expect(p.message).toBe('`extends` cycle: a.yaml → b.yaml → a.yaml');
  });

  test('a base that cannot be found is reported at its `extends` entry', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nextends: [base.yaml]\nenvironments:\n  app: {python: "3"}\n' });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 2, 11));
    expect(p.message).toBe('base manifest `base.yaml` not found');
  });

  test('a chain of 30 diamonds loads each file once, in well under a second', async () => {
    // level i: a<i>.yaml and b<i>.yaml both extend a<i+1>.yaml and b<i+1>.yaml: 2^30 paths.
    const depth = 30;
    const files: Record<string, string> = { 'env.yaml': 'envbuild: 1\nextends: [a0.yaml, b0.yaml]\nenvironments:\n  app: {python: "3"}\n' };
    for (let i = 0; i < depth; i++) {
      const next = i + 1 < depth ? `extends: [a${i + 1}.yaml, b${i + 1}.yaml]\n` : '';
      files[`a${i}.yaml`] = `envbuild: 1\n${next}environments:\n  app: {prompt: a${i}}\n`;
      files[`b${i}.yaml`] = `envbuild: 1\n${next}defaults:\n  layout: venv\n`;
    }
    const m = manifestDir(files);
    // Each file is loaded once: 2^30 paths would not be walked within the test's time limit.
    const manifest = await loadManifest(m.path('env.yaml'));
    // b<i> sets no prompt, so the one merged last comes from the deepest a.
    expect(manifest.environments.map((e) => e.prompt)).toEqual(['a29']);
  }, 30_000);

  const special: Array<[string, (dir: string) => string, RegExp]> = [
    ['a FIFO', (dir) => { const f = path.join(dir, 'pipe.yaml'); execFileSync('mkfifo', [f]); return f; }, /is not a regular file but a named pipe \(FIFO\)/],
    ['a device', () => '/dev/zero', /is not a regular file but a device/],
    ['a directory', (dir) => { fs.mkdirSync(path.join(dir, 'shared')); return path.join(dir, 'shared'); }, /is a directory/],
  ];
  test.for(special)('a base that is %s is a located error, without reading it', async ([, make, message]) => {
    const m = manifestDir({});
    const target = make(m.dir);
    fs.writeFileSync(m.path('env.yaml'), `envbuild: 1\nextends: [${JSON.stringify(target)}]\nenvironments:\n  app: {python: "3"}\n`);
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('env.yaml', 2, 11));
    expect(p.message).toMatch(message);
    expect(p.hint).toBe(/directory/.test(p.message) ? 'name the YAML file inside it' : '`extends` names manifest files (YAML), never a pipe, device or socket');
  });

  const notYaml: Array<[string, string | Uint8Array]> = [
    ['a Python script', 'import os\nos.system("id")\n'],
    ['a binary', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0xff, 0xfe, 0, 0])],
    ['a JSON list', '[1, 2, 3]\n'],
  ];
  test.for(notYaml)('a base that is %s is a located error', async ([, content]) => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nextends: base.yaml\nenvironments:\n  app: {python: "3"}\n', 'base.yaml': content });
    const problems = await problemsOf(m.path('env.yaml'));
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.location?.file).toBe(m.path('base.yaml'));
  });

  test('a base needs its own `envbuild: 1`', async () => {
    const m = manifestDir({
      'env.yaml': 'envbuild: 1\nextends: base.yaml\nenvironments:\n  app: {}\n',
      'base.yaml': 'defaults:\n  python: "3.11"\n',
    });
    const p = await onlyProblemOf(m.path('env.yaml'));
    expect(p.location).toEqual(m.at('base.yaml', 1, 1));
    expect(p.message).toContain('missing `envbuild: 1`');
  });
});

test('every problem of a manifest is reported at once, in file order', async () => {
  const m = manifestDir({
    'env.yaml': [
      'envbuild: 1', //                     1
      'defaults:', //                       2
      '  python: 3.10', //                  3  wrong type
      'environments:', //                   4
      '  app:', //                          5
      '    isolaton: full', //              6  unknown key
      '    layout: venvv', //               7  bad enum
      '    layout: venv', //                8  duplicate key
      '  Bad:', //                          9  bad name
      '    path: ../out', //               10  escapes
      '',
    ].join('\n'),
  });
  const problems = await problemsOf(m.path('env.yaml'));
  expect(problems.map((p) => `${p.location?.line}:${p.location?.col} ${p.message}`)).toEqual([
    '3:11 expected a string, got the number 3.1',
    '6:5 unknown key `isolaton`; did you mean `isolation`?',
    '7:13 expected `auto`, `venv` or `classic`, got the string "venvv"; did you mean `venv`?',
    '8:5 duplicate key `layout`: it is already set at line 7, col 5',
    '9:3 invalid environment name `Bad`',
    "10:11 path `../out` leaves the manifest's directory",
  ]);
});

test('a manifest that cannot be read is a UserError with the errno code and a hint', async () => {
  const m = manifestDir({});
  const error: unknown = await loadManifest(m.path('env.yaml')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  expect(error).toMatchObject({ code: 'ENOENT', hint: expect.stringContaining('check the path') });

  const dirError: unknown = await loadManifest(m.dir).catch((e: unknown) => e);
  expect(dirError).toMatchObject({ code: 'EISDIR' });
});
