/**
 * The published type declarations (dist/src/index.d.ts, dist/src/recipe-api/index.d.ts) compile
 * in a consumer that has no `@types/node`: with only the ES library, with the DOM library, and
 * with Node's types (where envbuild's own declarations of a few globals must merge cleanly).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.js';
import { tempDir } from '../helpers/temp-dir.js';

const CONSUMER = `import { apply, load, UserError, type ApplyOptions, type Manifest } from 'envbuild';
import { defineRecipe, writeIfChanged, type PythonInfo } from 'envbuild/recipe';

const options: ApplyOptions = { wait: true };
export async function run(signal?: ApplyOptions['signal']): Promise<Manifest> {
  await apply('env.yaml', signal ? { ...options, signal } : options);
  return load('env.yaml');
}
export const recipe: unknown = defineRecipe;
export const write: typeof writeIfChanged = writeIfChanged;
export const python: PythonInfo | undefined = undefined;
export const error = new UserError('E', 'message');
`;

function compile(compilerOptions: Record<string, unknown>) {
  const dir = tempDir('envbuild-consumer-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(REPO, path.join(dir, 'node_modules', 'envbuild'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
  fs.writeFileSync(path.join(dir, 'index.ts'), CONSUMER);
  const tsconfig = {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, ...compilerOptions },
    files: ['index.ts'],
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('type declarations without @types/node', () => {
  it('compile against envbuild and envbuild/recipe with the ES library only', () => {
    expect(fs.existsSync(path.join(REPO, 'dist', 'src', 'index.d.ts')), 'run npm run build first').toBe(true);
    const r = compile({ lib: ['ES2022'], types: [] });
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);

  it('compile with the DOM library, and with Node’s types, whose globals they merge with', () => {
    expect(compile({ lib: ['ES2022', 'DOM'], types: [] })).toEqual({ code: 0, out: '' });
    expect(compile({ lib: ['ES2022'], types: ['node'], typeRoots: [path.join(REPO, 'node_modules', '@types')] })).toEqual({ code: 0, out: '' });
  }, 300_000);
});
