import { describe, expect, test } from 'vitest';
import type { SourceLocation } from '../../src/errors/diagnostic.js';
import { loadManifest, type Manifest } from '../../src/manifest/index.js';
import { manifestDir } from './manifest-fixture.js';

/** The example of design.md §3, verbatim (its base.yaml supplies the layout). */
const DESIGN_EXAMPLE = `# yaml-language-server: $schema=<path to envbuild.schema.json>
envbuild: 1                      # required: format version
extends: [base.yaml]             # optional: manifests layered under this one, later wins
defaults:                        # optional: fields every environment inherits
  python: ">=3.10"
  isolation: full
environments:                    # required: at least one
  app:                           # name: [a-z0-9][a-z0-9._-]*
    python: "3.11"               # a version range ("3.11", ">=3.10 <3.13", "3.12.1"),
                                 # a command on PATH ("python3.12") or an absolute path
    path: envs/app               # optional; default envs/<name>, relative to the manifest
    prompt: app                  # optional; default the environment's name
    layout: auto                 # auto | venv | classic (classic: interpreters without PEP 405)
    isolation: full              # full | system | the mapping below
    parts:                       # ordered mapping: part name → recipe + options
      deps:
        recipe: packages
        requirements: ["attrs==23.2.0", "-r requirements.txt"]
        find-links: [wheels]
      config:
        recipe: file
        path: "\${environments.app.path}/etc/app.ini"
        content: "python = \${environments.app.python.executable}\\n"
  ubuntu:
    python: /usr/bin/python3
    isolation:
      mode: cherry-pick
      allow:
        - python-apt             # a distribution name (PEP 503 normalised match)
        - dist: PyYAML           # the same, with a PEP 440 version specifier
          version: ">=6"
        - module: six            # a top-level import name
        - deb: python3-gi        # a Debian/Ubuntu package, through dpkg's file lists
        - path: /opt/vendor/py   # a whole directory, added to the path as it is
      search-paths: [/opt/ros/humble/lib/python3.10/site-packages]   # extra global dirs
      dependencies: follow       # follow (default) | ignore | error
`;

