// Mutation testing of the core where a silent bug costs users most (issue 10): `npm run mutate`
// (all folders) or `npm run mutate -- --mutate 'src/secrets/**/*.ts'` (one folder at a time on
// a shared machine). Not part of `npm test`. Survivors known to be equivalent are listed in
// test/mutation/equivalent-mutants.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // Stryker's vitest runner, with a worker thread kept from one mutant to the next (the
  // plugin's header says what carries over and why that is sound).
  testRunner: 'vitest-reused-threads',
  plugins: ['@stryker-mutator/vitest-runner', './test/mutation/stryker-runner.mjs'],
  // Only the in-process unit tests: e2e tests run dist/, which Stryker does not mutate.
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Globs that match nothing (a folder not yet on main) are simply empty.
  mutate: [
    'src/state/**/*.ts',
    'src/plan/**/*.ts',
    'src/parts/**/*.ts',
    'src/secrets/**/*.ts',
    'src/isolation/overlay.ts',
    'src/isolation/resolve-allowlist.ts',
    'src/isolation/resolve-allowlist/**/*.ts',
    'src/lock/**/*.ts',
    'src/install/**/*.ts',
    '!src/**/types.ts',
    // Generated (test/parts/recipe-validators.test.ts regenerates and checks it).
    '!src/parts/recipe-validators.generated.ts',
    '!src/**/*.d.ts',
  ],
  ignoreStatic: true,
  // vitest strips types without checking them, so there is nothing to disable; and rewriting
  // the sandbox's sources would make the generated-validators test see a stale file.
  disableTypeChecks: false,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Stryker allows a mutant 1.5× its tests' own time plus this: a mutant that hangs (a loop
  // whose exit was mutated) is cut off 5 s late instead of 30 s, and the in-process tests
  // take well under that.
  timeoutMS: 5_000,
  // A second run in the same tree (one folder per run on a shared machine) must not copy the
  // first one's sandbox or reports into its own.
  ignorePatterns: ['.stryker-tmp*', 'reports', '.mut-*', 'mutc.*'],
  // Reruns test only the mutants whose code or covering tests changed since the last run
  // (reports/stryker-incremental.json); `npm run mutate -- --force` tests everything again.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  thresholds: { high: 90, low: 80, break: null },
};
