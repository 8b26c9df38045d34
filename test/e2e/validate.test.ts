// envbuild validate at the command line: it judges the manifest alone, and a manifest read
// again (from the parsed-tree cache, when its bytes are unchanged) is judged the same.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../helpers/require-python.js';
import { makeProject } from '../helpers/project.js';

const oneEnv = (python: string, extra = ''): string => `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n${extra}`;

describe('envbuild validate', () => {
  it('judges the manifest alone: a state it cannot read changes nothing (plan still refuses it)', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(oneEnv(python));
    expect(p.run('apply').code).toBe(0);
    const state = path.join(p.dir, '.envbuild', 'env.yaml.state.json');
    fs.writeFileSync(state, '{"format": "envbuild-state", "version": 2, "writtenBy": 7}');

    const v = p.run('validate');
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^${p.manifest} is valid: app \\(python 3\\.11\\.\\d+\\)\\n$`));

    const plan = p.run('plan');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(`refusing to use ${state}: "writtenBy" is not a string`);
  });

  it('reads an unchanged manifest from its parsed tree, and an edited one afresh, located', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(oneEnv(python, '    prompt: first\n'));
    // Trees are signed with the key that signs the state: until the first apply has made it,
    // nothing is kept.
    expect(p.run('validate').code).toBe(0);
    const trees = path.join(p.cacheDir, 'manifest-trees');
    expect(fs.existsSync(trees)).toBe(false);
    expect(p.run('apply').code).toBe(0);
    expect(p.run('validate').code).toBe(0);
    expect(fs.readdirSync(trees)).toHaveLength(1);
    expect(p.run('validate').stdout).toContain('is valid: app');
    expect(fs.readdirSync(trees)).toHaveLength(1);
    expect(p.run('validate').stdout).toContain('is valid: app');

    // An edited file: what the run judges is the file, not the tree stored for its old bytes.
    p.write(oneEnv(python, '    prompt: 42\n    layout: vnev\n'));
    const bad = p.run('validate');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${p.manifest}:6:13:`);
    expect(bad.stderr).toContain('vnev');
    // A failing run keeps nothing new: the one entry is still the first manifest's.
    expect(fs.readdirSync(trees)).toHaveLength(1);

    p.write(oneEnv(python, '    prompt: second\n'));
    expect(p.run('validate').code).toBe(0);
    const stored = fs.readFileSync(path.join(trees, fs.readdirSync(trees)[0]!), 'utf8');
    expect(stored).toContain('"second"');
    expect(stored).not.toContain('"first"');
  });
});