/** 1-based position of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; col: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`not in the text: ${needle}`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 };
}

describe('a valid manifest is normalised', () => {
  test('the example of the design, with defaults applied and absolute paths', async () => {
    const m = manifestDir({ 'env.yaml': DESIGN_EXAMPLE, 'base.yaml': 'envbuild: 1\ndefaults:\n  layout: venv\n' });
    const at = (needle: string): SourceLocation => ({ file: m.path('env.yaml'), ...positionOf(DESIGN_EXAMPLE, needle) });

    const manifest = await loadManifest(m.path('env.yaml'));

    expect(manifest).toEqual({
      file: m.path('env.yaml'),
      dir: m.dir,
      format: 1,
      source: expect.anything(),
      locks: { dir: m.dir, write: true },
      environments: [
        {
          name: 'app',
          python: '3.11',
          path: `${m.dir}/envs/app`,
          prompt: 'app',
          layout: 'auto',
          isolation: { mode: 'full', allow: [], searchPaths: [], dependencies: 'follow' },
          parts: [
            {
              name: 'deps',
              recipe: 'packages',
              options: { requirements: ['attrs==23.2.0', '-r requirements.txt'], 'find-links': ['wheels'] },
              at: at('deps:'),
            },
            {
              name: 'config',
              recipe: 'file',
              // `${...}` is resolved by a later stage: strings are kept as written.
              options: {
                path: '${environments.app.path}/etc/app.ini',
                content: 'python = ${environments.app.python.executable}\n',
              },
              at: at('config:'),
            },
          ],
          at: at('app:  '),
        },
        {
          name: 'ubuntu',
          python: '/usr/bin/python3',
          path: `${m.dir}/envs/ubuntu`,
          prompt: 'ubuntu',
          layout: 'venv',
          isolation: {
            mode: 'cherry-pick',
            allow: [
              { kind: 'dist', name: 'python-apt', at: at('python-apt') },
              { kind: 'dist', name: 'PyYAML', version: '>=6', at: at('dist: PyYAML') },
              { kind: 'module', name: 'six', at: at('module: six') },
              { kind: 'deb', name: 'python3-gi', at: at('deb: python3-gi') },
              { kind: 'path', path: '/opt/vendor/py', at: at('path: /opt/vendor/py') },
            ],
            searchPaths: ['/opt/ros/humble/lib/python3.10/site-packages'],
            dependencies: 'follow',
          },
          parts: [],
          at: at('ubuntu:'),
        },
      ],
    } satisfies Manifest);
  });

  test('defaults fill what an environment leaves out; what it sets wins, as a whole', async () => {
    const m = manifestDir({
      'project/env.yaml': [
        'envbuild: 1',
        'defaults:',
        '  python: "3.12"',
        '  layout: classic',
        '  isolation:',
        '    mode: cherry-pick',
        '    allow: [{path: vendor/py}]',
        '    search-paths: [../system-site]',
        'environments:',
        '  plain:', // nothing after the colon: all defaults
        '  own:',
        '    python: python3.11',
        '    path: /opt/envs/own/',
        '    prompt: (own)',
        '    isolation: system',
        '',
      ].join('\n'),
    });
    const manifest = await loadManifest(m.path('project/env.yaml'));
    const [plain, own] = manifest.environments;
    expect(plain).toMatchObject({
      name: 'plain',
      python: '3.12',
      path: `${m.dir}/project/envs/plain`,
      prompt: 'plain',
      layout: 'classic',
      isolation: {
        mode: 'cherry-pick',
        allow: [{ kind: 'path', path: `${m.dir}/project/vendor/py` }],
        // Global directories may well lie outside the project: only environment paths may not.
        searchPaths: [`${m.dir}/system-site`],
        dependencies: 'follow',
      },
    });
    expect(own).toMatchObject({
      python: 'python3.11',
      path: '/opt/envs/own',
      prompt: '(own)',
      layout: 'classic',
      isolation: { mode: 'system', allow: [], searchPaths: [] },
    });
  });

  test('environments and parts keep manifest order, even with names that look like numbers', async () => {
    const m = manifestDir({
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
    });
    const manifest = await loadManifest(m.path('env.yaml'));
    expect(manifest.environments.map((e) => e.name)).toEqual(['zeta', '3', 'alpha']);
    expect(manifest.environments[0]?.parts.map((p) => p.name)).toEqual(['setup', '10', '2']);
  });

  test('a `__proto__` key is only an unknown key', async () => {
    const m = manifestDir({ 'env.yaml': 'envbuild: 1\nenvironments:\n  app:\n    python: "3"\n    __proto__: {polluted: true}\n' });
    await expect(loadManifest(m.path('env.yaml'))).rejects.toMatchObject({
      diagnostics: [{ message: 'unknown key `__proto__`', location: m.at('env.yaml', 5, 5) }],
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('extends', () => {
  const files = {
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
  };

  test('layers merge in order: later wins, mappings merge deeply, lists replace', async () => {
    const m = manifestDir(files);
    const manifest = await loadManifest(m.path('env.yaml'));
    expect(manifest.environments).toHaveLength(1);
    const app = manifest.environments[0];
    expect(app).toMatchObject({
      python: '3.12', // local.yaml is listed after shared/base.yaml, which overrides common.yaml
      layout: 'venv', // from common.yaml, through shared/base.yaml
      isolation: { mode: 'cherry-pick', allow: [{ kind: 'dist', name: 'six' }] },
    });
    // A part overridden in place keeps its place; new parts come after.
    expect(app?.parts.map((p) => [p.name, p.recipe, p.options])).toEqual([
      ['deps', 'packages', { requirements: ['attrs'], index: 'none' }],
      ['config', 'file', {}],
      ['extra', 'file', {}],
    ]);
    // The environment's own paths are relative to the top manifest, not to the base.
    expect(app?.path).toBe(`${m.dir}/envs/app`);
  });

  test('each value remembers the file and position it was written at', async () => {
    const m = manifestDir(files);
    const { source, environments } = await loadManifest(m.path('env.yaml'));
    expect(source.locate(['defaults', 'python'])).toEqual(m.at('local.yaml', 3, 11));
    expect(source.locate(['defaults', 'layout'])).toEqual(m.at('common.yaml', 4, 11));
    expect(source.locate(['environments', 'app', 'isolation', 'mode'])).toEqual(m.at('shared/base.yaml', 8, 13));
    expect(source.locate(['environments', 'app', 'isolation', 'allow', 0])).toEqual(m.at('env.yaml', 6, 15));
    expect(source.locate(['environments', 'app', 'parts', 'deps', 'index'])).toEqual(m.at('shared/base.yaml', 14, 16));
    expect(source.locateKey(['environments', 'app', 'parts', 'config'])).toEqual(m.at('shared/base.yaml', 15, 7));
    expect(environments[0]?.parts[1]?.at).toEqual(m.at('shared/base.yaml', 15, 7));
    // Missing paths fall back to the key of the nearest enclosing value.
    expect(source.locate(['environments', 'app', 'prompt'])).toEqual(m.at('env.yaml', 4, 3));
  });

  test('a base listed twice (a diamond) is fine', async () => {
    const m = manifestDir({
      'env.yaml': 'envbuild: 1\nextends: [a.yaml, b.yaml]\nenvironments:\n  app: {}\n',
      'a.yaml': 'envbuild: 1\nextends: common.yaml\n',
      'b.yaml': 'envbuild: 1\nextends: common.yaml\n',
      'common.yaml': 'envbuild: 1\ndefaults: {python: "3.11"}\n',
    });
    const manifest = await loadManifest(m.path('env.yaml'));
    expect(manifest.environments[0]?.python).toBe('3.11');
  });
});
