import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first, from measured runs: the corpus halves and the
 * robustness gradings take minutes, these others half a minute each. Vitest orders files by their
 * durations in its cache, and a fresh clone has none: it then runs larger files first, and a small
 * file that grades a lot would start last and leave the other workers idle while it finishes.
 * Started first, the long files overlap everything else and the run ends on short ones.
 */
export const LONG_FILES: readonly string[] = [
  'grader/corpus/corpus.1.test.ts',
  'grader/corpus/corpus.2.test.ts',
  'grader/robustness.test.ts',
  'test/interop/tutorial-python.test.ts',
  'test/reliability/soak-short.test.ts',
  'test/reliability/network-faults.test.ts',
  'test/e2e/robustness.test.ts',
  'grader/e2e.test.ts',
  'grader/grade.test.ts',
  'grader/gradescope/package.test.ts',
  'grader/hostile.test.ts',
  'test/reliability/bad-inputs.test.ts',
  'test/e2e/stream.test.ts',
  'test/reliability/hostile-peers.test.ts',
];

const rank = (spec: TestSpecification): number => {
  const i = LONG_FILES.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
  return i < 0 ? LONG_FILES.length : i;
};

/** The long files first, longest first; then vitest's own order (its cache's durations, else size). */
export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: files of equal rank keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
