/**
 * The --json contract (schemas/json/*.schema.json) checked against what the real CLI prints:
 * automation (the Ansible collection) parses exactly these documents, so a field renamed or
 * dropped in the code must fail here before it fails on someone's fleet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { FakeSite } from '../helpers/fake-site.js';
import { makeProject, REPO } from '../helpers/project.js';
import { debianPython } from '../helpers/require-python.js';

const SCHEMAS = path.join(REPO, 'schemas', 'json');

function validators(): Record<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  for (const f of fs.readdirSync(SCHEMAS)) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')) as object);
  const out: Record<string, ValidateFunction> = {};
  for (const name of ['plan', 'apply', 'destroy', 'check', 'validate', 'error', 'pythons', 'cache']) {
    const v = ajv.getSchema(`https://envbuild.dev/schemas/json/${name}.schema.json`);
    if (!v) throw new Error(`schemas/json/${name}.schema.json is missing`);
    out[name] = v;
  }
  return out;
}

/** Parses stdout as one JSON document and checks it against the command's schema. */
function conforms(v: Record<string, ValidateFunction>, schema: string, stdout: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  const validate = v[schema]!;
  expect(validate(doc) ? [] : validate.errors, `${schema} document`).toEqual([]);
  expect(doc['format']).toBe(1);
  expect(doc['command']).toBe(schema);
  return doc;
}

describe('the --json contract', () => {
  it('every schema is valid JSON Schema with an $id, a title and format 1', () => {
    const files = fs.readdirSync(SCHEMAS).sort();
    expect(files).toEqual(['apply', 'cache', 'check', 'common', 'destroy', 'error', 'lock', 'plan', 'pythons', 'validate'].map((n) => `${n}.schema.json`));
    validators();
  });

  it('plan, apply, validate, check, destroy and pythons print documents their schemas accept', (ctx) => {
    const python = debianPython(ctx);
    const site = new FakeSite();
    site.distInfo({ name: 'allowed-pkg', version: '1.0', files: { 'allowed_pkg/__init__.py': '' } });
    const p = makeProject(
      [
        'envbuild: 1',
        'environments:',
        '  app:',
        `    python: ${python}`,
        '    parts:',
        '      conf:',
        '        recipe: file',
        '        path: "${environments.app.path}/etc/app.ini"',
        '        content: "x = 1\\n"',
        '  picky:',
        `    python: ${python}`,
        '    isolation:',
        '      mode: cherry-pick',
        `      search-paths: [${site.dir}]`,
        '      allow: [allowed-pkg]',
        '',
      ].join('\n'),
    );
    const v = validators();
    const plan = conforms(v, 'plan', p.run('plan', '--json').stdout);
    expect(plan['changes']).toBe(true);

    const applied = p.run('apply', '--json');
    expect(applied.code).toBe(0);
    const first = conforms(v, 'apply', applied.stdout);
    expect(first['changed']).toBe(true);
    expect((first['outcomes'] as Array<{ name: string; action: string }>).map((o) => `${o.name} ${o.action}`).sort()).toEqual(['app create', 'picky create']);

    const again = conforms(v, 'apply', p.run('apply', '--json').stdout);
    expect(again['changed']).toBe(false);
    expect(again['changes']).toBe(false);

    const valid = conforms(v, 'validate', p.run('validate', '--json').stdout);
    expect((valid['environments'] as Array<{ name: string }>).map((e) => e.name)).toEqual(['app', 'picky']);

    const checked = p.run('check', '--json');
    expect(checked.code).toBe(0);
    const audit = conforms(v, 'check', checked.stdout);
    expect(audit['clean']).toBe(true);

    conforms(v, 'pythons', p.run('pythons', '--json').stdout);

    const destroyed = p.run('destroy', '--json');
    expect(destroyed.code).toBe(0);
    const gone = conforms(v, 'destroy', destroyed.stdout);
    expect(gone['changed']).toBe(true);
    expect(fs.existsSync(p.env('app'))).toBe(false);
  });

  it('a failure prints an error document with located diagnostics, and exits 1', () => {
    const p = makeProject('envbuild: 1\nenvironments:\n  app:\n    pythn: "3.11"\n');
    const r = p.run('plan', '--json');
    expect(r.code).toBe(1);
    const doc = conforms(validators(), 'error', r.stdout);
    const error = doc['error'] as { code: string; diagnostics: Array<{ message: string; location: { line: number; col: number } }> };
    expect(error.code).toBe('EMANIFEST');
    expect(error.diagnostics.map((d) => d.message)).toEqual(['unknown key `pythn`; did you mean `python`?']);
    expect(error.diagnostics[0]!.location).toMatchObject({ line: 4, col: 5 });
  });
});
