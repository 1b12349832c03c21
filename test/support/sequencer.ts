import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that each take minutes (a corpus of gradings, gradings through impaired networks). Vitest
 * orders files by their durations in its cache, and a fresh clone has none: it then runs larger
 * files first, and these are small files that grade a lot, so they would start last and leave the
 * other workers idle while they finish. Started first, they overlap everything else.
 */
const LONG_FILES = [/\/grader\/corpus\/corpus\.\d\.test\.ts$/, /\/grader\/robustness\.test\.ts$/];

const isLong = (spec: TestSpecification): boolean => LONG_FILES.some((re) => re.test(spec.moduleId));

/** Vitest's own order, with the long files moved to the front. */
export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter(isLong), ...sorted.filter((f) => !isLong(f))];
  }
}
