/**
 * Stryker's vitest runner, with one change: consecutive mutant runs share a worker thread
 * (./reused-threads.mjs) instead of starting a new one each. Named `vitest-reused-threads` in
 * stryker.config.mjs; everything else is @stryker-mutator/vitest-runner's own.
 *
 * A kept thread carries no module of the project over (each run evaluates them again). It is
 * ended, so that the next run starts in a new one, after the dry run (which records
 * coverage), around a mutant that also runs while modules load (Stryker asks for a fresh
 * environment for it) and after any run that did not end cleanly: a test that timed out or
 * hit Stryker's loop limit may leave work running, and an error outside a test leaves the
 * thread in an unknown state.
 */
import { commonTokens, declareFactoryPlugin, PluginKind, tokens } from '@stryker-mutator/api/plugin';
import { strykerPlugins as vitestPlugins } from '@stryker-mutator/vitest-runner';
import { POOL_NAME, reusedThreadsPool, setParking, terminateParked } from './reused-threads.mjs';

const vitestRunnerFactory = vitestPlugins.find((plugin) => plugin.name === 'vitest').factory;

/** A failure that says the test or a hook ran out of time rather than failing an assertion. */
const OUT_OF_TIME = /\b(?:Test|Hook) timed out in \d+ ?ms/;

function endedCleanly(result) {
  if (result.status === 'survived') return true;
  return result.status === 'killed' && !OUT_OF_TIME.test(result.failureMessage ?? '');
}

function createRunner(injector) {
  const inner = injector.injectFunction(vitestRunnerFactory);
  return {
    capabilities: () => inner.capabilities(),
    async init() {
      await inner.init();
      for (const project of inner.ctx.projects) {
        project.config.pool = POOL_NAME;
        project.config.poolRunner = reusedThreadsPool;
      }
    },
    async dryRun(options) {
      setParking(false);
      return inner.dryRun(options);
    },
    async mutantRun(options) {
      setParking(!options.reloadEnvironment);
      const result = await inner.mutantRun(options);
      if (options.reloadEnvironment || !endedCleanly(result)) terminateParked();
      return result;
    },
    async dispose() {
      setParking(false);
      await inner.dispose();
    },
  };
}
createRunner.inject = tokens(commonTokens.injector);

export const strykerPlugins = [declareFactoryPlugin(PluginKind.TestRunner, 'vitest-reused-threads', createRunner)];
