/**
 * Fuzzing the manifest loader (issue 6, item 5): valid manifests, mutated thousands of ways,
 * must load or be refused with a ManifestError (or another UserError), never anything else,
 * never hang, and every diagnostic must point inside the file it names.
 *
 * Deterministic by default (a fixed seed), so CI is repeatable; bounded in time, so a slow
 * machine runs fewer cases rather than timing out. Knobs:
 *   FUZZ_SEED=<n>|random   the seed (printed either way)
 *   FUZZ_CASES=<n>         how many cases at most (default 3000)
 *   FUZZ_MS=<n>            time budget in ms (default 20000)
 *   FUZZ_CASE=<i>          run only case i of the seed: to reproduce a failure
 * Each case draws from its own generator, seeded by (seed, index), so case i is the same
 * whether or not the others run.
 *
 * A synchronous infinite loop in the loader cannot be interrupted from inside the process
 * that runs it; the per-case time limit here catches asynchronous hangs and anything merely
 * slow (superlinear work shows up as one case far slower than the rest).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type Node, type Pair } from 'yaml';
import { describe, expect, test } from 'vitest';
import { ManifestError, UserError } from '../../src/errors/user-error.js';
import { loadManifest } from '../../src/manifest/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const SEED = process.env['FUZZ_SEED'] === 'random'
  ? Math.floor(Math.random() * 2 ** 32)
  : Number(process.env['FUZZ_SEED'] ?? 0x5eed_e4b1) >>> 0;
const MAX_CASES = Number(process.env['FUZZ_CASES'] ?? 3000);
const BUDGET_MS = Number(process.env['FUZZ_MS'] ?? 20_000);
const ONLY_CASE = process.env['FUZZ_CASE'] === undefined ? undefined : Number(process.env['FUZZ_CASE']);
/** One load taking this long is treated as a hang. */
const CASE_LIMIT_MS = 10_000;
/** Failures reported in full; more are counted. */
const MAX_REPORTED_FAILURES = 5;

// ---------------------------------------------------------------- a seeded generator

