/**
 * What the runner makes of a recipe's results before recording them: outputs checked to be
 * JSON data (with a message that names the offending output), the fingerprint that decides
 * whether a part changed (key order does not matter, values do), the changed option keys a plan
 * shows, the apply summary's few words, and a recipe's failure labelled with its part.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/user-error.js';
import { canonicalJson, changedKeys, partFingerprint } from '../../src/parts/fingerprint.js';
import { summarizePart } from '../../src/parts/part-summary.js';
import { recipeFailure } from '../../src/parts/recipe-failure.js';
import { checkOutputs } from '../../src/parts/recipe-outputs.js';
import type { PartRecord } from '../../src/recipe-api/api.js';

describe('checkOutputs', () => {
  it('accepts JSON data, and no outputs as none', () => {
    const data = { a: 'x', n: 1.5, ok: true, none: null, list: [1, 'two', { deep: [false] }], map: Object.assign(Object.create(null) as object, { k: 'v' }) };
    expect(checkOutputs('app.p', 'r', data)).toBe(data);
    expect(checkOutputs('app.p', 'r', undefined)).toEqual({});
  });

  const deep = (n: number): unknown => (n === 0 ? 'leaf' : { d: deep(n - 1) });
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = { back: cycle };
  it.for([
    ['null', null, 'outputs must be a mapping, not null'],
    ['a list', [1], 'outputs must be a mapping, not a list'],
    // State refuses a part record whose outputs are not a mapping: accepting one would make
    // the next run refuse the whole state file.
    ['a string', 'x', 'outputs must be a mapping, not a string'],
    ['a number', 3, 'outputs must be a mapping, not a number'],
    ['an infinite number', { n: Infinity }, 'output outputs.n is Infinity, which JSON cannot hold'],
    ['NaN in a list', { l: [1, NaN] }, 'output outputs.l[1] is NaN, which JSON cannot hold'],
    ['a BigInt', { b: 12n }, 'output outputs.b is a BigInt (12n); give it as a string or a number'],
    ['a function', { f: () => 1 }, 'output outputs.f is a function, not data'],
    ['undefined inside', { u: [undefined] }, 'output outputs.u[0] is a undefined, not data'],
    ['a symbol', { s: Symbol('x') }, 'output outputs.s is a symbol, not data'],
    ['a class instance', { when: new Date(0) }, 'output outputs.when is a Date, not a plain mapping'],
    ['an object without a constructor', { odd: Object.create(Object.create(null) as object) as object }, 'output outputs.odd is a class instance, not a plain mapping'],
    ['a cycle', cycle, 'output outputs.self.back refers back to itself (a cycle)'],
    ['nesting past 64 levels', deep(70), `output outputs${'.d'.repeat(64)} is nested more than 64 levels deep`],
  ] as const)('refuses %s, naming the output', ([, outputs, message]) => {
    const e = (() => {
      try {
        checkOutputs('app.p', 'paths', outputs);
      } catch (err) {
        return err as UserError;
      }
      throw new Error('accepted');
    })();
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('ERECIPE');
    expect(e.message).toBe(`part app.p (paths): ${message}`);
    expect(e.hint).toBe('outputs must be JSON data (strings, numbers, booleans, null, lists and mappings, no cycles); this is a bug in the recipe "paths": report it to its author');
  });

  it('accepts a value seen twice that is not a cycle, and nesting of exactly 64 levels', () => {
    const shared = { v: 1 };
    expect(() => checkOutputs('a.p', 'r', { x: shared, y: [shared, shared] })).not.toThrow();
    const deep = (n: number): unknown => (n === 0 ? 'leaf' : { d: deep(n - 1) });
    expect(() => checkOutputs('a.p', 'r', deep(64))).not.toThrow();
  });
});

describe('the fingerprint', () => {
  const input = { recipe: 'r@1', options: { b: [1, { y: 2, x: 1 }], a: 'x' }, python: { executable: '/p', version: '3.11.2' }, layout: 'venv' };
  it('does not depend on key order, nor on keys without a value', () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: 'x' }], u: undefined })).toBe('{"a":[{"c":"x","d":null}],"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('s')).toBe('"s"');
    expect(canonicalJson([1, 'a', [2, 3]])).toBe('[1,"a",[2,3]]');
    expect(partFingerprint(input)).toBe(partFingerprint({ layout: 'venv', python: { version: '3.11.2', executable: '/p' }, options: { a: 'x', b: [1, { x: 1, y: 2 }] }, recipe: 'r@1' }));
    expect(partFingerprint(input)).toMatch(/^[0-9a-f]{64}$/);
  });
  it('changes with each of its inputs', () => {
    const fp = partFingerprint(input);
    expect(partFingerprint({ ...input, recipe: 'r@2' })).not.toBe(fp);
    expect(partFingerprint({ ...input, options: { ...input.options, a: 'y' } })).not.toBe(fp);
    expect(partFingerprint({ ...input, options: { ...input.options, b: [{ y: 2, x: 1 }, 1] } })).not.toBe(fp);
    expect(partFingerprint({ ...input, python: { executable: '/p', version: '3.12.0' } })).not.toBe(fp);
    expect(partFingerprint({ ...input, layout: 'classic' })).not.toBe(fp);
  });
  it('names the changed option keys, sorted', () => {
    expect(changedKeys({ z: 1, a: { x: 1, y: 2 }, same: [1], gone: 'x' }, { a: { y: 2, x: 1 }, z: 2, same: [1], added: true })).toEqual(['added', 'gone', 'z']);
    expect(changedKeys({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe('summarizePart', () => {
  const record = (installed: unknown, created: PartRecord['created'] = []): PartRecord => ({ recipe: 'r', version: '1', fingerprint: 'f', options: {}, outputs: installed === undefined ? {} : { installed }, created });
  it('says what was installed, changed and uninstalled, and how many files were written', () => {
    const before = record({ a: '1', b: '1', gone: '2' });
    const now = record({ a: '1', b: '2', new: '1', n: 3 }, [
      { path: '/e/d', kind: 'dir' },
      { path: '/e/d/f', kind: 'file', sha256: 'x', mode: 0o644 },
      { path: '/e/l', kind: 'symlink', target: 'f' },
    ]);
    expect(summarizePart(now, before)).toBe('new installed, b changed version, gone uninstalled, 2 files written');
    expect(summarizePart(record(undefined, [{ path: '/e/f', kind: 'file', sha256: 'x', mode: 0o644 }]), null)).toBe('1 file written');
    expect(summarizePart(record(undefined, [{ path: '/e/d', kind: 'dir' }]), null)).toBe('');
  });
  it('names what changed and what went in alphabetical order, whatever the order of the outputs', () => {
    expect(summarizePart(record({ b: '2', a: '2' }), record({ a: '1', b: '1' }))).toBe('a and b changed version');
    expect(summarizePart(record({}), record({ z: '1', y: '1' }))).toBe('y and z uninstalled');
    expect(summarizePart(record({ d: '1', c: '1' }), null)).toBe('c and d installed');
  });

  it('lists up to three names, then counts', () => {
    expect(summarizePart(record({ a: '1', b: '1' }), null)).toBe('a and b installed');
    expect(summarizePart(record({ c: '1', a: '1', b: '1' }), record({}))).toBe('a, b and c installed');
    expect(summarizePart(record({ a: '1', b: '1', c: '1', d: '1' }), null)).toBe('4 distributions installed');
    expect(summarizePart(record({}), record({ x: '1', y: '1', z: '1', w: '1' }))).toBe('4 distributions uninstalled');
  });
  it('ignores an installed output that is not a mapping of versions', () => {
    expect(summarizePart(record(['a']), null)).toBe('');
    expect(summarizePart(record('a'), null)).toBe('');
    expect(summarizePart(record({ a: '1' }), record(['a']))).toBe('a installed');
  });
});

describe('recipeFailure', () => {
  it('prefixes a recipe’s own error with its part, once, keeping code, hint and option, located and redacted', () => {
    const own = new UserError('EOWN', 'bad path https://u:Fail-S3cret@h/', { hint: 'fix it', option: ['path'] });
    const e = recipeFailure('app.p', 'file', 'apply', own, (option) => ({ file: '/m/env.yaml', line: 7, col: 9, key: option.join('.') }) as never);
    expect(e.code).toBe('EOWN');
    expect(e.message).toBe('/m/env.yaml:7:9: part app.p (file): bad path https://u:***@h/');
    expect(e.hint).toBe('fix it');
    expect(e.option).toEqual(['path']);
    const already = recipeFailure('app.p', 'file', 'apply', new UserError('EEXEC', 'part app.p (file): sh exited with code 1'));
    expect(already.message).toBe('part app.p (file): sh exited with code 1');
    expect(already.hint).toBeUndefined();
    expect(already.option).toBeUndefined();
    // Without a locator, or for an error about no option, no location.
    expect(recipeFailure('app.p', 'file', 'apply', own).message).toBe('part app.p (file): bad path https://u:***@h/');
    expect(recipeFailure('app.p', 'file', 'apply', new UserError('E', 'x'), () => ({ file: '/m', line: 1, col: 1 }) as never).message).toBe('part app.p (file): x');
  });

  it('calls anything else a bug of the recipe, with its trace', () => {
    const bug = new TypeError('cannot read x of undefined https://T0k3n-Bug@h/');
    const e = recipeFailure('app.p', 'paths', 'remove', bug);
    expect(e.code).toBe('ERECIPE_BUG');
    const [first, ...trace] = e.message.split('\n');
    expect(first).toBe('part app.p: recipe paths failed unexpectedly during remove: cannot read x of undefined https://***@h/');
    expect(trace.length).toBeGreaterThan(0);
    // One frame a line, as the stack had them.
    expect(trace).toEqual(bug.stack!.split('\n').slice(1).map((l) => `  ${l.trim()}`));
    for (const line of trace) expect(line).toMatch(/^ {2}at [^\n]*$/);
    expect(e.hint).toBe('this is a bug in the recipe "paths"; report it to its author with the trace above');
    expect(recipeFailure('a.p', 'r', 'plan', 'just text').message).toMatch(/^part a\.p: recipe r failed unexpectedly during plan: just text\n/);
  });

  it('reports a full disk met by a recipe as such, not as a bug', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/e/f' });
    const e = recipeFailure('app.p', 'file', 'apply', enospc);
    expect(e.code).not.toBe('ERECIPE_BUG');
    expect(e.message).toMatch(/^part app\.p \(file\): /);
  });
});
