/**
 * Phase 6: the typed figures and findings scored against the rubric, assembled into the report.
 */
import { basename } from 'node:path';
import { git } from '../../src/platform/git.ts';
import type { Finding } from '../../src/check/readiness.ts';
import type { WireName } from '../../src/wire/index.ts';
import type { GradeReport, PhaseRecord } from '../report/types.ts';
import { figureValue, type Figures, type RobustnessFigures } from '../score/figure-record.ts';
import type { Rubric } from '../score/rubric.ts';
import type { Lang } from '../i18n/messages.ts';
import { committedScreenshotHashes } from '../report/phash.ts';
import { notGradedReason } from '../score/not-graded.ts';
import { fmt, fmtUnit, scoreSubmission, type ItemResult } from '../score/score-submission.ts';
import type { BaselineResult } from '../calibrate/baseline.ts';
import { CALIBRATED_FIGURES, calibrateRubric, type Baseline, type CalibratedFigure, type Widening } from '../calibrate/limits.ts';
import type { ServerMeasured } from './measure-server.ts';
import type { Screenshot } from './screenshot.ts';
import type { Outcome } from './runner.ts';

export interface Results {
  repo: string;
  kind: 'node' | 'python' | 'unknown';
  wire: WireName | undefined;
  server: Outcome<ServerMeasured>;
  client: Outcome<Figures['client']>;
  screenshot: Outcome<Screenshot>;
  /** Absent when the rubric's robustness phase is off. */
  robustness?: Outcome<RobustnessFigures>;
  checks: Outcome<Finding[]>;
  /** Why the submission could not run at all (prepare failed). */
  prepareProblem?: string;
  /** Set when prepare failed through the grader's fault (the clip could not be made or read). */
  prepareOurs?: string;
  changes: string[];
  /** The submission ran in the sandbox. */
  sandboxed?: boolean;
  /** The clip given with --clip (undefined: the demo clip, which carries flash/beep markers). */
  customClip?: string;
  /** The reference server's baseline on this machine, when the run was calibrated. */
  calibration?: Outcome<BaselineResult>;
}

/** Each measuring phase's outcome by name (robustness only when it ran). */
function phaseOutcomes(r: Results): Array<[string, Outcome<unknown>]> {
  return [
    ...(r.calibration ? [['calibrate', r.calibration] as [string, Outcome<unknown>]] : []),
    ['server', r.server],
    ['client', r.client],
    ['screenshot', r.screenshot],
    ...(r.robustness ? [['robustness', r.robustness] as [string, Outcome<unknown>]] : []),
    ['checks', r.checks],
  ];
}

/** Each timing item's message with the reference's figure on this machine, and its limit's widening if any. */
function withBaseline(items: ItemResult[], rubric: Rubric, baseline: Baseline, widened: readonly Widening[]): ItemResult[] {
  const figureOf = new Map(rubric.items.map((it) => [it.id, it.kind === 'measure' ? it.figure : undefined]));
  return items.map((item) => {
    const figure = figureOf.get(item.id);
    if (!figure || !(CALIBRATED_FIGURES as readonly string[]).includes(figure)) return item;
    const reference = baseline.figures[figure as CalibratedFigure];
    if (!Number.isFinite(reference)) return item;
    const w = widened.find((x) => x.item === item.id);
    const note = w
      ? `; limit widened from ${w.from} to ${w.to}: the reference server measured ${fmt(reference)} on this machine`
      : `; reference server on this machine: ${fmt(reference)}`;
    return { ...item, message: `${item.message}${note}` };
  });
}

/** Why each section was not measured, by phase name (the score's reasons for missing figures). */
function problemsOf(r: Results): Record<string, string> {
  const problems: Record<string, string> = {};
  if (r.prepareProblem) problems.prepare = r.prepareProblem;
  const not = r.prepareProblem ? `not run: ${r.prepareProblem}` : undefined;
  const entries = phaseOutcomes(r);
  for (const [name, o] of entries) if (!o.ok) problems[name] = not ?? o.reason;
  const client = r.client.value;
  if (client?.problem && !problems.client) problems.client = client.problem;
  return problems;
}

export function figuresOf(r: Results): Figures {
  const server = r.server.value;
  return {
    server: server?.figures ?? null,
    stream: server?.stream ?? null,
    client: r.client.value ?? null,
    screenshot: { ok: r.screenshot.ok },
    ...(r.robustness ? { robustness: r.robustness.value ?? null } : {}),
  };
}

/** The caption's figure lines under the screenshot (a figure not measured reads so, without its unit). */
export function captionLines(f: Pick<Figures, 'server' | 'client'>): string[] {
  const s = f.server;
  const c = f.client;
  return [
    s
      ? `server (measured by the grader): ${fmtUnit(s.fps, 'fps')} of ${fmt(s.sourceFps)} · jitter p99 ${fmtUnit(s.jitterP99Ms, 'ms')} · drift ${fmtUnit(s.driftMaxMs, 'ms')} · A/V ${fmtUnit(s.avOffsetMs, 'ms')}`
      : 'server: not measured',
    c ? `client: ${fmtUnit(c.fps, 'fps')} · ${fmtUnit(c.framesReceived, 'frames')} · ${fmtUnit(c.audioSeconds, 's of sound')}` : 'client: not measured',
  ];
}