/** mulberry32: 32 bits of state, good enough to pick mutations, and reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** The generator of case `index`: independent of every other case. */
function caseRandom(seed: number, index: number): Random {
  return new Random(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

// ---------------------------------------------------------------- valid manifests to start from

type Files = Readonly<Record<string, string>>;

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const EXAMPLES: Array<[string, Files]> = fs
  .readdirSync(examplesDir)
  .filter((name) => fs.existsSync(path.join(examplesDir, name, 'env.yaml')))
  .map((name) => [`examples/${name}`, { 'env.yaml': fs.readFileSync(path.join(examplesDir, name, 'env.yaml'), 'utf8') }]);

/** The valid manifests of test/manifest/load-valid.test.ts, bases included. */
const LOADER_FIXTURES: Array<[string, Files]> = [
  [
    'design example',
    {
      'env.yaml': [
        'envbuild: 1',
        'extends: [base.yaml]',
        'defaults:',
        '  python: ">=3.10"',
        '  isolation: full',
        'environments:',
        '  app:',
        '    python: "3.11"',
        '    path: envs/app',
        '    prompt: app',
        '    layout: auto',
        '    isolation: full',
        '    parts:',
        '      deps:',
        '        recipe: packages',
        '        requirements: ["attrs==23.2.0", "-r requirements.txt"]',
        '        find-links: [wheels]',
        '      config:',
        '        recipe: file',
        '        path: "${environments.app.path}/etc/app.ini"',
        '        content: "python = ${environments.app.python.executable}\\n"',
        '  ubuntu:',
        '    python: /usr/bin/python3',
        '    isolation:',
        '      mode: cherry-pick',
        '      allow:',
        '        - python-apt',
        '        - dist: PyYAML',
        '          version: ">=6"',
        '        - module: six',
        '        - deb: python3-gi',
        '        - path: /opt/vendor/py',
        '      search-paths: [/opt/ros/humble/lib/python3.10/site-packages]',
        '      dependencies: follow',
        '',
      ].join('\n'),
      'base.yaml': 'envbuild: 1\ndefaults:\n  layout: venv\n',
    },
  ],
  [
    'defaults',
    {
      'env.yaml': [
        'envbuild: 1',
        'defaults:',
        '  python: "3.12"',
        '  layout: classic',
        '  isolation:',
        '    mode: cherry-pick',
        '    allow: [{path: vendor/py}]',
        '    search-paths: [../system-site]',
        'environments:',
        '  plain:',
        '  own:',
        '    python: python3.11',
        '    path: /opt/envs/own/',
        '    prompt: (own)',
        '    isolation: system',
        '',
      ].join('\n'),
    },
  ],
  [
    'order and numeric names',
    {
      'env.yaml': [
        'envbuild: 1',
        'defaults: {python: "3"}',
        'environments:',
        '  zeta:',
        '    parts:',
        '      setup: {recipe: file}',
        '      "10": {recipe: packages}',
        '      2: {recipe: packages}',
        '  "3": {}',
        '  alpha: {}',
        '',
      ].join('\n'),
    },
  ],
  [
    'extends, layered',
    {
      'env.yaml': [
        'envbuild: 1',
        'extends: [shared/base.yaml, local.yaml]',
        'environments:',
        '  app:',
        '    isolation:',
        '      allow: [six]',
        '    parts:',
        '      deps:',
        '        requirements: [attrs]',
        '      extra: {recipe: file}',
        '',
      ].join('\n'),
      'shared/base.yaml': [
        'envbuild: 1',
        'extends: ../common.yaml',
        'defaults:',
        '  python: "3.11"',
        'environments:',
        '  app:',
        '    isolation:',
        '      mode: cherry-pick',
        '      allow: [python-apt, dbus-python]',
        '    parts:',
        '      deps:',
        '        recipe: packages',
        '        requirements: [requests, idna]',
        '        index: none',
        '      config: {recipe: file}',
        '',
      ].join('\n'),
      'common.yaml': 'envbuild: 1\ndefaults:\n  python: "3.9"\n  layout: venv\n',
      'local.yaml': 'envbuild: 1\ndefaults:\n  python: "3.12"\n',
    },
  ],
  [
    'anchors and flow style',
    {
      'env.yaml': [
        'envbuild: 1',
        'environments:',
        '  app: &base',
        '    python: ">=3.10 <3.13"',
        '    isolation: {mode: cherry-pick, allow: [six, {dist: PyYAML, version: ">=6,<7"}], dependencies: ignore}',
        '  tools:',
        '    python: "~=3.11"',
        '    path: build/tools',
        '    parts: {one: {recipe: file, path: a.txt, content: "x"}, two: {recipe: command, command: [echo, hi]}}',
        '',
      ].join('\n'),
    },
  ],
];

const SEEDS: Array<[string, Files]> = [...EXAMPLES, ...LOADER_FIXTURES];

// ---------------------------------------------------------------- mutations

const SPECIALS = [
  ':', ': ', '- ', '-', '? ', '[', ']', '{', '}', ',', '&a ', '*a', '*zz', '!', '!!str ', '!!binary ', '!env ', '|', '>',
  "'", '"', '%', '@', '`', '#', '\t', '\n', '\r\n', '\r', '---\n', '...\n', '<<: *a\n', '\0', '\uFEFF', '${', '${env:HOME}',
  '}', '\\', ' ', '    ', '~', 'null', '&a', '\u00e9', '\u03bf', '\u001b', '\u2028', '\uFFFF', '0x1F', '1e999', '..', '../',
];

const NAMES = [
  'envbuild', 'extends', 'defaults', 'environments', 'python', 'path', 'prompt', 'layout', 'isolation', 'parts', 'mode',
  'allow', 'search-paths', 'dependencies', 'recipe', 'dist', 'module', 'deb', 'version', '<<', '__proto__', 'constructor',
  '', ' ', '1', '0x1', 'App', 'my env', 'a'.repeat(300), 'pythön', 'null', 'true',
];

const STRINGS = [
  '', ' ', '3.11', '3.10', '>=3.10 <3.13', '>=3.10 <<3', '~=3', '3.x', 'python3.12', '/usr/bin/python3', './python', '~/python',
  '../outside', 'envs/../..', '.', '/', 'envs/app', 'full', 'system', 'cherry-pick', 'cherrypick', 'venv', 'classic', 'auto',
  'follow', 'ignore', 'error', '>=6', '>=6 <7', '^1', 'latest', 'python-apt', '${env:HOME}', '${environments.app.path}',
  '${', 'x'.repeat(5000), '\u0000', 'a\nb',
];

type Mutation = (text: string, rng: Random) => { text: string; note: string };

const textMutations: Record<string, Mutation> = {
  flipByte: (text, rng) => {
    // Works on bytes: the result may well not be UTF-8 any more.
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length === 0) return { text, note: 'flipByte (empty)' };
    const at = rng.int(bytes.length);
    const value = rng.int(256);
    bytes[at] = value;
    return { text: bytes.toString('latin1'), note: `flipByte @${at} = 0x${value.toString(16)} (latin1)` };
  },
  deleteRange: (text, rng) => {
    const at = rng.int(text.length + 1);
    const n = 1 + rng.int(20);
    return { text: text.slice(0, at) + text.slice(at + n), note: `deleteRange @${at} ×${n}` };
  },
  duplicateLine: (text, rng) => {
    const lines = text.split('\n');
    const from = rng.int(lines.length);
    const to = rng.int(lines.length + 1);
    lines.splice(to, 0, lines[from] ?? '');
    return { text: lines.join('\n'), note: `duplicateLine ${from + 1} → ${to + 1}` };
  },
  deleteLine: (text, rng) => {
    const lines = text.split('\n');
    const at = rng.int(lines.length);
    lines.splice(at, 1);
    return { text: lines.join('\n'), note: `deleteLine ${at + 1}` };
  },
  swapLines: (text, rng) => {
    const lines = text.split('\n');
    const a = rng.int(lines.length);
    const b = rng.int(lines.length);
    [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
    return { text: lines.join('\n'), note: `swapLines ${a + 1} ↔ ${b + 1}` };
  },
  insertSpecial: (text, rng) => {
    const at = rng.int(text.length + 1);
    const special = rng.pick(SPECIALS);
    return { text: text.slice(0, at) + special + text.slice(at), note: `insertSpecial ${JSON.stringify(special)} @${at}` };
  },
  shiftIndent: (text, rng) => {
    const lines = text.split('\n');
    const at = rng.int(lines.length);
    const line = lines[at] ?? '';
    lines[at] = rng.chance(0.5) ? `${' '.repeat(1 + rng.int(4))}${line}` : line.replace(/^ {1,3}/, '');
    return { text: lines.join('\n'), note: `shiftIndent line ${at + 1}` };
  },
};

/** Every collection and scalar in the document, with its parent, for the Document mutations. */
interface Site {
  readonly node: Node;
  readonly parent: Node | undefined;
  readonly pair: Pair | undefined;
}

function sites(doc: Document): Site[] {
  const out: Site[] = [];
  const walk = (node: unknown, parent: Node | undefined, pair: Pair | undefined, depth: number): void => {
    if (depth > 40 || !(isMap(node) || isSeq(node) || isScalar(node))) return;
    out.push({ node, parent, pair });
    if (isMap(node)) for (const p of node.items) walk(p.value, node, p as Pair, depth + 1);
    if (isSeq(node)) for (const item of node.items) walk(item, node, undefined, depth + 1);
  };
  walk(doc.contents, undefined, undefined, 0);
  return out;
}

function randomValue(doc: Document, rng: Random, depth = 0): unknown {
  switch (rng.int(depth > 1 ? 5 : 8)) {
    case 0:
      return rng.pick([0, 1, 2, 3.1, -1, 1e999, 0.5, 2 ** 53 + 1]);
    case 1:
      return rng.chance(0.5);
    case 2:
      return null;
    case 3:
    case 4:
      return rng.pick(STRINGS);
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomValue(doc, rng, depth + 1));
    case 6:
      return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick(NAMES), randomValue(doc, rng, depth + 1)]));
    default:
      return {};
  }
}

