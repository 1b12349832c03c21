/**
 * The benchmark's tables, as plain text for the terminal or markdown for docs/PERFORMANCE.md, and
 * the generated part of that document.
 */
import type { StageResult } from './sections/capacity.ts';
import type { LayoutResult } from './sections/ffmpeg-layout.ts';
import { LAYOUT_LABEL } from './sections/ffmpeg-layout.ts';
import { METHOD_LABEL } from './senders.ts';
import type { FanoutResult } from './sections/fanout.ts';
import type { PacingResult } from './sections/pacing.ts';
import type { ReportsResult } from './sections/reports.ts';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './start-programs.ts';
import { fmt, formatTable, median, replaceBetweenMarkers, type Column } from './summary.ts';
import type { TailSummary } from './attribution.ts';
import type { BenchResult, Machine, PacingRatio } from './result.ts';
import type { Target } from './targets.ts';

const txt = (x: number, d = 1): string => fmt(x, d);

export function pacingTable(rows: readonly PacingResult[], markdown = false): string {
  const cols: Array<Column<PacingResult>> = [
    { header: 'clip fps', cell: (r) => r.clipFps.toFixed(3) },
    { header: 'sender', align: 'left', cell: (r) => METHOD_LABEL[r.method] },
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
      { header: 'floor p99 ms', cell: (r) => txt(r.floorP99Ms, 2) },
      { header: 'avsock p99 ms', cell: (r) => txt(r.avsockP99Ms, 2) },
      { header: 'server.py p99 ms', cell: (r) => txt(r.serverPyP99Ms, 2) },
      { header: 'emulation p99 ms', cell: (r) => txt(r.emulationP99Ms, 2) },
      { header: 'avsock ÷ floor', cell: (r) => txt(r.vsFloor, 2) },
      { header: 'avsock ÷ server.py', cell: (r) => txt(r.vsServerPy, 2) },
      { header: 'avsock ÷ emulation', cell: (r) => txt(r.vsEmulation, 2) },
    ],
    rows,
    { markdown },
  );
}

export function tailTable(t: NonNullable<BenchResult['tail']>, markdown = false): string {
  return formatTable<TailSummary['shares'][number]>(
    [
      { header: 'stage', align: 'left', cell: (x) => x.stage },
      { header: 'share of the tail', cell: (x) => (Number.isFinite(x.share) ? `${(x.share * 100).toFixed(0)} %` : '–') },
      { header: 'largest part in', cell: (x) => `${x.largestIn} of ${t.tailIntervals}` },
      { header: 'mean part ms', cell: (x) => txt(x.meanMs, 2) },
    ],
    t.shares,
    { markdown },
  );
}

export function tailRunTable(t: NonNullable<BenchResult['tail']>, markdown = false): string {
  type Row = NonNullable<BenchResult['tail']>['perRun'][number];
  return formatTable<Row>(
    [
      { header: 'clip fps', cell: (r) => r.clipFps.toFixed(3) },
      { header: 'p99 |D| ms', cell: (r) => txt(r.thresholdMs, 2) },
      { header: 'wake-up p99 ms', cell: (r) => txt(r.wakeLateP99Ms, 3) },
      { header: 'send call p50/p99/max ms', cell: (r) => `${txt(r.sendCallP50Ms, 3)} / ${txt(r.sendCallP99Ms, 3)} / ${txt(r.sendCallMaxMs, 3)}` },
      { header: 'main GC n, max ms', cell: (r) => `${r.mainGcCount}, ${txt(r.mainGcMaxMs, 2)}` },
      { header: 'sender GC n, max ms', cell: (r) => `${r.workerGcCount}, ${txt(r.workerGcMaxMs, 2)}` },
      { header: 'main loop delay p99/max ms', cell: (r) => `${txt(r.loopDelayP99Ms, 1)} / ${txt(r.loopDelayMaxMs, 1)}` },
      { header: 'frames late into ring', cell: (r) => String(r.framesLateFromMain) },
    ],
    t.perRun,
    { markdown },
  );
}

