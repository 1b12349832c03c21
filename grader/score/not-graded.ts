/**
 * "Not graded" is not zero: when a run failed because of the grader or its machine — the reference
 * server did not start, a program the grader needs is missing, the grader itself threw, or the
 * machine was too busy for the timing items it failed — the result is "not graded; grade again",
 * never a score charged to the student. The student's own failures (a crash, a wrong rate, no
 * sound) are scored as usual.
 */
import type { MachineLoad } from '../run/launch/machine-load.ts';
import { PYTHON_MODULES_HINT } from '../run/python/python.ts';
import type { Rubric } from './rubric.ts';
import type { ItemResult } from './score-submission.ts';

/** Figures a saturated machine can spoil: the timing of frames, sound and the client's display. */
const TIMING_FIGURES = new Set([
  'server.fpsErrorPct',
  'server.jitterP99Ms',
  'server.jitterP50Ms',
  'server.jitterMs',
  'server.intervalP99Ms',
  'server.driftMaxMs',
  'server.freezeCount',
  'server.perSecondFpsMin',
  'server.paced',
  'server.audioUnderruns',
  'server.avOffsetMs',
  'client.fpsErrorPct',
  'client.fps',
  'robustness.serverKeepsPace',
]);

export interface NotGradedEvidence {
  /** Phase failures marked as the grader's own (Outcome.ours), by phase name. */
  ours: Record<string, string>;
  /** Every phase's problem line (a missing Python module shows up here). */
  problems: Record<string, string>;
  machine?: MachineLoad;
  /** The reference server itself missed a timing limit by far on this machine (calibrate/limits.ts): its timing items cannot be judged. */
  uncalibrated?: string;
  items: readonly ItemResult[];
  rubric: Rubric;
}

/** Why this run cannot be graded, or undefined when its score stands. */
export function notGradedReason(ev: NotGradedEvidence): string | undefined {
  const ours = Object.entries(ev.ours);
  if (ours.length) return ours.map(([phase, reason]) => `${phase}: ${reason}`).join('; ');
  const modules = Object.values(ev.problems).find((p) => p.includes(PYTHON_MODULES_HINT));
  if (modules) return `the grading machine's ${modules.slice(modules.indexOf(PYTHON_MODULES_HINT))}`;
  if (ev.machine?.disturbed || ev.uncalibrated) {
    const figureOf = new Map(ev.rubric.items.map((it) => [it.id, it.kind === 'measure' ? it.figure : undefined]));
    const lost = ev.items.filter((it) => it.status === 'fail' && TIMING_FIGURES.has(figureOf.get(it.id) ?? ''));
    const why = ev.uncalibrated ?? `the machine was too busy to judge timing (${ev.machine?.reason ?? 'disturbed'})`;
    if (lost.length) return `${why} and ${lost.map((it) => it.id).join(', ')} failed`;
  }
  return undefined;
}
