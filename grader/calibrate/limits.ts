/**
 * Timing limits fitted to the machine that grades. The reference server (this checkout's `npm run
 * server`) is measured on the grading machine with the same probe (baseline.ts); a timing item whose
 * limit the reference itself cannot meet there is widened to the reference's figure times MARGIN,
 * and the report says so. A reference that misses a limit by more than MOST_WIDENED times means the
 * machine cannot judge timing at all: the run is "not graded", never scored against the student.
 *
 * Pure: a rubric and a baseline in, a rubric and what changed out.
 *
 * Folder grader/calibrate/: the reference's baseline on this machine and what it does to the limits.
 * May import: grader/score, grader/measure, grader/run, src/.
 */
import type { FigureName } from '../score/figure-record.ts';
import type { MeasureItem, Rubric } from '../score/rubric.ts';
import { fmt } from '../score/score-submission.ts';

/** The server's timing figures a baseline measures, and a rubric may limit. */
export const CALIBRATED_FIGURES = [
  'server.fpsErrorPct',
  'server.jitterP99Ms',
  'server.driftMaxMs',
  'server.freezeCount',
  'server.avOffsetMs',
] as const satisfies readonly FigureName[];
export type CalibratedFigure = (typeof CALIBRATED_FIGURES)[number];

/** The reference server measured on this machine. */
export interface Baseline {
  /** When it was measured (ISO 8601). */
  measuredAt: string;
  /** Which machine (baseline.ts machineKey): a cached baseline is used only where it was measured. */
  machine: string;
  wire: string;
  /** The reference's figures (NaN: not measured). */
  figures: Record<CalibratedFigure, number>;
  /** The machine was flagged busy while the reference was measured. */
  disturbed?: string;
}

/** A widened limit lies this far beyond the reference's own figure (×). */
export const MARGIN = 1.5;
/** A reference this many times over a limit: the machine is too disturbed to judge timing. */
export const MOST_WIDENED = 3;

export interface Widening {
  item: string;
  figure: CalibratedFigure;
  reference: number;
  /** The limit as the rubric gives it, and as widened (`maximum 5` → `maximum 7.2`). */
  from: string;
  to: string;
}

export interface Calibrated {
  rubric: Rubric;
  widened: Widening[];
  /** Set when the reference misses a limit by more than MOST_WIDENED times: timing cannot be judged here. */
  tooDisturbed?: string;
}

function isCalibrated(figure: FigureName): figure is CalibratedFigure {
  return (CALIBRATED_FIGURES as readonly string[]).includes(figure);
}

function limitOf(it: MeasureItem): string {
  if (it.maxAbs !== undefined) return `±${fmt(it.maxAbs)}`;
  if (it.min !== undefined && it.max !== undefined) return `${fmt(it.min)}…${fmt(it.max)}`;
  if (it.max !== undefined) return `maximum ${fmt(it.max)}`;
  return it.min !== undefined ? `minimum ${fmt(it.min)}` : 'none';
}

/** How many times over its limit `v` is (1 = at the limit; ≤ 1 passes). */
function overBy(it: MeasureItem, v: number): number {
  const ratios: number[] = [];
  // A limit of 0 (no freeze at all) is missed by any amount: count the figure itself as the ratio.
  const over = (value: number, limit: number): number => (limit > 0 ? value / limit : value > 0 ? 1 + value : 0);
  if (it.maxAbs !== undefined) ratios.push(over(Math.abs(v), it.maxAbs));
  if (it.max !== undefined && v > 0) ratios.push(over(v, it.max));
  if (it.min !== undefined && v < 0 && it.min < 0) ratios.push(over(-v, -it.min));
  return Math.max(0, ...ratios);
}

/** The item with the limit the reference missed moved to its figure × MARGIN (a count rounds up). */
function widen(it: MeasureItem, v: number): MeasureItem {
  const count = it.figure === 'server.freezeCount';
  const beyond = (x: number): number => (count ? Math.ceil(Math.abs(x) * MARGIN) : Math.round(Math.abs(x) * MARGIN * 100) / 100);
  const out: MeasureItem = { ...it };
  if (it.maxAbs !== undefined && Math.abs(v) > it.maxAbs) out.maxAbs = beyond(v);
  if (it.max !== undefined && v > it.max) out.max = beyond(v);
  if (it.min !== undefined && v < it.min) out.min = -beyond(v);
  return out;
}

/** The rubric with every timing limit the reference cannot meet on this machine widened, and what was done. */
export function calibrateRubric(rubric: Rubric, baseline: Baseline): Calibrated {
  const widened: Widening[] = [];
  const unjudgeable: string[] = [];
  const items = rubric.items.map((it) => {
    if (it.kind !== 'measure' || !isCalibrated(it.figure)) return it;
    const v = baseline.figures[it.figure];
    if (!Number.isFinite(v)) return it;
    const ratio = overBy(it, v);
    if (ratio <= 1) return it;
    if (ratio > MOST_WIDENED) {
      unjudgeable.push(`${it.figure} ${fmt(v)} against ${limitOf(it)}`);
      return it;
    }
    const next = widen(it, v);
    widened.push({ item: it.id, figure: it.figure, reference: v, from: limitOf(it), to: limitOf(next) });
    return next;
  });
  return {
    rubric: { ...rubric, items },
    widened,
    ...(unjudgeable.length
      ? {
          tooDisturbed: `the reference server itself measured ${unjudgeable.join(', ')} on this machine (more than ${MOST_WIDENED}× the limit): timing cannot be judged here`,
        }
      : {}),
  };
}
