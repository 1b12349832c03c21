/**
 * The benchmark's result: its shape (written by --json; outside checks read pacing, capacity,
 * fanout, startupMs, rssMb) and the summaries computed from the sections' rows.
 */
import type { StageResult } from './sections/capacity.ts';
import type { LayoutResult } from './sections/ffmpeg-layout.ts';
import { summarizeTails, type RunTail, type TailSummary } from './attribution.ts';
import type { CostResult, StartupResult } from './sections/cost.ts';
import type { FanoutResult } from './sections/fanout.ts';
import type { PacingResult } from './sections/pacing.ts';
import type { ReportsResult } from './sections/reports.ts';
import type { Target } from './targets.ts';

export interface Machine {
  cpus: number;
  model: string;
  loadAvgBefore: number[];
  loadAvgAfter?: number[];
  node: string;
  ffmpeg: string;
  kernel: string;
  date: string;
  commit: string;
  /** --nice level the whole benchmark ran at (undefined = inherited, normally 0). */
  nice?: number;
}

export interface Noise {
  runs: number;
  /** Per figure: spread of the repeated runs (min, max, (max−min)/median %). */
  spreads: Record<string, { min: number; max: number; relPct: number }>;
  note: string;
}

export interface CapacitySummary {
  stages: StageResult[];
  /** +pipe (file → JPEG ready in Node) at 720p → 400 px. */
  fps720: number;
  fpsPerCore720: number;
  fps1080: number;
  fpsPerCore1080: number;
  /** The stage with the largest marginal CPU per frame at 720p. */
  dominantStage720: string;
  sharpVsFfmpegPerCore720: number;
}

export interface GraderTiming {
  measured: boolean;
  wallS?: number;
  exit?: string;
  reason?: string;
}

export interface BenchResult {
  version: 1;
  mode: 'quick' | 'full';
  durationS: number;
  machine: Machine;
  pacing: PacingResult[];
  pacingRatios: PacingRatio[];
  capacity?: CapacitySummary;
  cost?: CostResult;
  fanout: FanoutResult[];
  startupMs?: number;
  startup?: StartupResult[];
  grader?: GraderTiming;
  rssMb?: { server: number; client: number };
  /** Where the tail of avsock's jitter comes from (deadline runs, pooled). */
  tail?: TailSummary & { perRun: Array<Omit<RunTail, 'tail'> & { clipFps: number }> };
  ffmpegLayouts?: LayoutResult[];
  /** Writing every report of one graded submission (the recorded run). */
  reports?: ReportsResult;
  targets: Target[];
  noise: Noise;
}

export interface PacingRatio {
  clipFps: number;
  clipRate: string;
  /** jitter p99 of each sender, ms (NaN = not measured). */
  floorP99Ms: number;
  avsockP99Ms: number;
  emulationP99Ms: number;
  serverPyP99Ms: number;
  /** avsock ÷ floor, avsock ÷ server.py, avsock ÷ the emulation of its loop. */
  vsFloor: number;
  vsServerPy: number;
  vsEmulation: number;
}

export function pacingRatios(rows: readonly PacingResult[]): PacingRatio[] {
  const out: PacingRatio[] = [];
  for (const d of rows.filter((r) => r.method === 'deadline')) {
    const p99 = (method: PacingResult['method']): number => rows.find((r) => r.method === method && r.clipRate === d.clipRate)?.jitterP99Ms ?? Number.NaN;
    const floor = p99('floor');
    const py = p99('server.py');
    const emu = p99('tutorial');
    out.push({
      clipFps: d.clipFps,
      clipRate: d.clipRate,
      floorP99Ms: floor,
      avsockP99Ms: d.jitterP99Ms,
      emulationP99Ms: emu,
      serverPyP99Ms: py,
      vsFloor: d.jitterP99Ms / floor,
      vsServerPy: d.jitterP99Ms / py,
      vsEmulation: d.jitterP99Ms / emu,
    });
  }
  return out;
}

/** The pooled tail attribution of the deadline runs that had a trace. */
export function tailOf(rows: readonly PacingResult[]): BenchResult['tail'] {
  const runs = rows.filter((r) => r.method === 'deadline' && r.tail);
  if (runs.length === 0) return undefined;
  return {
    ...summarizeTails(runs.map((r) => r.tail!)),
    perRun: runs.map((r) => {
      const { tail: _t, ...rest } = r.tail!;
      return { clipFps: r.clipFps, ...rest };
    }),
  };
}

/** Capacity headline figures from the stage rows. */
export function summarizeCapacity(stages: StageResult[]): CapacitySummary {
  const get = (source: string, stage: string): StageResult | undefined => stages.find((s) => s.source === source && s.stage === stage);
  const order = ['decode', '+scale', '+jpeg', '+pipe', '+send'];
  let dominant = '–';
  let worst = -Infinity;
  let prev = 0;
  for (const stage of order) {
    const row = get('720p', stage);
    if (!row) continue;
    const marginal = row.cpuMsPerFrame - prev;
    if (marginal > worst) {
      worst = marginal;
      dominant = `${stage} (${marginal.toFixed(2)} ms CPU/frame)`;
    }
    prev = row.cpuMsPerFrame;
  }
  const pipe720 = get('720p', '+pipe');
  const sharp720 = get('720p', 'raw+sharp');
  return {
    stages,
    fps720: pipe720?.fps ?? Number.NaN,
    fpsPerCore720: pipe720?.fpsPerCore ?? Number.NaN,
    fps1080: get('1080p', '+pipe')?.fps ?? Number.NaN,
    fpsPerCore1080: get('1080p', '+pipe')?.fpsPerCore ?? Number.NaN,
    dominantStage720: dominant,
    sharpVsFfmpegPerCore720: sharp720 && pipe720 ? sharp720.fpsPerCore / pipe720.fpsPerCore : Number.NaN,
  };
}
