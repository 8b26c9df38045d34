/**
 * The tests Stryker runs against each mutant: in-process unit tests of the mutated folders
 * (the e2e tests run dist/, untouched by mutation). No global setup: the system-untouched
 * check digests 60 000 files; `npm test` does it.
 */
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import FailedThenFastestSequencer from './sequencer.js';

export default defineConfig({
  ...(base.resolve ? { resolve: base.resolve } : {}),
  test: {
    ...(base.test?.env ? { env: base.test.env } : {}),
    // A mutant that makes a test hang (a wait whose exit was mutated) fails that test here, a
    // kill like any other, instead of running into Stryker's timeout (1.5× the covering tests'
    // time + 5 s + the dry run's ~7 s start-up), which also restarts its runner process. The
    // slowest test of this set takes about 2 s.
    testTimeout: 8_000,
    // One module graph per worker instead of one per test file: a mutant's covering tests run
    // about 7× faster (and test/mutation/reused-threads.mjs keeps the worker from one mutant to
    // the next, evaluating the project's modules again for each). It is sound because these
    // tests hold no module-level state between files: the whole set passes with --no-isolate
    // in any order (`npx vitest run --config test/mutation/vitest.config.ts --no-isolate
    // --sequence.shuffle`).
    isolate: false,
    sequence: { sequencer: FailedThenFastestSequencer },
    include: [
      'test/parts/**/*.test.ts',
      'test/plan/**/*.test.ts',
      'test/state/**/*.test.ts',
      'test/secrets/**/*.test.ts',
      'test/isolation/overlay.test.ts',
      'test/isolation/resolve-allowlist.test.ts',
      'test/isolation/resolve-allowlist-steps.test.ts',
      'test/isolation/dpkg.test.ts',
      'test/isolation/resolve-allowlist-details.test.ts',
      'test/lock/**/*.test.ts',
      'test/install/**/*.test.ts',
    ],
    // pip against envbuild on real pip wheels: ~170 s a run (each mutant it covers would rerun
    // it). The installed tree, RECORD and refusals are asserted on test-built wheels in
    // test/install instead; `npm test` still runs it.
    // concurrency.test.ts fills the cache from child processes, where Stryker switches no mutant
    // on: it can kill none and costs ~10 s for every mutant of src/install it covers.
    // cache-cli.test.ts drives `envbuild cache` through src/cli/main.ts, whose import graph is
    // the whole CLI: in Stryker's instrumented sandbox that import alone costs ~350 ms for each
    // of the ~900 src/install mutants its install covers. What it reaches in src/install
    // (cacheSize, cleanCache, the cache directory from ENVBUILD_CACHE_DIR) is asserted in
    // cache-uninstall.test.ts; `npm test` still runs it.
    // recipe-validators.test.ts regenerates the built-in recipes' validators (a file excluded from
    // mutation) and covers only src/parts/validate-options.ts, whose mutants the other test/parts
    // files kill just as well: the same 132 of 139 with and without it (Stryker, --testFiles
    // test/parts, both runs), so it would only add its ~0.4 s import to ~100 mutant runs.
    exclude: [
      'test/install/differential-pip.test.ts',
      'test/install/concurrency.test.ts',
      'test/install/cache-cli.test.ts',
      'test/parts/recipe-validators.test.ts',
    ],
  },
});
