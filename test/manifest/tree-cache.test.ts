import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ManifestError } from '../../src/errors/user-error.js';
import { loadManifest, loadManifestWithProblems } from '../../src/manifest/index.js';
import type { MapNode, SourceNode } from '../../src/manifest/source-tree.js';
import { TreeCache } from '../../src/manifest/tree-cache.js';
import { ENVBUILD_VERSION } from '../../src/version.js';
import { tempDir } from '../helpers/temp-dir.js';
import { manifestDir } from './manifest-fixture.js';

const BASE = 'envbuild: 1\ndefaults:\n  layout: venv\n';
const TOP = `envbuild: 1
extends: [base.yaml]
environments:
  app:
    python: "3.11"
    prompt: &p shared
    parts:
      conf:
        recipe: file
        path: "\${environments.app.path}/etc/app.ini"
        content: "x"
  "2":
    python: /usr/bin/python3
    prompt: *p
`;

/** The user's state key, which signs cache entries. */
const SECRET = Buffer.alloc(32, 7);

/** Loads as a command does: what was parsed is kept once the load found nothing wrong. */
async function cachedLoad(file: string, dir: string) {
  const loaded = await loadManifestWithProblems(file, { treeCache: { dir, secret: SECRET } });
  loaded.keepParsed?.();
  return loaded;
}