export function layoutTable(rows: readonly LayoutResult[], markdown = false): string {
  const before = rows.find((r) => r.layout === 'two')?.cpuPct ?? Number.NaN;
  return formatTable<LayoutResult>(
    [
      { header: 'media layout (720p30 → 400 px + PCM, read at real time)', align: 'left', cell: (r) => LAYOUT_LABEL[r.layout] },
      { header: 'CPU % of a core', cell: (r) => txt(r.cpuPct, 2) },
      { header: 'saved vs before', cell: (r) => (r.layout === 'two' ? '–' : txt(before - r.cpuPct, 2)) },
      { header: 'peak RSS MB', cell: (r) => txt(r.peakRssMb, 0) },
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
      { header: 'sender', align: 'left', cell: (r) => (r.sender === 'floor' ? 'floor (bare sender)' : 'avsock') },
      { header: 'clients', cell: (r) => String(r.clients) },
      { header: 'receivers', align: 'left', cell: (r) => (r.receiver === 'kernel' ? 'kernel timestamps' : 'node probes') },
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
    rows.push(['server listening → first frame, client started after it ms (median)', txt(median(r.startup.map((s) => s.firstFrameMs - s.listeningMs)), 0)]);
    rows.push([
      'server listening → first frame, client already waiting ms (median)',
      txt(median(r.startup.map((s) => s.waitingFirstFrameMs).filter(Number.isFinite)), 0),
    ]);
    rows.push(['client registered → first frame ms (median)', txt(median(r.startup.map((s) => s.registeredToFirstFrameMs).filter(Number.isFinite)), 0)]);
  }
  if (r.grader)
    rows.push([
      'grader wall time for one submission s',
      r.grader.measured ? `${txt(r.grader.wallS ?? Number.NaN, 1)}${r.grader.exit ? ` (${r.grader.exit})` : ''}` : `not measured: ${r.grader.reason}`,
    ]);
  return formatTable<[string, string]>(
    [
      { header: 'figure', align: 'left', cell: (x) => x[0] },
      { header: 'value', align: 'left', cell: (x) => x[1] },
    ],
    rows,
    { markdown },
  );
}

export function reportsTable(r: ReportsResult, markdown = false): string {
  const kb = (bytes: number): string => `${(bytes / 1000).toFixed(0)} kB`;
  const runs = (ms: readonly number[]): string => ms.map((x) => x.toFixed(0)).join(', ');
  return formatTable<[string, string]>(
    [
      { header: 'figure', align: 'left', cell: (x) => x[0] },
      { header: 'value', align: 'left', cell: (x) => x[1] },
    ],
    [
      [`cold: first write in a fresh process, imports included, ms (median of ${r.processes})`, `${txt(r.coldMs, 0)} (${runs(r.coldRunsMs)})`],
      [`warm: each further write in the same process, ms (median of ${r.warmRunsMs.length})`, `${txt(r.warmMs, 0)} (${runs(r.warmRunsMs)})`],
      ['report.html', kb(r.htmlBytes)],
      ["PrairieLearn's results.json (limit 1 MB)", kb(r.prairielearnBytes)],
    ],
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
      { header: 'floor (bare sender, same probe)', cell: (x) => x.floor ?? '' },
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
    'The floor column is a bare program that sends the same datagrams at the same deadlines and does nothing else (it busy-waits to each one), measured in the same run by the same receivers: what this machine, kernel and probe allow.',
    '',
    targetTable(r.targets, true),
  ];
  if (r.pacing.length) {
    parts.push('', '### Pacing and sync (tutorial wire, probe client on loopback)', '', pacingTable(r.pacing, true));
    parts.push(
      '',
      "Jitter p99 side by side (avsock = deadline pacing; emulation = avsock with `--pacing tutorial`; server.py = the tutorial's own program):",
      '',
      ratioTable(r.pacingRatios, true),
    );
  }
  if (r.tail) {
    parts.push(
      '',
      '### Where the tail comes from (avsock, deadline runs)',
      '',
      `Each interval in the tail (|D| ≥ its run's p99; ${r.tail.tailIntervals} of ${r.tail.intervals} intervals over ${r.tail.runs} runs) split into the stages of its two frames (bench/attribution.ts): the main thread publishing the frame after its deadline, the sender thread waking late, the send calls, and everything after the send (kernel delivery and the probe's wake-up). A GC pause overlapped ${r.tail.withMainGc} tail interval(s) on the main thread and ${r.tail.withWorkerGc} on the sender thread.`,
      '',
      tailTable(r.tail, true),
      '',
      "Per run (over every frame): the sender thread's wake-up lateness, the send calls, GC pauses (perf_hooks), the main thread's event-loop delay (monitorEventLoopDelay, 20 ms resolution), and frames that reached the ring after their deadline:",
      '',
      tailRunTable(r.tail, true),
    );
  }
  if (r.ffmpegLayouts?.length) parts.push('', '### What the media changes save (process tree, % of a core)', '', layoutTable(r.ffmpegLayouts, true));
  if (r.capacity)
    parts.push(
      '',
      '### Pipeline capacity (unpaced, → 400 px, quality 80)',
      '',
      capacityTable(r.capacity.stages, true),
      '',
      `Dominant stage at 720p: ${r.capacity.dominantStage720}. ffmpeg-raw + sharp ÷ ffmpeg-MJPEG per core at 720p: ${r.capacity.sharpVsFfmpegPerCore720.toFixed(2)}×.`,
    );
  if (r.fanout.length) parts.push('', '### Fan-out (framed wire, deadline pacing, 720p30)', '', fanoutTable(r.fanout, true));
  if (r.cost || r.rssMb || r.startup || r.grader) parts.push('', '### Cost, start-up, memory', '', costTable(r, true));
  if (r.reports) parts.push('', '### Writing the reports of one graded submission (recorded run, every format)', '', reportsTable(r.reports, true));
  return parts.join('\n');
}

export async function updateDoc(r: BenchResult): Promise<void> {
  const doc = existsSync(DOC) ? await readFile(DOC, 'utf8') : '# Performance\n';
  await writeFile(DOC, replaceBetweenMarkers(doc, BEGIN, END, generatedMarkdown(r)));
}
