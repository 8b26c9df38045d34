/**
 * What `${...}` in a part's options can name, and what the user is told when a reference names
 * nothing: environment fields, another part's outputs, environment variables (remembered as
 * secrets), each problem in words. And a part's options checked against its recipe's schema,
 * each problem located at the value in the manifest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpolate } from '../../src/interpolate/interpolate.js';
import { loadManifest } from '../../src/manifest/index.js';
import type { Manifest } from '../../src/manifest/types.js';
import { makeLookup } from '../../src/parts/scope.js';
import { validateOptions } from '../../src/parts/validate-options.js';
import type { DesiredEnvironment } from '../../src/plan/types.js';
import type { Recipe } from '../../src/recipe-api/api.js';
import { redactText } from '../../src/secrets/redact.js';
import { tempDir } from '../helpers/temp-dir.js';

const MANIFEST = `envbuild: 1
environments:
  app:
    python: "3.11"
    prompt: my-app
    parts:
      db: {recipe: ./r.mjs}
      web: {recipe: ./r.mjs}
  tools.v2:
    python: "3.11"
    isolation: system
    parts:
      lint: {recipe: ./r.mjs}
`;

async function project(): Promise<{ dir: string; manifest: Manifest }> {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'env.yaml'), MANIFEST);
  return { dir, manifest: await loadManifest(path.join(dir, 'env.yaml')) };
}

function desired(dir: string, name: string): DesiredEnvironment {
  return {
    name,
    path: path.join(dir, name),
    inputs: { python: { executable: '/usr/bin/python3.11', version: '3.11.2' }, layout: 'classic', isolation: 'full', prompt: name },
    recipeEnv: { sitePackages: path.join(dir, name, 'lib', 'site') },
  } as unknown as DesiredEnvironment;
}

const OUTPUTS: Record<string, Record<string, unknown>> = { 'app.db': { url: 'postgres://x', nested: { port: 5432, list: ['a'] } }, 'tools.v2.lint': { bin: '/l' } };

async function resolve(text: string, current = 'app', processEnv: NodeJS.ProcessEnv = {}, only?: string[]): Promise<{ value?: unknown; problem?: string }> {
  const { dir, manifest } = await project();
  const run = (only ?? ['app', 'tools.v2']).map((n) => desired(dir, n));
  const lookup = makeLookup(manifest, run, current, (env, part) => OUTPUTS[`${env}.${part}`], processEnv);
  const { value, issues } = interpolate(text, lookup);
  return issues.length > 0 ? { problem: issues.map((i) => i.message).join(' | ').split(dir).join('DIR') } : { value: typeof value === 'string' ? value.split(dir).join('DIR') : value };
}

describe('references', () => {
  it.for([
    ['${environments.app.name}', 'app'],
    ['${environments.app.path}', 'DIR/envs/app'],
    ['${environments.app.prompt}', 'my-app'],
    ['${environments.tools.v2.isolation}', 'system'],
    ['${environments.app.layout}', 'classic'],
    ['${environments.app.bin}', 'DIR/envs/app/bin'],
    ['${environments.app.site-packages}', 'DIR/app/lib/site'],
    ['${environments.app.python}', 'DIR/envs/app/bin/python'],
    ['${environments.app.python.executable}', 'DIR/envs/app/bin/python'],
    ['${environments.app.python.version}', '3.11.2'],
    ['${environments.app.python.base}', '/usr/bin/python3.11'],
    ['${parts.db.url}', 'postgres://x'],
    ['${parts.db.nested.port}', 5432],
    ['${parts.db.nested}', { port: 5432, list: ['a'] }],
    ['${environments.tools.v2.parts.lint.bin}', '/l'],
    ['${environments.app.parts.db.nested.list}', ['a']],
  ] as const)('%s is %j', async ([ref, expected]) => {
    expect(await resolve(ref)).toEqual({ value: expected });
  });

  it('resolves parts.P in the current environment', async () => {
    expect(await resolve('${parts.lint.bin}', 'tools.v2')).toEqual({ value: '/l' });
  });

  it.for([
    ['${nothing.here}', '${nothing.here} names nothing: references start with environments., parts. or env:'],
    ['${environments.nope.path}', '${environments.nope.path} names an unknown environment; environments: app, tools.v2'],
    ['${environments.app.colour}', '${environments.app.colour}: environments have no field "colour"; use name, path, prompt, layout, isolation, bin, site-packages, python.executable, python.version, python.base or parts.PART.OUTPUT'],
    ['${parts.cache.x}', '${parts.cache.x}: environment app has no part "cache"'],
    ['${environments.app.parts}', '${environments.app.parts}: environment app has no part ""'],
    ['${parts.db}', '${parts.db}: name one of the part\'s outputs, e.g. ${parts.db.NAME}'],
    ['${parts.web.url}', '${parts.web.url}: part app.web has not been applied yet, so its outputs are unknown'],
    ['${parts.db.missing}', '${parts.db.missing}: part app.db has no output "missing"; its outputs: url, nested'],
    ['${parts.db.url.deeper}', '${parts.db.url.deeper}: part app.db has no output "url.deeper"; its outputs: url, nested'],
    ['${parts.db.constructor}', '${parts.db.constructor}: part app.db has no output "constructor"; its outputs: url, nested'],
    ['${env:ENVBUILD_UNSET_VAR}', '${env:ENVBUILD_UNSET_VAR}: the environment variable ENVBUILD_UNSET_VAR is not set (write ${env:ENVBUILD_UNSET_VAR:-default} to allow that)'],
  ] as const)('%s: says what is wrong', async ([ref, problem]) => {
    expect(await resolve(ref)).toEqual({ problem });
  });

  it('says when an environment outside this run is asked for what only resolution knows', async () => {
    for (const field of ['layout', 'site-packages', 'python.version', 'python.base']) {
      expect(await resolve(`\${environments.tools.v2.${field}}`, 'app', {}, ['app'])).toEqual({
        problem: `\${environments.tools.v2.${field}}: environment tools.v2 is not part of this run (see --env), so its ${field} is unknown`,
      });
    }
    // What the manifest itself says is known without it.
    expect(await resolve('${environments.tools.v2.path}', 'app', {}, ['app'])).toEqual({ value: 'DIR/envs/tools.v2' });
  });

  it('takes environment variables, with a default, and hides their values from output', async () => {
    expect(await resolve('t=${env:DEPLOY_TOKEN_X}', 'app', { DEPLOY_TOKEN_X: 'Sc0pe-Secret-1' })).toEqual({ value: 't=Sc0pe-Secret-1' });
    expect(redactText('printed Sc0pe-Secret-1')).toBe('printed ***');
    expect(await resolve('${env:ENVBUILD_UNSET_VAR:-fallback}')).toEqual({ value: 'fallback' });
    expect(await resolve('${env:EMPTY_ONE:-fallback}', 'app', { EMPTY_ONE: '' })).toEqual({ value: '' });
  });

  it('says a part has no such output below a null, and none in a string', async () => {
    const { dir, manifest } = await project();
    const lookup = makeLookup(manifest, [desired(dir, 'app')], 'app', () => ({ none: null, url: 'postgres://x' }), {});
    expect(interpolate('${parts.db.none.x}', lookup).issues.map((i) => i.message)).toEqual(['${parts.db.none.x}: part app.db has no output "none.x"; its outputs: none, url']);
    expect(interpolate('${parts.db.url.length}', lookup).issues.map((i) => i.message)).toEqual(['${parts.db.url.length}: part app.db has no output "url.length"; its outputs: none, url']);
  });

  it('names the outputs of a part without any', async () => {
    const { dir, manifest } = await project();
    const lookup = makeLookup(manifest, [desired(dir, 'app')], 'app', () => ({}), {});
    expect(interpolate('${parts.db.x}', lookup).issues[0]!.message).toBe('${parts.db.x}: part app.db has no output "x"; its outputs: (none)');
  });
});

describe('validateOptions', () => {
  const recipe = (options: object, name = 'demo'): Recipe => ({ name, version: '1', options, apply: async () => ({}) }) as unknown as Recipe;
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', pattern: '^[a-z/]+$' },
      mode: { enum: ['copy', 'link'] },
      count: { type: ['integer', 'null'] },
      fixed: { const: 7 },
      list: { type: 'array', items: { type: 'string', minLength: 2 } },
      'a/b~c': { type: 'string' },
      either: { oneOf: [{ type: 'number' }, { type: 'integer' }] },
    },
  };
  const OPTIONS_YAML = `envbuild: 1
environments:
  app:
    python: "3.11"
    parts:
      p:
        recipe: ./r.mjs
        pathh: x
        mode: move
        count: "3"
        fixed: 8
        list: [ok, x]
        a/b~c: 1
`;

  async function problems(options: Record<string, unknown>, s: object = schema) {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'env.yaml'), OPTIONS_YAML);
    const manifest = await loadManifest(path.join(dir, 'env.yaml'));
    const found = await validateOptions(recipe(s), options, manifest.source, ['environments', 'app', 'parts', 'p']);
    for (const d of found) expect(d.severity).toBe('error');
    return found.map((d) => ({ message: d.message, at: d.location ? `${d.location.line}:${d.location.col}` : undefined, keyPath: d.keyPath, hint: d.hint }));
  }

  it('accepts valid options', async () => {
    expect(await problems({ path: 'a/b', mode: 'copy', count: null, list: ['ab'] })).toEqual([]);
  });

  it('reports every problem in words, at its value', async () => {
    const found = await problems({ pathh: 'x', mode: 'move', count: '3', fixed: 8, list: ['ok', 'x'], 'a/b~c': 1 });
    expect(found).toEqual(
      expect.arrayContaining([
        { message: 'missing required option "path" (recipe demo)', at: '7:9', keyPath: 'environments.app.parts.p', hint: undefined },
        { message: 'unknown option "pathh" for recipe demo; did you mean "path"?', at: '8:9', keyPath: 'environments.app.parts.p.pathh', hint: 'options of demo: a/b~c, count, either, fixed, list, mode, path' },
        { message: 'expected one of "copy", "link", got "move" (recipe demo)', at: '9:15', keyPath: 'environments.app.parts.p.mode', hint: undefined },
        { message: 'expected integer or null, got the string "3" (recipe demo)', at: '10:16', keyPath: 'environments.app.parts.p.count', hint: undefined },
        { message: 'expected 7, got 8 (recipe demo)', at: '11:16', keyPath: 'environments.app.parts.p.fixed', hint: undefined },
        { message: 'invalid value: must NOT have fewer than 2 characters (recipe demo)', at: '12:20', keyPath: 'environments.app.parts.p.list.1', hint: undefined },
        { message: 'expected string, got the number 1 (recipe demo)', at: '13:16', keyPath: 'environments.app.parts.p.a/b~c', hint: undefined },
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it('names the type it got', async () => {
    const typed = { type: 'object', properties: { s: { type: 'string' } } };
    const got = async (v: unknown) => (await problems({ s: v }, typed))[0]!.message;
    expect(await got(null)).toBe('expected string, got null (recipe demo)');
    expect(await got([1])).toBe('expected string, got a list (recipe demo)');
    expect(await got({ a: 1 })).toBe('expected string, got a mapping (recipe demo)');
    expect(await got(true)).toBe('expected string, got the boolean true (recipe demo)');
  });

  it('says a pattern was not matched, and an unknown option of a recipe without options', async () => {
    expect((await problems({ path: 'A1' }))[0]!.message).toBe('"A1" does not match the pattern ^[a-z/]+$ (recipe demo)');
    expect(await problems({ zzz: 1 }, { type: 'object', additionalProperties: false })).toEqual([
      { message: 'unknown option "zzz" for recipe demo', at: '6:7', keyPath: 'environments.app.parts.p.zzz', hint: 'recipe demo takes no options' },
    ]);
  });

  it('reports the problems inside anyOf and if/then, not the combinator itself', async () => {
    const either = { type: 'object', properties: { v: { anyOf: [{ type: 'string' }, { type: 'number' }] } } };
    expect((await problems({ v: true }, either)).map((d) => d.message)).toEqual([
      'expected string, got the boolean true (recipe demo)',
      'expected number, got the boolean true (recipe demo)',
    ]);
    const conditional = { type: 'object', if: { properties: { mode: { const: 'copy' } }, required: ['mode'] }, then: { required: ['path'] } };
    expect((await problems({ mode: 'copy' }, conditional)).map((d) => d.message)).toEqual(['missing required option "path" (recipe demo)']);
  });

  it('says "invalid value" for a combinator other than oneOf when only combinators failed', async () => {
    const nested = { type: 'object', properties: { v: { anyOf: [{ oneOf: [{ type: 'number' }, { type: 'integer' }] }] } } };
    expect((await problems({ v: 3 }, nested)).map((d) => [d.message, d.keyPath])).toEqual([
      ['the value matches none (or more than one) of the forms recipe demo accepts here', 'environments.app.parts.p.v'],
      ['invalid value recipe demo accepts here', 'environments.app.parts.p.v'],
    ]);
  });

  it('accepts a third-party schema with keywords of its own', async () => {
    const own = { type: 'object', properties: { path: { type: 'string', markdownDescription: 'Where it goes' } }, 'x-editor': true };
    expect(await problems({ path: 'a' }, own)).toEqual([]);
    expect((await problems({ path: 1 }, own)).map((d) => d.message)).toEqual(['expected string, got the number 1 (recipe demo)']);
  });

  it('locates a problem under a key that ends or starts with digits, and in a list past its tenth item', async () => {
    const keyed = { type: 'object', properties: { files: { type: 'object', additionalProperties: { type: 'string' } }, list: { type: 'array', items: { type: 'string' } } } };
    const found = await problems({ files: { v2: 1, '2x': 1 }, list: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 1] }, keyed);
    expect(found.map((d) => d.keyPath)).toEqual(['environments.app.parts.p.files.v2', 'environments.app.parts.p.files.2x', 'environments.app.parts.p.list.10']);
  });

  it('says a value matching none of the forms is invalid, at the value', async () => {
    // 3 is both a number and an integer: only the combinator fails, with no error of its own forms.
    expect(await problems({ path: 'a', either: 3 })).toEqual([
      { message: 'the value matches none (or more than one) of the forms recipe demo accepts here', at: '6:7', keyPath: 'environments.app.parts.p.either', hint: 'see the README of recipe demo for its options' },
    ]);
  });
});
