import { defineConfig, mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config.js';

/**
 * Runs the quickest test files first. Stryker stops at a mutant's first failing test, so a
 * mutant a focused test kills costs that test, not the minute-long property runs that
 * Vitest's own order (longest first) would start with.
 */
class QuickestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const cost = (file: TestSpecification) => {
      const key = `${file.project.name}:${file.moduleId.slice(this.ctx.config.root.length + 1)}`;
      return cache.getFileTestResults(key)?.duration ?? 0; // A new file first: likely the focused one.
    };
    return [...files].sort((a, b) => cost(a) - cost(b));
  }
}

/**
 * The configuration of the mutation run (stryker.config.json): the Node suite, quickest
 * files first, and the property runs of test/reliability and test/results.test.ts at 20
 * sequences instead of `npm test`'s 200 and 40 (each mutant they cover runs them again).
 * Test files stay isolated: with one shared module graph (`isolate: false`) a test of
 * test/sync/engine.test.ts fails after others, so Stryker's first run would stop.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      sequence: { sequencer: QuickestFirst },
      env: { NUM_RUNS: '20' },
    },
  }),
);
