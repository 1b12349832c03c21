/**
 * Cost of the real programs: CPU per stream-second and peak RSS of the server and of the client
 * (`src/cli/client.ts --no-window --audio null`) at 30 fps, 720p source, framed wire (the default);
 * and start-up: server spawn → first frame at a probe client (clip cached).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeServer } from '../../grader/measure/probe.ts';
import { benchClip, epochMs, startClient, startServer } from '../launch.ts';
import { TreeSampler } from '../proc.ts';
import { pacingClip } from './pacing.ts';

export interface CostResult {
  seconds: number;
  /** CPU seconds per stream second (= % of a core / 100) over the steady part. */
  serverCpuPerStreamS: number;
  clientCpuPerStreamS: number;
  serverPeakRssMb: number;
  clientPeakRssMb: number;
  /** What the client's --stats said (fps, framesLost, avOffsetMs…), for context. */
  clientStats?: Record<string, unknown>;
  clientExit?: string;
}

export async function measureCost(seconds: number, log: (msg: string) => void): Promise<CostResult> {
  const file = await benchClip(pacingClip('30', seconds), log);
  const dir = await mkdtemp(join(tmpdir(), 'avsock-bench-'));
  const statsFile = join(dir, 'client-stats.json');
  const server = await startServer({ file, wire: 'framed', pacing: 'deadline', loop: true });
  const serverSampler = new TreeSampler(server.pid).start();
  let clientSampler: TreeSampler | undefined;
  try {
    const durationS = seconds + 2;
    const client = await startClient({ server, wire: 'framed', durationS, statsFile });
    const startedEpoch = epochMs(performance.now());
    clientSampler = new TreeSampler(client.pid!).start();
    let clientExit: string | undefined;
    try {
      await client.done;
    } catch (error) {
      clientExit = error instanceof Error ? error.message : String(error);
    }
    // Steady part: 1.5 s after the client started (process start-up, first frames) to its last samples.
    const last = clientSampler.samples.at(-1)?.atMs ?? Number.NaN;
    const from = startedEpoch + 1500;
    const to = Math.min(last, startedEpoch + durationS * 1000);
    serverSampler.stop();
    clientSampler.stop();
    let clientStats: Record<string, unknown> | undefined;
    try {
      clientStats = JSON.parse(await readFile(statsFile, 'utf8')) as Record<string, unknown>;
    } catch {
      clientExit ??= 'the client wrote no --stats file';
    }
    return {
      seconds: (to - from) / 1000,
      serverCpuPerStreamS: serverSampler.cpuPct(from, to) / 100,
      clientCpuPerStreamS: clientSampler.cpuPct(from, to) / 100,
      serverPeakRssMb: serverSampler.peakRssMb,
      clientPeakRssMb: clientSampler.peakRssMb,
      ...(clientStats ? { clientStats } : {}),
      ...(clientExit ? { clientExit } : {}),
    };
  } finally {
    serverSampler.stop();
    clientSampler?.stop();
    await server.child.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface StartupResult {
  /** Server spawn → `listening:` line, ms. */
  listeningMs: number;
  /** Server spawn → first complete frame at the probe, ms. */
  firstFrameMs: number;
}

export async function measureStartup(log: (msg: string) => void): Promise<StartupResult> {
  const file = await benchClip(pacingClip('30', 10), log);
  const server = await startServer({ file, wire: 'framed', pacing: 'deadline' });
  const listeningMs = performance.now() - server.spawnedMs;
  try {
    const rec = await probeServer({ host: server.host, videoPort: server.videoPort, audioPort: server.audioPort, wire: 'framed', seconds: 0.2, maxKeptJpegBytes: 0, maxKeptPcmBytes: 0 });
    return { listeningMs, firstFrameMs: rec.firstFrameMs !== undefined ? rec.firstFrameMs - server.spawnedMs : Number.NaN };
  } finally {
    await server.child.stop();
  }
}