function typo(word: string, rng: Random): string {
  if (word.length === 0) return rng.pick(NAMES);
  const i = rng.int(word.length);
  switch (rng.int(5)) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1);
    case 1:
      return word.slice(0, i) + (word[i] ?? '') + word.slice(i);
    case 2:
      return word.slice(0, i) + (word[i + 1] ?? '') + (word[i] ?? '') + word.slice(i + 2);
    case 3:
      return word.toUpperCase();
    default:
      return rng.pick(NAMES);
  }
}

const documentMutations: Record<string, (doc: Document, rng: Random) => string> = {
  renameKey: (doc, rng) => {
    const pairs = sites(doc).filter((s) => s.pair && isScalar(s.pair.key));
    const site = pairs.length > 0 ? rng.pick(pairs) : undefined;
    const key = site?.pair?.key;
    if (!isScalar(key)) return 'renameKey (no key)';
    const before = String(key.value);
    key.value = typo(before, rng);
    return `renameKey ${JSON.stringify(before)} → ${JSON.stringify(key.value)}`;
  },
  swapType: (doc, rng) => {
    const site = rng.pick(sites(doc));
    const value = doc.createNode(randomValue(doc, rng));
    if (site.pair) site.pair.value = value;
    else if (isSeq(site.parent)) site.parent.items[site.parent.items.indexOf(site.node)] = value;
    else doc.contents = value;
    return `swapType → ${JSON.stringify(value.toJSON()).slice(0, 80)}`;
  },
  removeNode: (doc, rng) => {
    const site = rng.pick(sites(doc));
    if (isMap(site.parent) && site.pair) site.parent.items.splice(site.parent.items.indexOf(site.pair as never), 1);
    else if (isSeq(site.parent)) site.parent.items.splice(site.parent.items.indexOf(site.node), 1);
    else return 'removeNode (root kept)';
    return 'removeNode';
  },
  aliasNode: (doc, rng) => {
    // An anchor on one node and an alias to it somewhere else, possibly inside it.
    const all = sites(doc);
    const target = rng.pick(all);
    if (!(isMap(target.node) || isSeq(target.node) || isScalar(target.node))) return 'aliasNode (none)';
    target.node.anchor = 'fz';
    const site = rng.pick(all);
    const alias = doc.createAlias(target.node as Scalar, 'fz');
    if (site.pair) site.pair.value = alias;
    else if (isSeq(site.parent)) site.parent.items[site.parent.items.indexOf(site.node)] = alias;
    else return 'aliasNode (root)';
    return 'aliasNode';
  },
  addKey: (doc, rng) => {
    const maps = sites(doc).filter((s) => isMap(s.node));
    if (maps.length === 0) return 'addKey (no map)';
    const map = rng.pick(maps).node;
    if (!isMap(map)) return 'addKey (no map)';
    const key = rng.pick(NAMES);
    // Also duplicates: yaml's Document API does not stop a second `python`.
    map.items.push(doc.createPair(key, randomValue(doc, rng)) as never);
    return `addKey ${JSON.stringify(key)}`;
  },
};

