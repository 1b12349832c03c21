/**
 * What writing the reports adds to grading one submission: every format of the recorded run
 * (bench/report-timing.ts) in fresh processes — cold, module imports included, as each grading
 * process pays them once — and again in the same process (warm, as `grade class` pays them for
 * every further student). A few seconds in all, so --quick keeps it.
 */
import * as v from 'valibot';
import { parseJson } from '../../src/json.ts';
import { runProgram } from '../../src/process/exec.ts';
import { REPO_ROOT } from '../start-programs.ts';
import { median } from '../summary.ts';
import type { ReportTiming } from '../report-timing.ts';

export interface ReportsResult {
  /** Median over the processes of the first writeReports(), imports included, ms. */
  coldMs: number;
  /** Median of every further writeReports() in those processes, ms. */
  warmMs: number;
  processes: number;
  coldRunsMs: number[];
  warmRunsMs: number[];
  /** report.html and PrairieLearn's results.json of the recorded run, bytes. */
  htmlBytes: number;
  prairielearnBytes: number;
}

const TimingSchema = v.object({
  coldMs: v.number(),
  warmMs: v.array(v.number()),
  htmlBytes: v.number(),
  prairielearnBytes: v.number(),
});

/** Warm writes per process: the first one after the cold write is often still warming the JIT. */
const WARM_RUNS = 3;

export async function measureReports(processes: number, log: (msg: string) => void): Promise<ReportsResult> {
  const runs: ReportTiming[] = [];
  for (let i = 0; i < processes; i++) {
    log(`reports: process ${i + 1} of ${processes}`);
    const out = await runProgram(process.execPath, ['--import', 'tsx', 'bench/report-timing.ts', String(WARM_RUNS)], {
      name: 'report timing',
      cwd: REPO_ROOT,
      timeoutMs: 60_000,
    });
    runs.push(parseJson(out.stdout, TimingSchema, 'the report timing'));
  }
  const coldRunsMs = runs.map((r) => r.coldMs);
  const warmRunsMs = runs.flatMap((r) => r.warmMs);
  return {
    coldMs: median(coldRunsMs),
    warmMs: median(warmRunsMs),
    processes,
    coldRunsMs,
    warmRunsMs,
    htmlBytes: runs[0]!.htmlBytes,
    prairielearnBytes: runs[0]!.prairielearnBytes,
  };
}