describe('parsed manifests kept between runs', () => {
  test('a manifest read from the cache is the manifest read from its YAML, located alike', async () => {
    const m = manifestDir({ 'env.yaml': TOP, 'base.yaml': BASE });
    const cache = path.join(tempDir('envbuild-trees-'), 'trees');
    const fresh = await loadManifest(m.path('env.yaml'));
    const first = await cachedLoad(m.path('env.yaml'), cache);
    expect(fs.readdirSync(cache)).toHaveLength(2); // one entry per file: the manifest and its base
    const again = await cachedLoad(m.path('env.yaml'), cache);
    for (const loaded of [first, again]) {
      expect(loaded.diagnostics).toEqual([]);
      expect(loaded.manifest!.environments).toEqual(fresh.environments);
      expect(loaded.manifest!.environments.map((e) => e.name)).toEqual(['app', '2']);
      for (const keyPath of [['environments', 'app', 'prompt'], ['environments', '2', 'prompt'], ['environments', 'app', 'parts', 'conf', 'content'], ['defaults', 'layout']]) {
        expect(loaded.manifest!.source.locate(keyPath)).toEqual(fresh.source.locate(keyPath));
        expect(loaded.manifest!.source.locateKey(keyPath)).toEqual(fresh.source.locateKey(keyPath));
      }
    }
  });

  test('a stored tree is what a later run reads for the same bytes', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n' });
    const cacheDir = tempDir('envbuild-trees-');
    const file = m.path('env.yaml');
    const bytes = fs.readFileSync(file);
    // A tree stored for these very bytes, saying something else: the run believes the cache.
    const at = { file, line: 1, col: 1 };
    const scalar = (value: string): SourceNode => ({ kind: 'scalar', at, value });
    const env: MapNode = { kind: 'map', at, entries: new Map([['python', { keyAt: at, value: scalar('3.12') }]]) };
    const stored: MapNode = {
      kind: 'map',
      at,
      entries: new Map([
        ['envbuild', { keyAt: at, value: { kind: 'scalar', at, value: 1 } }],
        ['environments', { keyAt: at, value: { kind: 'map', at, entries: new Map([['cached', { keyAt: at, value: env }]]) } }],
      ]),
    };
    new TreeCache(cacheDir, ENVBUILD_VERSION, SECRET).set(file, bytes, stored, SECRET);
    const { manifest } = await cachedLoad(file, cacheDir);
    expect(manifest!.environments.map((e) => [e.name, e.python])).toEqual([['cached', '3.12']]);

    // One byte more and the file is read again.
    fs.appendFileSync(file, '\n');
    const { manifest: edited } = await cachedLoad(file, cacheDir);
    expect(edited!.environments.map((e) => [e.name, e.python])).toEqual([['app', '3.11']]);
  });

  test('an edited manifest is parsed again, and its problem is located in the file', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n' });
    const cache = tempDir('envbuild-trees-');
    expect((await cachedLoad(m.path('env.yaml'), cache)).diagnostics).toEqual([]);
    fs.writeFileSync(m.path('env.yaml'), 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n    python: "3.12"\n');
    for (let run = 0; run < 2; run++) {
      const { diagnostics } = await cachedLoad(m.path('env.yaml'), cache);
      expect(diagnostics.map((d) => [d.message, d.location])).toEqual([['duplicate key `python`: it is already set at line 4, col 5', m.at('env.yaml', 5, 5)]]);
    }
  });

  test('a file with a problem is never stored; a broken entry is a miss', async () => {
    const m = manifestDir({ 'bad.yaml': 'envbuild: 1\nenvironments:\n  app: {python: "3.11"\n', 'good.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n' });
    const cache = path.join(tempDir('envbuild-trees-'), 'trees');
    await expect(loadManifest(m.path('bad.yaml'))).rejects.toBeInstanceOf(ManifestError);
    expect((await cachedLoad(m.path('bad.yaml'), cache)).diagnostics[0]!.location).toEqual(m.at('bad.yaml', 3, 8));
    // Good YAML, but no manifest: nothing is kept either.
    fs.writeFileSync(m.path('headless.yaml'), 'environments:\n  app:\n    python: "3.11"\n');
    expect((await cachedLoad(m.path('headless.yaml'), cache)).diagnostics[0]!.message).toContain('envbuild');
    expect(fs.existsSync(cache)).toBe(false);

    await cachedLoad(m.path('good.yaml'), cache);
    const [entry] = fs.readdirSync(cache);
    const signed = (body: string) => `${createHmac('sha256', SECRET).update(body).digest('hex')}\n${body}`;
    const good = fs.readFileSync(path.join(cache, entry!), 'utf8');
    const body = good.slice(good.indexOf('\n') + 1);
    for (const broken of ['{', signed('{'), signed('{"format":"envbuild-manifest-tree-1"}'), signed(JSON.stringify({ ...JSON.parse(body), tree: [1, [0, 1, 1], 'x'] }))]) {
      fs.writeFileSync(path.join(cache, entry!), broken);
      const { manifest, diagnostics } = await cachedLoad(m.path('good.yaml'), cache);
      expect(diagnostics).toEqual([]);
      expect(manifest!.environments.map((e) => [e.name, e.python])).toEqual([['app', '3.11']]);
    }
  });

  test('a tree not signed with the user\'s key is a miss: a planted entry never stands in for the manifest', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n' });
    const cacheDir = tempDir('envbuild-trees-');
    const file = m.path('env.yaml');
    const bytes = fs.readFileSync(file);
    const at = { file, line: 1, col: 1 };
    const planted: MapNode = {
      kind: 'map',
      at,
      entries: new Map([
        ['envbuild', { keyAt: at, value: { kind: 'scalar', at, value: 1 } }],
        ['environments', { keyAt: at, value: { kind: 'map', at, entries: new Map([['planted', { keyAt: at, value: { kind: 'map', at, entries: new Map([['python', { keyAt: at, value: { kind: 'scalar', at, value: '3.12' } }]]) } }]]) } }],
      ]),
    };
    // Written by someone who knows the file but not the key: the same entry, another signature.
    new TreeCache(cacheDir, ENVBUILD_VERSION, null).set(file, bytes, planted, Buffer.alloc(32, 8));
    expect(fs.readdirSync(cacheDir)).toHaveLength(1);
    const { manifest } = await cachedLoad(file, cacheDir);
    expect(manifest!.environments.map((e) => [e.name, e.python])).toEqual([['app', '3.11']]);
    // And the signature covers the tree: an edit after signing is a miss too.
    new TreeCache(cacheDir, ENVBUILD_VERSION, SECRET).set(file, bytes, planted, SECRET);
    const [entry] = fs.readdirSync(cacheDir);
    const text = fs.readFileSync(path.join(cacheDir, entry!), 'utf8');
    expect((await cachedLoad(file, cacheDir)).manifest!.environments.map((e) => e.name)).toEqual(['planted']);
    fs.writeFileSync(path.join(cacheDir, entry!), text.replace('"3.12"', '"3.13"'));
    expect((await cachedLoad(file, cacheDir)).manifest!.environments.map((e) => [e.name, e.python])).toEqual([['app', '3.11']]);
  });

  test('a manifest holding a credential is never copied into the cache', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n    prompt: https://user:s3cret-pass@index.example/simple\n' });
    const cache = path.join(tempDir('envbuild-trees-'), 'trees');
    for (let run = 0; run < 2; run++) expect((await cachedLoad(m.path('env.yaml'), cache)).diagnostics).toEqual([]);
    expect(fs.existsSync(cache)).toBe(false);
  });

  test('every value survives the stored form: special numbers, sources, key order, lists', () => {
    const cacheDir = tempDir('envbuild-trees-');
    const file = path.join(cacheDir, 'x.yaml');
    const at = (line: number) => ({ file, line, col: line + 1 });
    const values = [Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.1, 'text', true, null];
    const tree: MapNode = {
      kind: 'map',
      at: at(1),
      entries: new Map<string, { keyAt: ReturnType<typeof at>; value: SourceNode }>([
        ['2', { keyAt: at(2), value: { kind: 'seq', at: at(3), items: values.map((value, i) => ({ kind: 'scalar', at: at(4 + i), value })) } }],
        ['1', { keyAt: at(20), value: { kind: 'scalar', at: { file: '/elsewhere/base.yaml', line: 7, col: 3 }, value: 3.1, source: '3.10' } }],
      ]),
    };
    const cache = new TreeCache(cacheDir, ENVBUILD_VERSION, SECRET);
    const bytes = Buffer.from('irrelevant');
    cache.set(file, bytes, tree, SECRET);
    const back = cache.get(file, bytes)!;
    expect([...back.entries.keys()]).toEqual(['2', '1']);
    expect(back).toEqual(tree);
    const list = back.entries.get('2')!.value;
    const items = list.kind === 'seq' ? list.items.map((i) => (i.kind === 'scalar' ? i.value : undefined)) : [];
    expect(Object.is(items[1], -0)).toBe(true);
    expect(new TreeCache(cacheDir, 'another version', SECRET).get(file, bytes)).toBeUndefined();
  });

  test('without a cache directory, loading touches nothing but the manifests', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3.11"\n' });
    await loadManifest(m.path('env.yaml'));
    expect(fs.readdirSync(m.dir)).toEqual(['env.yaml']);
  });
});