/** One mutated copy of a seed: which file changed, how, and its new bytes. */
interface Mutant {
  readonly seedName: string;
  readonly target: string;
  readonly notes: readonly string[];
  readonly files: ReadonlyMap<string, Buffer>;
}

function mutate(seedName: string, files: Files, rng: Random): Mutant {
  const names = Object.keys(files);
  const target = rng.chance(0.8) || names.length === 1 ? 'env.yaml' : rng.pick(names);
  let text = files[target] ?? '';
  let latin1 = false;
  const notes: string[] = [];
  const rounds = 1 + rng.int(3);
  for (let round = 0; round < rounds; round++) {
    if (!latin1 && rng.chance(0.45)) {
      const doc = parseDocument(text, { uniqueKeys: false });
      const name = rng.pick(Object.keys(documentMutations));
      if (doc.errors.length === 0 && doc.contents) {
        try {
          notes.push((documentMutations[name] ?? (() => ''))(doc, rng));
          text = doc.toString({ lineWidth: 0 });
          continue;
        } catch (error) {
          // Some mutations make a document yaml cannot print (an alias before its anchor);
          // fall through to a text mutation.
          notes.push(`${name} unprintable: ${(error as Error).message.split('\n')[0] ?? ''}`);
        }
      }
    }
    const name = rng.pick(Object.keys(textMutations));
    const result = (textMutations[name] ?? ((t: string) => ({ text: t, note: '' })))(text, rng);
    text = result.text;
    notes.push(result.note);
    if (name === 'flipByte') latin1 = true;
  }
  const out = new Map(Object.entries(files).map(([name, content]) => [name, Buffer.from(content, 'utf8')]));
  out.set(target, Buffer.from(text, latin1 ? 'latin1' : 'utf8'));
  return { seedName, target, notes, files: out };
}

// ---------------------------------------------------------------- checks

const root = tempDir('envbuild-fuzz-');

