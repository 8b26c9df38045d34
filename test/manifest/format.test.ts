import { expect, test } from 'vitest';
import { formatDiagnostic } from '../../src/errors/diagnostic.js';
import { ManifestError } from '../../src/errors/user-error.js';
import { loadManifest } from '../../src/manifest/index.js';
import { manifestDir } from './manifest-fixture.js';

test('the rendered report of a manifest with several problems', async () => {
  const m = manifestDir({
    'env.yaml': [
      '# yaml-language-server: $schema=../schemas/envbuild.schema.json',
      'envbuild: 1',
      'extends: base.yaml',
      'environments:',
      '  app:',
      '    python: 3.10',
      '    isolaton: full',
      '    parts:',
      '      deps:',
      '        requirements: [attrs]',
      '  tools:',
      '    path: ../tools',
      '    isolation:',
      '      mode: cherry-pick',
      '      allow:',
      '        - dist: PyYAML',
      '          version: "6"',
      '        - modul: gi',
      '',
    ].join('\n'),
    'base.yaml': 'envbuild: 1\ndefaults:\n  layout: venvv\n',
  });
  const error = await loadManifest(m.path('env.yaml')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ManifestError);
  const report = (error as ManifestError).diagnostics.map(formatDiagnostic).join('\n').replaceAll(m.dir, '<dir>');
  expect(report).toMatchInlineSnapshot(`
    "<dir>/base.yaml:3:11: expected \`auto\`, \`venv\` or \`classic\`, got the string "venvv"; did you mean \`venv\`? (at defaults.layout)
    <dir>/env.yaml:6:13: expected a string, got the number 3.1 (at environments.app.python)
      hint: YAML reads 3.10 as the number 3.1; write it in quotes: "3.10"
    <dir>/env.yaml:7:5: unknown key \`isolaton\`; did you mean \`isolation\`? (at environments.app.isolaton)
    <dir>/env.yaml:9:7: missing required key \`recipe\` (at environments.app.parts.deps.recipe)
      hint: every part names the recipe that builds it, e.g. \`recipe: packages\`
    <dir>/env.yaml:11:3: environment \`tools\` has no \`python\` (at environments.tools.python)
      hint: name its interpreter here or in \`defaults\`: a version range (\`python: "3.12"\`), a command (\`python3.12\`) or an absolute path
    <dir>/env.yaml:12:11: path \`../tools\` leaves the manifest's directory (at environments.tools.path)
      hint: use a path inside <dir>, or an absolute path if the environment really belongs elsewhere
    <dir>/env.yaml:17:20: invalid PEP 440 version specifier \`6\` (at environments.tools.isolation.allow[0].version)
      hint: add an operator: \`==6\` or \`>=6\`
    <dir>/env.yaml:18:11: unknown key \`modul\`; did you mean \`module\`? (at environments.tools.isolation.allow[1].modul)"
  `);
});
