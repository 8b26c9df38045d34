import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { writeNoteRecipe } from '../helpers/note-recipe.js';
import { makeProject, type Project } from '../helpers/project.js';

function project(python: string, parts: string): Project {
  const p = makeProject(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n${parts}`);
  writeNoteRecipe(p.dir);
  return p;
}

describe('parts and the recipe runner', () => {
  it('applies a local recipe, records its outputs, and a re-apply is a no-op', (ctx) => {
    const p = project(debianPython(ctx, 11), '      hello:\n        recipe: ./recipes/note.mjs\n        text: hi\n');
    const r = p.run('apply');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('parts: hello create');
    expect(fs.readFileSync(path.join(p.env('app'), 'share', 'NOTE.txt'), 'utf8')).toBe('hi');
    const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));
    expect(state.environments.app.parts.hello.outputs).toEqual({ file: path.join(p.env('app'), 'share', 'NOTE.txt'), length: 2 });
    expect(p.run('plan', '--detailed-exitcode').code).toBe(0);
  });

  it('re-plans a part whose options change, or whose file was edited, and says why', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = project(python, '      hello:\n        recipe: ./recipes/note.mjs\n        text: hi\n');
    expect(p.run('apply').code).toBe(0);
    fs.writeFileSync(path.join(p.env('app'), 'share', 'NOTE.txt'), 'tampered');
    expect(p.run('plan').stdout).toMatch(/part hello \(\.\/recipes\/note\.mjs\): update\n +share\/NOTE\.txt edited/);
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      hello:\n        recipe: ./recipes/note.mjs\n        text: bye\n`);
    expect(p.run('plan').stdout).toContain('options changed: text');
    expect(p.run('apply').code).toBe(0);
    expect(fs.readFileSync(path.join(p.env('app'), 'share', 'NOTE.txt'), 'utf8')).toBe('bye');
  });

  it('re-plans a part when the recipe source changes', (ctx) => {
    const p = project(debianPython(ctx, 11), '      hello:\n        recipe: ./recipes/note.mjs\n        text: hi\n');
    expect(p.run('apply').code).toBe(0);
    fs.appendFileSync(path.join(p.dir, 'recipes', 'note.mjs'), '\n// edited\n');
    expect(p.run('plan').stdout).toMatch(/recipe changed \.\/recipes\/note\.mjs#\w+@1 → \.\/recipes\/note\.mjs#\w+@1/);
  });

  it('interpolates references, orders parts by them, and propagates a change', (ctx) => {
    const python = debianPython(ctx, 11);
    const parts = (text: string) =>
      `      second:\n        recipe: ./recipes/note.mjs\n        file: SECOND.txt\n        text: "first wrote \${parts.first.length} chars to \${parts.first.file} in \${environments.app.path} (\${env:ENVBUILD_TEST_MISSING:-none})"\n` +
      `      first:\n        recipe: ./recipes/note.mjs\n        text: ${text}\n`;
    const p = project(python, parts('abc'));
    const r = p.run('apply');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(p.env('app'), 'share', 'SECOND.txt'), 'utf8')).toBe(
      `first wrote 3 chars to ${path.join(p.env('app'), 'share', 'NOTE.txt')} in ${p.env('app')} (none)`,
    );
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n${parts('abcdef')}`);
    const plan = p.run('plan').stdout;
    expect(plan).toContain('part first (./recipes/note.mjs): update');
    expect(plan).toContain('uses app.first, which changes');
    expect(p.run('apply').code).toBe(0);
    expect(fs.readFileSync(path.join(p.env('app'), 'share', 'SECOND.txt'), 'utf8')).toContain('first wrote 6 chars');
  });

  it('reports unknown references and cycles at the referring value', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = project(
      python,
      '      a:\n        recipe: ./recipes/note.mjs\n        text: "${parts.b.file}"\n' +
        '      b:\n        recipe: ./recipes/note.mjs\n        text: "${parts.a.file}"\n' +
        '      c:\n        recipe: ./recipes/note.mjs\n        text: "${parts.nope.file}"\n',
    );
    const r = p.run('plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:14:15: \${parts.nope.file} refers to an unknown part "nope" of environment app`);
    expect(r.stderr).toMatch(/reference cycle: app\.a → app\.b → app\.a/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('validates options with the recipe schema, located in the manifest', (ctx) => {
    const p = project(debianPython(ctx, 11), '      hello:\n        recipe: ./recipes/note.mjs\n        txet: hi\n');
    const r = p.run('plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:8:9: unknown option "txet" for recipe note; did you mean "text"?`);
    expect(r.stderr).toContain('missing required option "text"');
  });

  it('a missing or malformed recipe is an error at its recipe value', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = project(python, '      a:\n        recipe: ./recipes/nothing.mjs\n      b:\n        recipe: no-such-recipe\n');
    fs.writeFileSync(path.join(p.dir, 'recipes', 'bad.mjs'), 'export default { name: "bad" };');
    const r = p.run('plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:7:17: recipe module ${path.join(p.dir, 'recipes', 'nothing.mjs')} cannot be read`);
    expect(r.stderr).toContain(`${p.manifest}:9:17: unknown recipe "no-such-recipe"`);
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      a:\n        recipe: ./recipes/bad.mjs\n`);
    expect(p.run('plan').stderr).toContain('recipe "./recipes/bad.mjs" is malformed: "version" must be a non-empty string');
  });

  it('a failing command fails its part with the command output, keeping state consistent', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = project(python, '      ok:\n        recipe: ./recipes/note.mjs\n        text: fine\n      broken:\n        recipe: ./recipes/note.mjs\n        text: x\n        file: B.txt\n        fail: true\n');
    const r = p.run('apply');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('part app.broken (note): /bin/sh -c');
    expect(r.stderr).toContain('exited with code 3');
    expect(r.stderr).toContain('the note machine is broken');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const state = JSON.parse(fs.readFileSync(path.join(p.dir, '.envbuild', 'env.yaml.state.json'), 'utf8'));
    expect(Object.keys(state.environments.app.parts)).toEqual(['ok']);
    expect(p.run('plan').stdout).toMatch(/part broken \(\.\/recipes\/note\.mjs\): create/);
  });

  it('removes a part dropped from the manifest, deleting only what it created and still owns', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = project(python, '      a:\n        recipe: ./recipes/note.mjs\n        text: one\n      b:\n        recipe: ./recipes/note.mjs\n        file: B.txt\n        text: two\n');
    expect(p.run('apply').code).toBe(0);
    fs.writeFileSync(path.join(p.env('app'), 'share', 'B.txt'), 'user edit');
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts: {}\n`);
    const plan = p.run('plan').stdout;
    expect(plan).toContain('part b (./recipes/note.mjs): remove');
    const r = p.run('apply');
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(p.env('app'), 'share', 'NOTE.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(p.env('app'), 'share', 'B.txt'), 'utf8')).toBe('user edit');
    expect(r.stdout).toContain(`kept envs/app/share/B.txt: changed since envbuild created it`);
  });
});
