/**
 * Grades one submission, phase by phase (grader/phases/): prepare a copy, measure its server from
 * outside over a whole window, run its client against the reference server, screenshot both
 * windows, check the repo, score, report. Every phase is bounded in time and returns a typed
 * outcome, every process is stopped in `finally`, the temp copy is deleted at the end, and a
 * failing phase costs only its own items: the grader never hangs or throws for a broken submission.
 *
 * Folder grader/: the instructor's tools — runs a submission through its command line only, measures
 * it from outside, scores and reports. May import: src/ (never src/server or src/client internals:
 * it grades what a user runs).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { WireName } from '../src/wire/index.ts';
import { measureClient } from './phases/measure-client.ts';
import { runChecks } from './phases/checks.ts';
import { prepare, type Prepared } from './phases/prepare.ts';
import { failed, failedOurs, PhaseRunner, succeeded, type Outcome } from './phases/runner.ts';
import { referenceBaseline, type BaselineResult } from './calibrate/baseline.ts';
import { ReferenceServerError } from './run/reference.ts';
import { fmt } from './score/score-submission.ts';
import { buildReport, captionLines, type Results } from './phases/build-report.ts';
import { captionHead, takeScreenshot, type Screenshot } from './phases/screenshot.ts';
import { measureServer, type ServerMeasured } from './phases/measure-server.ts';
import type { Progress } from './progress.ts';
import type { Lang } from './i18n/messages.ts';
import type { GradeReport } from './report/types.ts';
import { releasePorts } from './run/launch/ports.ts';
import { openSubmissionSandbox } from './run/sandbox/sandbox.ts';
import { startXvfb, type VirtualDisplay } from './screenshot/xvfb.ts';
import { findVirtualDisplayTool } from '../src/platform/virtual-display.ts';
import type { ClientFigures, RobustnessFigures } from './score/figure-record.ts';
import { measureRobustness } from './phases/robustness.ts';
import { loadRubric, type Rubric } from './score/rubric.ts';

export { GRADER_ROOT } from './run/reference.ts';

export interface GradeOptions {
  repo: string;
  wire?: WireName;
  /** Measurement window, s (default 8). */
  seconds?: number;
  /** Report folder. */
  out: string;
  /** Don't save the screenshot into the submission (only the report folder). */
  noSave?: boolean;
  clip?: string;
  rubric?: Rubric;
  progress?: Progress;
  /** Skip phases (tests): 'server' | 'client' | 'screenshot' | 'robustness' | 'checks'. */
  skip?: string[];
  /** Client run length, s (default 6). */
  clientSeconds?: number;
  /** Start-up bound for a server or client (tsx cold start on a busy machine), ms. */
  startTimeoutMs?: number;
  /** How long after registering the first frame may take, ms (default 10000). */
  firstFrameTimeoutMs?: number;
  /** The language of the reports (default: the rubric's, else en). */
  lang?: Lang;
  /** Run the submission's processes in a sandbox (grader/run/sandbox/sandbox.ts); the CLI turns it on when one can be made. */
  sandbox?: boolean;
  /**
   * Fit the timing limits to this machine (grader/calibrate/): the reference server's baseline,
   * kept per machine, or measured again with 'refresh'. The CLI turns it on; off by default here.
   */
  calibrate?: boolean | 'refresh';
}

/** Time a phase may wait for the timing slot plus its own bound (the bound applies inside the slot). */
const QUEUE_MS = 3_600_000;

interface Ran {
  server: Outcome<ServerMeasured>;
  client: Outcome<ClientFigures | null>;
  screenshot: Outcome<Screenshot>;
  /** Absent when the rubric's robustness phase is off. */
  robustness?: Outcome<RobustnessFigures>;
}

/** Phases 2–4 on a prepared submission; the Xvfb and the Node server kept for the screenshot are stopped here. */
async function run(p: Prepared, opts: GradeOptions, runner: PhaseRunner, rubric: Rubric): Promise<Ran> {
  const note = (m: string): void => opts.progress?.note(m);
  const startTimeoutMs = opts.startTimeoutMs ?? 40_000;
  const seconds = opts.seconds ?? 8;
  const clientSeconds = opts.clientSeconds ?? 6;
  const common = { submission: p.submission, clip: p.clip, sourceFps: p.sourceFps, startTimeoutMs, note };
  let xvfb: VirtualDisplay | undefined;
  let server: Outcome<ServerMeasured> = failed('not run');
  try {
    // One virtual screen for both tutorial windows (server.py, client.py), so they can be grabbed.
    if (p.submission.kind === 'python') {
      xvfb = await startXvfb();
      if (!xvfb) note(`no virtual screen to grab the OpenCV windows from (${findVirtualDisplayTool('Xvfb').missing ?? 'Xvfb did not start'})`);
      else p.submission.sandbox?.allowDisplay(xvfb.display);
    }
    const display = xvfb?.display;
    server = await runner.run('server', QUEUE_MS, () =>
      measureServer({
        ...common,
        wire: p.wire,
        seconds,
        firstFrameTimeoutMs: opts.firstFrameTimeoutMs ?? 10_000,
        display,
        budgetMs: startTimeoutMs + (seconds + 25) * 1000,
      }),
    );
    const measured = server.value;
    const wire = measured?.wire ?? p.wire;
    const client = await runner.run('client', QUEUE_MS, () =>
      measureClient({ ...common, wire, seconds: clientSeconds, display, out: opts.out, budgetMs: startTimeoutMs * 2 + (clientSeconds + 20) * 1000 }),
    );
    const clientFigures = client.value ?? null;
    const caption = [await captionHead(p.submission.repo, wire), ...captionLines({ server: measured?.figures ?? null, client: clientFigures })];
    const screenshot = await runner.run('screenshot', startTimeoutMs + 45_000, () =>
      takeScreenshot({
        submission: p.submission,
        clip: p.clip,
        wire,
        display,
        live: measured?.live,
        caption,
        sourceFps: p.sourceFps,
        startTimeoutMs,
        out: opts.out,
        noSave: Boolean(opts.noSave),
      }),
    );
    const robust = rubric.robustness;
    if (!robust) return { server, client, screenshot };
    const perProfileMs = startTimeoutMs * 4 + (robust.seconds * 2 + 50) * 1000;
    const robustness = await runner.run('robustness', QUEUE_MS, () =>
      measureRobustness({
        ...common,
        wire,
        display,
        out: opts.out,
        profiles: robust.profiles,
        seconds: robust.seconds,
        firstFrameTimeoutMs: opts.firstFrameTimeoutMs ?? 10_000,
        budgetMs: perProfileMs * robust.profiles.length,
      }),
    );
    return { server, client, screenshot, robustness };
  } finally {
    const live = server.ok ? server.value.live : undefined;
    await live?.server.handle.stop();
    if (live) releasePorts(live.ports);
    await xvfb?.xvfb.handle.stop();
  }
}