/** Writes a mutant into its seed's own directory (so no file of another seed is in reach). */
function writeMutant(seedIndex: number, mutant: Mutant): string {
  const dir = path.join(root, `seed-${seedIndex}`);
  for (const [name, content] of mutant.files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** What is wrong with the outcome of one load, or undefined when it behaved. */
function problemWith(outcome: unknown, dir: string, files: ReadonlyMap<string, Buffer>): string | undefined {
  if (outcome === 'loaded') return undefined;
  if (!(outcome instanceof UserError)) {
    return `threw something other than a UserError: ${outcome instanceof Error ? (outcome.stack ?? outcome.message) : String(outcome)}`;
  }
  if (!(outcome instanceof ManifestError)) return undefined;
  if (outcome.diagnostics.length === 0) return 'a ManifestError without diagnostics';
  for (const d of outcome.diagnostics) {
    const where = JSON.stringify(d);
    if (!d.location) return `a diagnostic without a location: ${where}`;
    const name = path.relative(dir, d.location.file);
    // A mutation can point `extends` anywhere (`extends: /usr/bin/python3`): a problem found
    // there is located there, in a file that must exist.
    const outside = name.startsWith('..') || path.isAbsolute(name);
    const content = outside && fs.existsSync(d.location.file) ? fs.readFileSync(d.location.file) : files.get(name);
    if (!content) return `a diagnostic in a file that is neither in the case nor on disk: ${where}`;
    const { line, col } = d.location;
    const lines = content.toString('utf8').split('\n');
    if (!Number.isInteger(line) || line < 1 || line > lines.length + 1) return `line outside the file (${lines.length} lines): ${where}`;
    if (!Number.isInteger(col) || col < 1) return `column below 1: ${where}`;
    const valid = Buffer.from(content.toString('utf8'), 'utf8').equals(content);
    const lineLength = (lines[line - 1] ?? '').replace(/^\uFEFF/, '').length;
    if (valid && col > lineLength + 1) return `column past the end of line ${line} (${lineLength} characters): ${where}`;
    if (/[\u0000-\u001f]/.test(d.message) || /[\u0000-\u001f]/.test(d.hint ?? '')) return `control character in a message: ${where}`;
  }
  return undefined;
}

function load(file: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<unknown>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${CASE_LIMIT_MS} ms: a hang`)), CASE_LIMIT_MS);
  });
  const loaded = loadManifest(file).then(
    () => 'loaded',
    (error: unknown) => error,
  );
  return Promise.race([loaded, hang]).finally(() => clearTimeout(timer));
}

describe('manifest fuzzing', () => {
  test.each(SEEDS)('seed manifest %s is valid as it stands', async (_name, files) => {
    const dir = writeMutant(SEEDS.findIndex(([, f]) => f === files), {
      seedName: _name,
      target: 'env.yaml',
      notes: [],
      files: new Map(Object.entries(files).map(([n, c]) => [n, Buffer.from(c)])),
    });
    const manifest = await loadManifest(path.join(dir, 'env.yaml'));
    expect(manifest.environments.length).toBeGreaterThan(0);
  });

  test('mutated manifests load or fail with located diagnostics, never with a crash', async () => {
    const started = performance.now();
    const failures: string[] = [];
    const outcomes = { loaded: 0, manifestError: 0, userError: 0 };
    let slowest = { ms: 0, index: -1 };
    let ran = 0;
    const indices = ONLY_CASE === undefined ? Array.from({ length: MAX_CASES }, (_, i) => i) : [ONLY_CASE];

    for (const index of indices) {
      if (performance.now() - started > BUDGET_MS) break;
      const rng = caseRandom(SEED, index);
      const seedIndex = rng.int(SEEDS.length);
      const [seedName, files] = SEEDS[seedIndex] ?? ['', {}];
      const mutant = mutate(seedName, files, rng);
      const dir = writeMutant(seedIndex, mutant);

      const t = performance.now();
      const outcome = await load(path.join(dir, 'env.yaml'));
      const ms = performance.now() - t;
      ran += 1;
      if (ms > slowest.ms) slowest = { ms, index };
      if (outcome === 'loaded') outcomes.loaded += 1;
      else if (outcome instanceof ManifestError) outcomes.manifestError += 1;
      else if (outcome instanceof UserError) outcomes.userError += 1;

      const problem = problemWith(outcome, dir, mutant.files) ?? (ms > CASE_LIMIT_MS / 2 ? `took ${Math.round(ms)} ms` : undefined);
      if (problem && failures.length < MAX_REPORTED_FAILURES) {
        const input = mutant.files.get(mutant.target) ?? Buffer.alloc(0);
        failures.push(
          [
            `case ${index} of seed ${SEED}: ${problem}`,
            `  reproduce: FUZZ_SEED=${SEED} FUZZ_CASE=${index} npx vitest run test/manifest/fuzz.test.ts`,
            `  from: ${seedName}, mutated ${mutant.target}: ${mutant.notes.join('; ')}`,
            `  input (${input.length} bytes, as a JS string of its latin1 reading):`,
            `  ${JSON.stringify(input.toString('latin1'))}`,
          ].join('\n'),
        );
      } else if (problem) {
        failures.push(`case ${index}: ${problem.split('\n')[0] ?? ''}`);
      }
    }

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `manifest fuzz: seed ${SEED}, ${ran} cases in ${seconds} s (${outcomes.loaded} loaded, ${outcomes.manifestError} ManifestError, ` +
        `${outcomes.userError} other UserError); slowest case ${slowest.index} at ${Math.round(slowest.ms)} ms`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
    // A budget that let only a handful run would make this test prove little.
    if (ONLY_CASE === undefined) expect(ran).toBeGreaterThanOrEqual(Math.min(MAX_CASES, 500));
  });
});
