#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ (built by `npm install` through `prepare`).
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code of the bundle on disk between runs (in the OS temporary
// directory, or $NODE_COMPILE_CACHE), which saves most of the compile time at start-up. Node 20
// has no such switch; there the bundle is compiled at every start. Enabled before the bundle
// is imported, so that its modules are the ones cached.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.mjs');

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Done: whatever is still pending (a recipe that ignored its timeout, a stray timer) must not
// keep the process alive. Unref'd, so a run that ends cleanly exits at once as before.
setTimeout(() => process.exit(code), 200).unref();
