import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real interpreters and real pip runs: some tests take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores here; tests spawn Python, so more workers only add contention.
    maxWorkers: 2,
  },
});
