#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ (built by `npm install` through `prepare`).
import { main } from '../dist/cli.mjs';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Done: whatever is still pending (a recipe that ignored its timeout, a stray timer) must not
// keep the process alive. Unref'd, so a run that ends cleanly exits at once as before.
setTimeout(() => process.exit(code), 200).unref();
