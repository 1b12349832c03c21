import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { SkipSummaryReporter } from './test/support/skip-summary.ts';
import { LongFilesFirst } from './test/support/sequencer.ts';

// Where the workers record tests skipped for a missing system piece; one file per run.
const skipLog = join(tmpdir(), `avsock-skips-${process.pid}.jsonl`);

/**
 * The quick tier (npm run test:quick, the pre-push hook): pure units, parsers and protocol — no
 * ffmpeg, sockets to real servers, browser, Python or child commands. Everything else runs in the
 * whole suite (npm test) and in CI.
 */
export const QUICK_TESTS = [
  'src/protocol/**/*.test.ts',
  'src/timing/**/*.test.ts',
  'src/platform/**/*.test.ts',
  'src/process/process-tree.test.ts',
  'src/media/ffmpeg-features.test.ts',
  'src/media/jpeg-splitter.test.ts',
  'src/client/**/*.test.ts',
  'src/server/registry.test.ts',
  'src/cli/stream-options.test.ts',
  'src/net/spec.test.ts',
  'src/net/path.test.ts',
  'src/net/frame-ledger.test.ts',
  'grader/measure/analysis.test.ts',
  'grader/measure/avsync.test.ts',
  'grader/measure/server-figures.test.ts',
  'grader/measure/playout.test.ts',
  'grader/measure/result-codec.test.ts',
  'grader/screenshot/shown-frames.test.ts',
  'grader/score/*.test.ts',
  'grader/calibrate/limits.test.ts',
  'grader/report/*.test.ts',
  'test/support/*.test.ts',
  'test/workflow.test.ts',
];

/**
 * GitHub's workflow parser is published with source maps that name TypeScript files it does not
 * ship, so Vite warns once per module (67 lines) when it loads the package. Loading those modules
 * without their map comment silences that at the source; stack traces inside the parser then point
 * at its JavaScript, which is all the package has.
 */
const workflowParserWithoutMaps = {
  name: 'workflow-parser-without-source-maps',
  async load(id: string) {
    if (!id.includes('/node_modules/@actions/workflow-parser/') || !id.endsWith('.js')) return null;
    const code = await readFile(id.split('?')[0]!, 'utf8');
    return { code: code.replace(/^\/\/# sourceMappingURL=.*$/gm, ''), map: null };
  },
};

/** The container tier (npm run test:container, vitest.container.config.ts): never part of npm test. */
const CONTAINER_TESTS = 'test/container/**';

const ALL_TESTS = ['src/**/*.test.ts', 'grader/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'];

export default defineConfig({
  plugins: [workflowParserWithoutMaps],
  test: {
    // Integration tests run real ffmpeg, sockets and Chromium in real time, so most of a file's time
    // is waiting for a clip to play: with two files at once a 2-core machine sat a third idle, so
    // three run at once (the tests assert events, not timings, so a busier core slows them, no more).
    // The timeouts only
    // catch a hang: a test that starts a dozen commands (the git hooks, a grading) takes several
    // times its quiet length beside a student's busy browser, and that is not a failure.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 3,
    sequence: { sequencer: LongFilesFirst },
    fileParallelism: true,
    env: { AVSOCK_SKIP_LOG: skipLog },
    reporters: ['default', new SkipSummaryReporter(skipLog)],
    // The figures the streaming tests print (fps, jitter, RSS …) are shown with a failing test, where
    // they explain it; a green run stays one line per file. `npx vitest run --silent=false` shows them all.
    silent: 'passed-only',
    // GitHub's workflow parser imports its schema JSON without an import attribute, which Node's own
    // loader refuses: let Vite load that package instead.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    // `vitest run` runs both; `vitest run --project quick` (npm run test:quick) only the first.
    projects: [
      { extends: true, test: { name: 'quick', include: QUICK_TESTS } },
      { extends: true, test: { name: 'full', include: ALL_TESTS, exclude: [...QUICK_TESTS, '**/node_modules/**', CONTAINER_TESTS] } },
    ],
  },
});
