/**
 * Fan-out: one server (framed wire, deadline pacing, 720p30) and 1, 10 or 50 probe clients in one or
 * two worker processes (bench/fanout-worker.ts) — jitter p99 per client and the server's CPU.
 * The framed server encodes each frame once and sends the same datagrams to every client, so its
 * CPU should grow only by the per-datagram send cost.
 */
import { startChild } from '../../src/process/children.ts';
import type { FanoutProbeResult } from '../fanout-worker.ts';
import { REPO_ROOT, benchClip, fpsOf, startServer } from '../launch.ts';
import { pacingClip } from './pacing.ts';
import { TreeSampler } from '../proc.ts';
import { median } from '../summary.ts';

export interface FanoutResult {
  clients: number;
  /** Median over clients of each client's p99 |D|, ms. */
  jitterP99Ms: number;
  /** The worst client's p99, ms. */
  jitterP99MaxMs: number;
  jitterP50Ms: number;
  fpsErrorPctMedian: number;
  driftMaxMs: number;
  framesReceivedMin: number;
  datagramsLost: number;
  framesIncomplete: number;
  serverCpuPct: number;
  /** Measuring side (probe workers), % of a core — shares the 2 cores with the server. */
  probeCpuPct: number;
  serverPeakRssMb: number;
  problems: string[];
}

const PER_WORKER = 25;

export async function measureFanout(clients: number, seconds: number, log: (msg: string) => void): Promise<FanoutResult> {
  const spec = pacingClip('30', seconds);
  const file = await benchClip(spec, log);
  const server = await startServer({ file, wire: 'framed', pacing: 'deadline', loop: true });
  const sampler = new TreeSampler(server.pid).start();
  const workers: Array<{ stop(): Promise<void> }> = [];
  const probeSamplers: TreeSampler[] = [];
  try {
    const counts: number[] = [];
    for (let left = clients; left > 0; left -= PER_WORKER) counts.push(Math.min(PER_WORKER, left));
    const runs = counts.map((count) => {
      const child = startChild(
        process.execPath,
        ['--import', 'tsx', 'bench/fanout-worker.ts', server.host, String(server.videoPort), String(server.audioPort), String(count), String(seconds), String(fpsOf(spec))],
        { name: `fanout worker (${count} probes)`, cwd: REPO_ROOT },
      );
      workers.push(child);
      let out = '';
      child.process.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
      return child.started.then(() => {
        probeSamplers.push(new TreeSampler(child.pid!).start());
        return child.done.then(() => JSON.parse(out) as FanoutProbeResult[]);
      });
    });
    const results = (await Promise.all(runs)).flat();
    sampler.stop();
    for (const s of probeSamplers) s.stop();
    // CPU over the time every client was receiving (after each one's warm-up second).
    const from = Math.max(...results.map((r) => r.firstFrameEpochMs)) + 1000;
    const to = Math.min(...results.map((r) => r.endedEpochMs));
    const p99 = results.map((r) => r.jitterP99Ms);
    return {
      clients,
      jitterP99Ms: median(p99),
      jitterP99MaxMs: Math.max(...p99.filter(Number.isFinite)),
      jitterP50Ms: median(results.map((r) => r.jitterP50Ms)),
      fpsErrorPctMedian: median(results.map((r) => r.fpsErrorPct)),
      driftMaxMs: Math.max(...results.map((r) => r.driftMaxMs).filter(Number.isFinite)),
      framesReceivedMin: Math.min(...results.map((r) => r.framesReceived)),
      datagramsLost: results.reduce((s, r) => s + r.datagramsLost, 0),
      framesIncomplete: results.reduce((s, r) => s + r.framesIncomplete, 0),
      serverCpuPct: sampler.cpuPct(from, to),
      probeCpuPct: probeSamplers.reduce((s, p) => s + p.cpuPct(from, to), 0),
      serverPeakRssMb: sampler.peakRssMb,
      problems: [...new Set(results.flatMap((r) => (r.problem ? [r.problem] : [])))],
    };
  } finally {
    sampler.stop();
    for (const s of probeSamplers) s.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await server.child.stop();
  }
}
