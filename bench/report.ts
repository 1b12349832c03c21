/**
 * The benchmark's result shape (written by --json; outside checks read pacing, capacity, fanout,
 * startupMs, rssMb) and its tables, as plain text for the terminal or markdown for docs/PERFORMANCE.md.
 */
import type { StageResult } from './sections/capacity.ts';
import type { CostResult, StartupResult } from './sections/cost.ts';
import type { FanoutResult } from './sections/fanout.ts';
import type { PacingResult } from './sections/pacing.ts';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './launch.ts';
import { fmt, formatTable, median, replaceBetweenMarkers, type Column } from './summary.ts';

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
  targets: Target[];
  noise: Noise;
}

export interface PacingRatio {
  clipFps: number;
  /** deadline ÷ tutorial of each figure (|fps error|, jitter p99, drift, A/V max). < 1 = deadline better. */
  fpsErrorRatio: number;
  jitterP99Ratio: number;
  driftRatio: number;
  avOffsetRatio: number;
}

export function pacingRatios(rows: readonly PacingResult[]): PacingRatio[] {
  const out: PacingRatio[] = [];
  for (const d of rows.filter((r) => r.method === 'deadline')) {
    const t = rows.find((r) => r.method === 'tutorial' && r.clipRate === d.clipRate);
    if (!t) continue;
    out.push({
      clipFps: d.clipFps,
      fpsErrorRatio: Math.abs(d.fpsErrorPct) / Math.abs(t.fpsErrorPct),
      jitterP99Ratio: d.jitterP99Ms / t.jitterP99Ms,
      driftRatio: d.driftMaxMs / t.driftMaxMs,
      avOffsetRatio: d.avOffsetMaxMs / t.avOffsetMaxMs,
    });
  }
  return out;
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

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The performance targets (pacing, sync, CPU, capacity, fan-out, start-up) against what was measured (met undefined = not measured). */
export function evaluateTargets(r: Omit<BenchResult, 'targets'>): Target[] {
  const dl = r.pacing.filter((p) => p.method === 'deadline');
  const worst = (xs: number[]): number => (xs.length && xs.every(Number.isFinite) ? Math.max(...xs) : Number.NaN);
  const t = (name: string, target: string, value: number, limit: number, unit: string, digits = 2): Target => ({
    name,
    target,
    measured: Number.isFinite(value) ? `${value.toFixed(digits)} ${unit}`.trim() : 'not measured',
    met: Number.isFinite(value) ? value <= limit : undefined,
  });
  const fan50 = r.fanout.find((f) => f.clients === 50);
  const serverAt30 = dl.find((p) => p.clipRate === '30')?.serverCpuPct;
  return [
    t('fps error, every rate (worst, absolute)', '≤ 0.1 %', worst(dl.map((p) => Math.abs(p.fpsErrorPct))), 0.1, '%', 3),
    t('jitter p99, every clip (worst)', '≤ 1 ms', worst(dl.map((p) => p.jitterP99Ms)), 1, 'ms'),
    t('jitter p99 ÷ tutorial method (worst)', '≤ 0.2×', worst(r.pacingRatios.map((x) => x.jitterP99Ratio)), 0.2, '×'),
    t('drift vs wall clock (worst)', '≤ 5 ms', worst(dl.map((p) => p.driftMaxMs)), 5, 'ms'),
    t('A/V offset (worst max, absolute)', '≤ 25 ms', worst(dl.map((p) => p.avOffsetMaxMs)), 25, 'ms', 1),
    t('server CPU at 720p30', '≤ 10 % of a core', serverAt30 ?? Number.NaN, 10, '%', 1),
    {
      name: 'capacity 720p → 400 px',
      target: '≥ 300 fps per core',
      measured: r.capacity && Number.isFinite(r.capacity.fpsPerCore720) ? `${r.capacity.fpsPerCore720.toFixed(0)} fps/core` : 'not measured',
      met: r.capacity && Number.isFinite(r.capacity.fpsPerCore720) ? r.capacity.fpsPerCore720 >= 300 : undefined,
    },
    t('50 clients: jitter p99 (median client)', '≤ 2 ms', fan50?.jitterP99Ms ?? Number.NaN, 2, 'ms'),
    t('first frame after server start', '≤ 1.5 s', r.startupMs ?? Number.NaN, 1500, 'ms', 0),
  ];
}

const txt = (x: number, d = 1): string => fmt(x, d);

export function pacingTable(rows: readonly PacingResult[], markdown = false): string {
  const cols: Array<Column<PacingResult>> = [
    { header: 'clip fps', cell: (r) => r.clipFps.toFixed(3) },
    { header: 'method', align: 'left', cell: (r) => r.method },
    { header: 'fps', cell: (r) => txt(r.fps, 3) },
    { header: 'fps err %', cell: (r) => txt(r.fpsErrorPct, 3) },
    { header: 'jit p50 ms', cell: (r) => txt(r.jitterP50Ms, 2) },
    { header: 'jit p99 ms', cell: (r) => txt(r.jitterP99Ms, 2) },
    { header: 'drift max ms', cell: (r) => txt(r.driftMaxMs, 1) },
    { header: 'A/V end ms', cell: (r) => txt(r.avOffsetEndMs, 1) },
    { header: 'A/V max ms', cell: (r) => txt(r.avOffsetMaxMs, 1) },
    { header: 'server CPU %', cell: (r) => txt(r.serverCpuPct, 1) },
  ];
  return formatTable(cols, rows, { markdown });
}

export function ratioTable(rows: readonly PacingRatio[], markdown = false): string {
  return formatTable<PacingRatio>(
    [
      { header: 'clip fps', cell: (r) => r.clipFps.toFixed(3) },
      { header: 'abs fps err ×', cell: (r) => txt(r.fpsErrorRatio, 3) },
      { header: 'jitter p99 ×', cell: (r) => txt(r.jitterP99Ratio, 2) },
      { header: 'drift ×', cell: (r) => txt(r.driftRatio, 2) },
      { header: 'A/V max ×', cell: (r) => txt(r.avOffsetRatio, 2) },
    ],
    rows,
    { markdown },
  );
}

export function capacityTable(rows: readonly StageResult[], markdown = false): string {
  return formatTable<StageResult>(
    [
      { header: 'source', align: 'left', cell: (r) => r.source },
      { header: 'stages', align: 'left', cell: (r) => r.stage },
      { header: 'frames', cell: (r) => String(r.frames) },
      { header: 'fps', cell: (r) => txt(r.fps, 0) },
      { header: 'cores', cell: (r) => txt(r.cores, 2) },
      { header: 'fps/core', cell: (r) => txt(r.fpsPerCore, 0) },
      { header: 'CPU ms/frame', cell: (r) => txt(r.cpuMsPerFrame, 2) },
    ],
    rows,
    { markdown },
  );
}

export function fanoutTable(rows: readonly FanoutResult[], markdown = false): string {
  return formatTable<FanoutResult>(
    [
      { header: 'clients', cell: (r) => String(r.clients) },
      { header: 'jit p50 ms', cell: (r) => txt(r.jitterP50Ms, 2) },
      { header: 'jit p99 ms (median client)', cell: (r) => txt(r.jitterP99Ms, 2) },
      { header: 'jit p99 ms (worst)', cell: (r) => txt(r.jitterP99MaxMs, 2) },
      { header: 'drift max ms', cell: (r) => txt(r.driftMaxMs, 1) },
      { header: 'lost dgrams', cell: (r) => String(r.datagramsLost) },
      { header: 'server CPU %', cell: (r) => txt(r.serverCpuPct, 1) },
      { header: 'probes CPU %', cell: (r) => txt(r.probeCpuPct, 1) },
    ],
    rows,
    { markdown },
  );
}

export function costTable(r: BenchResult, markdown = false): string {
  const rows: Array<[string, string]> = [];
  if (r.cost) {
    rows.push(['server CPU s per stream s (720p30, framed)', txt(r.cost.serverCpuPerStreamS, 3)]);
    rows.push(['client CPU s per stream s (--no-window --audio null)', txt(r.cost.clientCpuPerStreamS, 3)]);
  }
  if (r.rssMb) {
    rows.push(['server peak RSS MB (tree Σ VmHWM)', txt(r.rssMb.server, 0)]);
    rows.push(['client peak RSS MB (tree Σ VmHWM)', txt(r.rssMb.client, 0)]);
  }
  if (r.startup?.length) {
    rows.push(['server start → listening ms (median)', txt(median(r.startup.map((s) => s.listeningMs)), 0)]);
    rows.push(['server start → first frame at client ms (median)', txt(r.startupMs ?? Number.NaN, 0)]);
  }
  if (r.grader) rows.push(['grader wall time for one submission s', r.grader.measured ? `${txt(r.grader.wallS ?? Number.NaN, 1)}${r.grader.exit ? ` (${r.grader.exit})` : ''}` : `not measured: ${r.grader.reason}`]);
  return formatTable<[string, string]>(
    [
      { header: 'figure', align: 'left', cell: (x) => x[0] },
      { header: 'value', align: 'left', cell: (x) => x[1] },
    ],
    rows,
    { markdown },
  );
}

export function targetTable(rows: readonly Target[], markdown = false): string {
  return formatTable<Target>(
    [
      { header: 'target', align: 'left', cell: (x) => x.name },
      { header: 'goal', align: 'left', cell: (x) => x.target },
      { header: 'measured', cell: (x) => x.measured },
      { header: 'met', align: 'left', cell: (x) => (x.met === undefined ? '–' : x.met ? 'yes' : 'NO') },
    ],
    rows,
    { markdown },
  );
}

export function machineLine(m: Machine): string {
  const load = (l?: number[]): string => (l ? l.map((x) => x.toFixed(2)).join(' ') : '–');
  return `${m.cpus} × ${m.model}${m.nice !== undefined ? `; nice ${m.nice}` : ''}; load average before ${load(m.loadAvgBefore)}, after ${load(m.loadAvgAfter)}; node ${m.node}; ${m.ffmpeg}; Linux ${m.kernel}; ${m.date}; commit ${m.commit}`;
}

export const DOC = join(REPO_ROOT, 'docs', 'PERFORMANCE.md');
const BEGIN = '<!-- bench:begin (generated by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

export function generatedMarkdown(r: BenchResult): string {
  const parts = [
    `Measured ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC, \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` (${r.noise.runs} run${r.noise.runs > 1 ? 's' : ''}, medians), ${r.durationS.toFixed(0)} s.`,
    '',
    `Machine: ${machineLine(r.machine)}.`,
    '',
    `Noise: ${r.noise.note}`,
    '',
    '### Targets',
    '',
    targetTable(r.targets, true),
  ];
  if (r.pacing.length) parts.push('', '### Pacing and sync (tutorial wire, probe client on loopback)', '', pacingTable(r.pacing, true), '', 'Ratio deadline ÷ tutorial (below 1 = avsock\'s pacer is better):', '', ratioTable(r.pacingRatios, true));
  if (r.capacity) parts.push('', '### Pipeline capacity (unpaced, → 400 px, quality 80)', '', capacityTable(r.capacity.stages, true), '', `Dominant stage at 720p: ${r.capacity.dominantStage720}. ffmpeg-raw + sharp ÷ ffmpeg-MJPEG per core at 720p: ${r.capacity.sharpVsFfmpegPerCore720.toFixed(2)}×.`);
  if (r.fanout.length) parts.push('', '### Fan-out (framed wire, deadline pacing, 720p30)', '', fanoutTable(r.fanout, true));
  if (r.cost || r.rssMb || r.startup || r.grader) parts.push('', '### Cost, start-up, memory', '', costTable(r, true));
  return parts.join('\n');
}

export async function updateDoc(r: BenchResult): Promise<void> {
  const doc = existsSync(DOC) ? await readFile(DOC, 'utf8') : '# Performance\n';
  await writeFile(DOC, replaceBetweenMarkers(doc, BEGIN, END, generatedMarkdown(r)));
}

