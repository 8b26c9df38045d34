#!/usr/bin/env node
// Bundles the CLI and the library into dist/ with esbuild; `npm run build` runs it after tsc
// has written the .d.ts files. Usage: node scripts/bundle.mjs [--meta]  (--meta also writes
// dist/meta.json, esbuild's account of what went into which chunk, for size analysis).
//
// Why: unbundled, a no-op `envbuild apply` spent ~90 ms of CPU resolving, reading and
// compiling ~200 small modules (yaml alone is 72 files) before doing any work.
//
// The CLI (dist/cli.mjs) and the public library (dist/index.mjs, package.json `exports`) come
// from ONE build with code splitting, so every source module exists once in dist/: a recipe —
// built in or third-party — importing 'envbuild' gets the very classes the CLI checks with
// instanceof (UserError), not a second copy. Recipes import 'envbuild/recipe' (dist/recipe.mjs,
// from src/recipe-api/, which imports nothing of the engine); built-in recipes resolve it
// through tsconfig `paths`. Dynamic imports stay split points, so what is
// rarely needed (listr2, ajv, pep440, the isolation engine, the recipes, `check`) is only
// loaded when used.
import { build } from 'esbuild';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `await import('a-commonjs-package')` must give what Node gives: `default` (module.exports)
 * and the named exports Node finds in the module. With code splitting, esbuild gives `default`
 * alone, so `const { validRange } = await import('@renovatebot/pep440')` would be undefined.
 * Such an import goes instead through a small module that re-exports, by name, what Node
 * itself reports for the package.
 */
const commonJsDynamicImports = {
  name: 'commonjs-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || builtinModules.includes(args.path)) return undefined;
      return isCommonJs(args.path) ? { path: args.path, namespace: 'commonjs-dynamic-import' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'commonjs-dynamic-import' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((n) => n !== 'default');
      const lines = [`const m = require(${JSON.stringify(args.path)});`, 'export default m;'];
      names.forEach((n, i) => lines.push(`const _${i} = m[${JSON.stringify(n)}];`, `export { _${i} as ${JSON.stringify(n)} };`));
      return { contents: lines.join('\n'), resolveDir: root, loader: 'js' };
    });
  },
};

/**
 * yaml ships CommonJS for Node and the same code as ES modules for browsers. The ES build lets
 * esbuild leave out what envbuild never calls (stringifying, most of the YAML 1.1 tags; ~60%
 * of the library) and spares the CommonJS wrappers at start-up, where every run pays for them.
 */
const yamlAsEsm = {
  name: 'yaml-as-esm',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: path.join(root, 'node_modules', 'yaml', 'browser', 'index.js') }));
  },
};

/** Whether Node loads `specifier` (from the package root) as CommonJS, by Node's own rules. */
function isCommonJs(specifier) {
  let file;
  try {
    file = fileURLToPath(import.meta.resolve(specifier));
  } catch {
    return false;
  }
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) return JSON.parse(fs.readFileSync(manifest, 'utf8')).type !== 'module';
  }
  return true;
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts', recipe: 'src/recipe-api/index.ts' },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.9',
  tsconfig: 'tsconfig.json',
  // The CLI maps stack traces of bugs back to src/ through these (src/cli/source-mapped-stack.ts);
  // library users get the same with node --enable-source-maps.
  sourcemap: 'linked',
  sourcesContent: false,
  // Bundled CommonJS dependencies call require() for Node's own modules (yaml, proper-lockfile)
  // and read __filename (write-file-atomic, for its temporary names): give every chunk both.
  banner: {
    js: [
      "import { createRequire as __envbuildCreateRequire } from 'node:module';",
      "import { fileURLToPath as __envbuildFileURLToPath } from 'node:url';",
      'const require = __envbuildCreateRequire(import.meta.url);',
      'const __filename = __envbuildFileURLToPath(import.meta.url);',
    ].join('\n'),
  },
  metafile: true,
  plugins: [commonJsDynamicImports, yamlAsEsm],
  logLevel: 'warning',
});

// Nothing may be left for Node to resolve at run time but Node's own modules: a bare import
// here would mean a dependency (or 'envbuild' itself, a second copy) loaded unbundled.
const stray = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path));
if (stray.length > 0) {
  console.error(`bundle: unbundled imports: ${[...new Set(stray.map((i) => i.path))].join(', ')}`);
  process.exit(1);
}
if (process.argv.includes('--meta')) fs.writeFileSync(path.join(root, 'dist', 'meta.json'), JSON.stringify(result.metafile));

