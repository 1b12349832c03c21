import { defineConfig } from 'vitest/config';

/**
 * npm run test:container: the grader's image built and graded in (podman or Docker). Minutes, not
 * seconds (a cold image build, real grading runs), so it is a tier of its own, never in npm test.
 */
export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    // One container grading at a time: the figures it reads are timing figures.
    fileParallelism: false,
    testTimeout: 20 * 60_000,
    hookTimeout: 60 * 60_000,
  },
});