/** The reference server's baseline on this machine, for the submission's wire and window. */
async function calibrate(p: Prepared, opts: GradeOptions): Promise<Outcome<BaselineResult>> {
  const startTimeoutMs = opts.startTimeoutMs ?? 40_000;
  const seconds = opts.seconds ?? 8;
  try {
    const result = await referenceBaseline({
      clip: p.clip,
      sourceFps: p.sourceFps,
      wire: p.wire ?? (p.submission.kind === 'python' ? 'tutorial' : 'framed'),
      seconds,
      startTimeoutMs,
      firstFrameTimeoutMs: opts.firstFrameTimeoutMs ?? 10_000,
      note: (m) => opts.progress?.note(m),
      refresh: opts.calibrate === 'refresh',
    });
    const f = result.baseline.figures;
    return succeeded(
      result,
      `reference server ${result.cached ? `as measured ${result.baseline.measuredAt}` : 'measured now'}: fps error ${fmt(f['server.fpsErrorPct'])} %, jitter p99 ${fmt(f['server.jitterP99Ms'])} ms, drift ${fmt(f['server.driftMaxMs'])} ms`,
    );
  } catch (error) {
    if (error instanceof ReferenceServerError) return failedOurs(error.message);
    throw error;
  }
}

export async function gradeSubmission(opts: GradeOptions): Promise<GradeReport> {
  const startedMs = Date.now();
  const runner = new PhaseRunner(opts.skip ?? [], opts.progress);
  const rubric = opts.rubric ?? (await loadRubric());
  await mkdir(opts.out, { recursive: true });
  const prepared = await runner.run('prepare', 360_000, () =>
    prepare({
      repo: opts.repo,
      ...(opts.clip ? { clip: opts.clip } : {}),
      ...(opts.wire ? { wire: opts.wire } : {}),
      ...(opts.sandbox ? { sandbox: true } : {}),
      note: (m) => opts.progress?.note(m),
    }),
  );
  let ran: Ran = { server: failed('not run'), client: failed('not run'), screenshot: failed('not run') };
  let sandboxed = false;
  let calibration: Outcome<BaselineResult> | undefined;
  if (prepared.ok) {
    const sub = prepared.value.submission;
    if (opts.calibrate) calibration = await runner.run('calibrate', QUEUE_MS, () => calibrate(prepared.value, opts));
    try {
      // One sandbox for all of this submission's processes (and its network, shared with the probe).
      sub.sandbox = await openSubmissionSandbox({ enabled: Boolean(opts.sandbox), repo: sub.repo, workDir: sub.workDir, clip: prepared.value.clip });
      sandboxed = Boolean(sub.sandbox);
      if (sub.sandbox)
        opts.progress?.note(
          `sandbox ready in ${sub.sandbox.startupMs.toFixed(0)} ms (${sub.sandbox.mode === 'root' ? `uid ${sub.sandbox.uid}` : 'user namespace'}, loopback-only network)`,
        );
      ran = await run(prepared.value, opts, runner, rubric);
    } finally {
      await sub.sandbox?.close();
      await sub.cleanup();
    }
  }
  const repo = prepared.ok ? prepared.value.submission.repo : resolve(opts.repo);
  const checks = await runner.run('checks', 90_000, () => runChecks(repo));
  const server = ran.server.value;
  const results: Results = {
    repo,
    kind: prepared.ok ? prepared.value.submission.kind : 'unknown',
    wire: server?.wire ?? (prepared.ok ? prepared.value.wire : undefined),
    server: ran.server,
    client: ran.client,
    screenshot: ran.screenshot,
    ...(ran.robustness ? { robustness: ran.robustness } : {}),
    checks,
    ...(prepared.ok ? {} : { prepareProblem: prepared.reason, ...(prepared.ours ? { prepareOurs: prepared.reason } : {}) }),
    ...(opts.clip ? { customClip: opts.clip } : {}),
    sandboxed,
    changes: prepared.ok ? prepared.value.submission.changes : [],
    ...(calibration ? { calibration } : {}),
  };
  // The plots' data, beside the reports (report.html draws it; kept so the plots can be redrawn).
  if (server?.series) await writeFile(join(opts.out, 'series.json'), `${JSON.stringify(server.series)}\n`);
  else await rm(join(opts.out, 'series.json'), { force: true });
  return buildReport(results, { rubric, startedMs, phases: runner.records, ...(opts.lang ? { lang: opts.lang } : {}) });
}
