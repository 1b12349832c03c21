import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'grader/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests run real ffmpeg, sockets and Chromium on a 2-core machine: give them room,
    // and keep at most two files running at once so their timing is not starved.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
