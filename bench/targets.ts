/** The benchmark's targets, judged against what a run measured. */
import type { BenchResult } from './result.ts';
import { median } from './summary.ts';
import type { FanoutResult } from './sections/fanout.ts';

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean | undefined;
  /** The same figure for a bare sender that does nothing else, measured the same way. */
  floor?: string;
}

/** The targets against what was measured (met undefined = not measured). */
export function evaluateTargets(r: Omit<BenchResult, 'targets'>): Target[] {
  const dl = r.pacing.filter((p) => p.method === 'deadline');
  const worst = (xs: number[]): number => (xs.length && xs.every(Number.isFinite) ? Math.max(...xs) : Number.NaN);
  const num = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
  const t = (name: string, target: string, value: number, limit: number, unit: string, digits = 2, floor?: string): Target => ({
    name,
    target,
    measured: Number.isFinite(value) ? `${value.toFixed(digits)} ${unit}`.trim() : 'not measured',
    met: Number.isFinite(value) ? value <= limit : undefined,
    ...(floor ? { floor } : {}),
  });
  const out: Target[] = [];
  for (const ratio of r.pacingRatios) {
    out.push({
      name: `jitter p99 at ${ratio.clipFps.toFixed(3).replace(/\.?0+$/, '')} fps ÷ floor`,
      target: '≤ 1.5× the bare sender',
      measured: Number.isFinite(ratio.vsFloor) ? `${num(ratio.avsockP99Ms)} ms = ${num(ratio.vsFloor)}×` : 'not measured',
      met: Number.isFinite(ratio.vsFloor) ? ratio.vsFloor <= 1.5 : undefined,
      floor: `${num(ratio.floorP99Ms)} ms`,
    });
  }
  const py = r.pacingRatios.filter((x) => Number.isFinite(x.vsServerPy));
  const worstPy = py.length ? py.reduce((a, b) => (b.vsServerPy > a.vsServerPy ? b : a)) : undefined;
  out.push({
    name: "jitter p99 ÷ the tutorial's real server.py (worst rate)",
    target: '≤ 0.3×',
    measured: worstPy
      ? `${num(worstPy.vsServerPy)}× (${num(worstPy.avsockP99Ms)} vs ${num(worstPy.serverPyP99Ms)} ms at ${worstPy.clipFps.toFixed(3)} fps)`
      : 'not measured',
    met: worstPy ? worstPy.vsServerPy <= 0.3 : undefined,
    floor: worstPy ? `${num(worstPy.floorP99Ms)} ms` : '–',
  });
  // The cost section's server (framed, the default wire; no send trace) is the CPU figure; the
  // tutorial-wire pacing run at 30 fps stands in when it was not measured.
  const at30 = dl.find((p) => p.clipRate === '30');
  const cpu = r.cost ? r.cost.serverCpuPerStreamS * 100 : (at30?.serverCpuPct ?? Number.NaN);
  const reader = r.ffmpegLayouts?.find((l) => l.layout === 'one-sized');
  out.push(
    t(
      `server tree CPU at 720p30 (ffmpeg included${r.cost ? '' : ', tutorial wire'})`,
      '≤ 6 % of a core',
      cpu,
      6,
      '%',
      1,
      reader ? `${num(reader.cpuPct, 1)} % (ffmpeg + reader alone)` : undefined,
    ),
  );
  const fanMax = r.fanout.filter((f) => f.sender === 'avsock').reduce<FanoutResult | undefined>((a, b) => (!a || b.clients > a.clients ? b : a), undefined);
  const fanFloor = r.fanout.find((f) => f.sender === 'floor' && f.clients === fanMax?.clients);
  out.push({
    name: `${fanMax?.clients ?? 200} clients: median client's jitter p99, loss`,
    target: '≤ 2 ms, 0 lost',
    measured: fanMax ? `${num(fanMax.jitterP99Ms)} ms, ${fanMax.datagramsLost} lost` : 'not measured',
    met: fanMax && Number.isFinite(fanMax.jitterP99Ms) ? fanMax.jitterP99Ms <= 2 && fanMax.datagramsLost === 0 : undefined,
    floor: fanFloor ? `${num(fanFloor.jitterP99Ms)} ms, ${fanFloor.datagramsLost} lost` : '–',
  });
  // A client already waiting when the server starts, so the figure is the server's start of the
  // stream and not the client's own start-up (the cost table shows both).
  const afterListening = r.startup?.length ? median(r.startup.map((s) => s.waitingFirstFrameMs).filter(Number.isFinite)) : Number.NaN;
  out.push(t('first frame after the server listens (client waiting)', '≤ 500 ms', afterListening, 500, 'ms', 0));
  out.push(t('fps error, every rate (worst, absolute)', '≤ 0.1 %', worst(dl.map((p) => Math.abs(p.fpsErrorPct))), 0.1, '%', 3));
  out.push(t('drift vs wall clock (worst)', '≤ 5 ms', worst(dl.map((p) => p.driftMaxMs)), 5, 'ms'));
  out.push(t('A/V offset (worst max, absolute)', '≤ 25 ms', worst(dl.map((p) => p.avOffsetMaxMs)), 25, 'ms', 1));
  out.push({
    name: 'capacity 720p → 400 px',
    target: '≥ 300 fps per core',
    measured: r.capacity && Number.isFinite(r.capacity.fpsPerCore720) ? `${r.capacity.fpsPerCore720.toFixed(0)} fps/core` : 'not measured',
    met: r.capacity && Number.isFinite(r.capacity.fpsPerCore720) ? r.capacity.fpsPerCore720 >= 300 : undefined,
  });
  // Cold: a grading process pays the imports of Plot, linkedom, sharp and resvg once, and `grade`
  // grades one submission per process.
  const reports = r.reports;
  out.push({
    name: 'all reports for one submission (fresh process, imports included)',
    target: '≤ 1 s',
    measured:
      reports && Number.isFinite(reports.coldMs) ? `${(reports.coldMs / 1000).toFixed(2)} s (warm ${(reports.warmMs / 1000).toFixed(2)} s)` : 'not measured',
    met: reports && Number.isFinite(reports.coldMs) ? reports.coldMs <= 1000 : undefined,
  });
  return out;
}
