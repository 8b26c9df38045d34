/**
 * The order Stryker's test runs take under mutation. vitest's own sequencer runs the slowest
 * files first, which is right for a full run on many workers; under mutation every run stops
 * at its first failing test (bail), so the file that killed the previous mutant goes first (its
 * neighbour is most often killed by the same test), and then the fastest: a mutant a cheap file
 * kills never pays for the slow ones.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import path from 'node:path';

export default class FailedThenFastestSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Stryker's first, coverage-recording run takes the files in path order, the same every
    // time: a module's top-level code counts as run by whichever test first loads it, and
    // Stryker skips ("ignoreStatic") a mutant that only such code runs. In timing order, a file
    // that loads recipes inside a test could come first in one run and not the next, and ~100
    // mutants would swap between skipped and tested by that one test.
    if ((this.ctx.getProvidedContext() as Record<string, unknown>)['mode'] === 'dry-run') {
      return [...files].sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
    }
    const cache = this.ctx.cache;
    const known = (spec: TestSpecification) =>
      cache.getFileTestResults(`${spec.project.name}:${path.relative(this.ctx.config.root, spec.moduleId)}`);
    return [...files].sort((a, b) => {
      const sa = known(a);
      const sb = known(b);
      if (!sa || !sb) return sa ? -1 : sb ? 1 : 0;
      if (sa.failed !== sb.failed) return sa.failed ? -1 : 1;
      return sa.duration - sb.duration;
    });
  }
}
