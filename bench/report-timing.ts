/**
 * Child process of the benchmark's "reports" section: writes every report of one graded submission
 * (the recorded run in grader/testing/recorded/) with every format switched on — report.json,
 * report.md, the step summary, JUnit, Gradescope, report.html, PrairieLearn — into a temporary
 * folder, prints one JSON line on stdout and exits.
 *
 * Cold = the first writeReports() of a fresh process, the import of the report writers (Plot,
 * linkedom, sharp, resvg, and the grader modules they use) included, as a grading process pays it
 * once. Warm = each further writeReports() in the same process. Nothing the report writers use is
 * imported before the cold clock starts: the imports below are Node's own.
 * argv: WARM_RUNS
 */
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GradeReport } from '../grader/report/types.ts';

export interface ReportTiming {
  coldMs: number;
  warmMs: number[];
  /** Sizes of what the recorded run gives, bytes. */
  htmlBytes: number;
  prairielearnBytes: number;
}

const RECORDED = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'grader', 'testing', 'recorded');

async function main(): Promise<void> {
  const warmRuns = Number(process.argv[2] ?? 3);
  const dir = await mkdtemp(join(tmpdir(), 'avsock-bench-reports-'));
  try {
    // The grading leaves these beside the reports before they are written (grade.ts).
    await copyFile(join(RECORDED, 'series.json'), join(dir, 'series.json'));
    await copyFile(join(RECORDED, 'screenshot.png'), join(dir, 'screenshot.png'));
    const recorded = JSON.parse(await readFile(join(RECORDED, 'report.json'), 'utf8')) as GradeReport;
    const report: GradeReport = {
      ...recorded,
      screenshot: join(dir, 'screenshot.png'),
      screenshotInfo: { ...recorded.screenshotInfo, ok: true, reportCopy: join(dir, 'screenshot.png') },
    };
    const files = {
      html: join(dir, 'report.html'),
      series: join(dir, 'series.json'),
      json: join(dir, 'report.json'),
      prairielearn: join(dir, 'prairielearn', 'results.json'),
      markdown: join(dir, 'report.md'),
      junit: join(dir, 'junit.xml'),
      gradescope: join(dir, 'gradescope', 'results.json'),
    };
    // GitHub's step summary too, into a file of ours (never a real job's summary).
    process.env.GITHUB_STEP_SUMMARY = join(dir, 'step-summary.md');

    const t0 = performance.now();
    const { writeReports } = await import('../grader/report/writers.ts');
    await writeReports(report, files);
    const coldMs = performance.now() - t0;
    const warmMs: number[] = [];
    for (let i = 0; i < warmRuns; i++) {
      await rm(process.env.GITHUB_STEP_SUMMARY, { force: true });
      const t = performance.now();
      await writeReports(report, files);
      warmMs.push(performance.now() - t);
    }
    const timing: ReportTiming = {
      coldMs,
      warmMs,
      htmlBytes: (await stat(files.html)).size,
      prairielearnBytes: (await stat(files.prairielearn)).size,
    };
    process.stdout.write(`${JSON.stringify(timing)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
