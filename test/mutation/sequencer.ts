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
