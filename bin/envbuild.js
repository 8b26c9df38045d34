#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ (built by `npm install` through `prepare`).
import { main } from '../dist/cli.mjs';

process.exitCode = await main(process.argv.slice(2));
