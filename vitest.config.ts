import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Recipes import the package by name, as third-party recipes do; under test that must be
  // the sources (one module graph, one UserError class), not a possibly stale dist/.
  resolve: {
    alias: [
      { find: /^envbuild\/recipe$/, replacement: fileURLToPath(new URL('./src/recipe-api/index.ts', import.meta.url)) },
      { find: /^envbuild$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The per-user key that signs state files: never the real ~/.config during tests.
    env: { ENVBUILD_CONFIG_DIR: process.env['ENVBUILD_CONFIG_DIR'] ?? path.join(os.tmpdir(), `envbuild-test-config-${process.pid}`) },
    // Rebuilds dist/ when a source is newer (e2e tests run it), and fails the run if the
    // suite changed the system's site directories (issue 6).
    globalSetup: ['test/dist-fresh.global-setup.ts', 'test/system-untouched.global-setup.ts'],
    // Real interpreters and real pip runs: some tests take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores here; tests spawn Python, so more workers only add contention.
    maxWorkers: 2,
  },
});