/** A/V figures need the clip's flash/beep markers. */
const MARKER_FIGURES = ['server.avOffsetMs', 'server.avPairs', 'server.avMaxAbsMs', 'server.avSpreadMs'];

/**
 * Figures the grader's own inputs could not measure: A/V on a clip of the instructor's that has
 * no flash/beep markers (none seen in picture or sound while the stream itself ran).
 */
export function notMeasurableOf(r: Results, f: Figures): Map<string, string> {
  const out = new Map<string, string>();
  const av = f.server?.avSync;
  if (r.customClip && f.stream?.video && av && av.pairs === 0 && av.flashes === 0 && av.beeps === 0) {
    const why = `the clip ${basename(r.customClip)} has no flash/beep markers (grade with the demo clip to measure A/V)`;
    for (const name of MARKER_FIGURES) out.set(name, why);
  }
  return out;
}

/** The phases that failed through the grader's or the machine's fault, with why. */
function oursOf(r: Results): Record<string, string> {
  const ours: Record<string, string> = {};
  const entries = phaseOutcomes(r);
  for (const [name, o] of entries) if (!o.ok && o.ours) ours[name] = o.reason;
  if (r.prepareOurs) ours.prepare = r.prepareOurs;
  return ours;
}

export async function buildReport(r: Results, meta: { rubric: Rubric; startedMs: number; phases: PhaseRecord[]; lang?: Lang }): Promise<GradeReport> {
  const lang = meta.lang ?? meta.rubric.lang ?? 'en';
  const figures = figuresOf(r);
  const problems = problemsOf(r);
  const kept = r.calibration?.ok ? r.calibration.value : undefined;
  const calibrated = kept ? calibrateRubric(meta.rubric, kept.baseline) : undefined;
  const scored = scoreSubmission(calibrated?.rubric ?? meta.rubric, {
    figures,
    ...(r.checks.ok ? { findings: r.checks.value } : {}),
    problems,
    language: r.kind === 'python' ? 'python' : 'node',
    notMeasurable: notMeasurableOf(r, figures),
    lang,
  });
  const result = kept && calibrated ? { ...scored, items: withBaseline(scored.items, calibrated.rubric, kept.baseline, calibrated.widened) } : scored;
  const head = await git(r.repo, ['rev-parse', 'HEAD'], { allowFail: true, timeoutMs: 5000 }).catch(() => undefined);
  const commit = head?.code === 0 ? head.stdout.trim() : undefined;
  const server = r.server.value;
  const shot = r.screenshot;
  const notGraded = notGradedReason({
    ours: oursOf(r),
    problems,
    ...(server ? { machine: server.machine } : {}),
    ...(calibrated?.tooDisturbed ? { uncalibrated: calibrated.tooDisturbed } : {}),
    items: result.items,
    rubric: meta.rubric,
  });
  return {
    tool: 'avsock-grader',
    startedAt: new Date(meta.startedMs).toISOString(),
    durationS: (Date.now() - meta.startedMs) / 1000,
    repo: r.repo,
    ...(commit ? { commit } : {}),
    kind: r.kind,
    ...(r.wire ? { wire: r.wire } : {}),
    score: result.score,
    maxScore: result.maxScore,
    passMark: result.passMark,
    passed: notGraded === undefined && result.passed,
    ...(notGraded === undefined ? {} : { notGraded }),
    measured: {
      server: figures.server,
      stream: figures.stream,
      client: figures.client,
      ...(figures.robustness === undefined ? {} : { robustness: figures.robustness }),
    },
    checks: result.items,
    repoFindings: r.checks.ok ? r.checks.value : [],
    changes: r.changes,
    ...(server ? { machine: server.machine, serverOutput: server.outputTail } : {}),
    screenshot: shot.ok ? (shot.value.savedTo ?? shot.value.reportCopy) : null,
    screenshotInfo: shot.ok ? { ok: true, ...shot.value } : { ok: false, reason: shot.reason },
    problems,
    phases: meta.phases,
    sandboxed: Boolean(r.sandboxed),
    lang,
    leaderboard: meta.rubric.leaderboard.flatMap((name) => {
      const v = figureValue(figures, name);
      return typeof v === 'number' && Number.isFinite(v) ? [{ name, value: Math.round(Math.abs(v) * 1000) / 1000, order: 'asc' as const }] : [];
    }),
    committedScreenshots: await committedScreenshotHashes(r.repo),
    ...(kept && calibrated
      ? {
          calibration: {
            ...kept.baseline,
            cached: kept.cached,
            widened: calibrated.widened,
            ...(calibrated.tooDisturbed ? { tooDisturbed: calibrated.tooDisturbed } : {}),
          },
        }
      : {}),
  };
}
