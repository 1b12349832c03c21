/**
 * Cost of the real programs: CPU per stream-second and peak RSS of the server and of the client
 * (`src/cli/client.ts --no-window --audio null`) at 30 fps, 720p source, framed wire (the default);
 * and start-up: server spawn → first frame at a probe client (clip cached), with the probe started
 * after the server listens (its own start-up counted) and with a probe already waiting.
 */
import * as v from 'valibot';
import { parseJson } from '../../src/json.ts';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeServer } from '../../grader/measure/probe-client.ts';
import { benchClip, epochMs, startClient, startServer } from '../start-programs.ts';
import { sleep } from '../../src/timing/wait.ts';
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
      clientStats = parseJson(await readFile(statsFile, 'utf8'), v.record(v.string(), v.unknown()), "the client's --stats file");
    } catch (error) {
      clientExit ??= (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the client wrote no --stats file' : (error as Error).message;
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
  /** Server spawn → first complete frame at a probe started after the `listening:` line, ms (its own start-up included). */
  firstFrameMs: number;
  /**
   * A probe already running and retrying its connect when the server starts (as a user whose
   * client is up first): `listening:` line → first complete frame, ms. NaN if the probe was not
   * running by then (its head start was too short on a loaded machine).
   */
  waitingFirstFrameMs: number;
  /** That probe's registration (TCP connected, hello sent) → first complete frame: the server's own part, ms. */
  registeredToFirstFrameMs: number;
}

/**
 * Head start of the waiting probe (ms): its process and its audio thread load under tsx in
 * 0.3–0.7 s on the 2-core VM; the server's own start-up (≈ 0.6 s to listening) adds to it.
 */
const PROBE_HEAD_START_MS = 2000;

export async function measureStartup(log: (msg: string) => void): Promise<StartupResult> {
  const file = await benchClip(pacingClip('30', 10), log);
  const after = await clientAfterListening(file);
  const waiting = await clientWaiting(file, log);
  return { ...after, ...waiting };
}

async function clientAfterListening(file: string): Promise<Pick<StartupResult, 'listeningMs' | 'firstFrameMs'>> {
  const server = await startServer({ file, wire: 'framed', pacing: 'deadline' });
  const listeningMs = performance.now() - server.spawnedMs;
  try {
    const rec = await probeServer({
      host: server.host,
      videoPort: server.videoPort,
      audioPort: server.audioPort,
      wire: 'framed',
      seconds: 0.2,
      maxKeptJpegBytes: 0,
      maxKeptPcmBytes: 0,
    });
    return { listeningMs, firstFrameMs: rec.firstFrameMs !== undefined ? rec.firstFrameMs - server.spawnedMs : Number.NaN };
  } finally {
    await server.child.stop();
  }
}

/** A UDP and a TCP port free right now on loopback (the OS picks; closed again for the server to take). */
async function freePorts(): Promise<{ videoPort: number; audioPort: number }> {
  const udp = createSocket('udp4');
  await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(0, '127.0.0.1', resolve));
  const tcp = createServer();
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(0, '127.0.0.1', resolve));
  const videoPort = udp.address().port;
  const address = tcp.address();
  const audioPort = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => udp.close(() => resolve()));
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  return { videoPort, audioPort };
}

export async function clientWaiting(
  file: string,
  log: (msg: string) => void,
): Promise<Pick<StartupResult, 'waitingFirstFrameMs' | 'registeredToFirstFrameMs'>> {
  const ports = await freePorts();
  const stop = new AbortController();
  const recording = probeServer({
    host: '127.0.0.1',
    ...ports,
    wire: 'framed',
    seconds: 0.2,
    connectTimeoutMs: 30_000,
    maxKeptJpegBytes: 0,
    maxKeptPcmBytes: 0,
    signal: stop.signal,
  });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await sleep(PROBE_HEAD_START_MS);
    server = await startServer({ file, wire: 'framed', pacing: 'deadline', port: ports.videoPort, audioPort: ports.audioPort });
    const rec = await recording;
    if (rec.problem) log(`start-up: the waiting probe: ${rec.problem}`);
    const ready = rec.startedMs < server.listeningMs;
    if (!ready)
      log(`start-up: the waiting probe started its recording ${(rec.startedMs - server.listeningMs).toFixed(0)} ms after the server listened; not counted`);
    const firstFrame = rec.firstFrameMs ?? Number.NaN;
    return {
      waitingFirstFrameMs: ready ? firstFrame - server.listeningMs : Number.NaN,
      registeredToFirstFrameMs: firstFrame - (rec.registeredMs ?? Number.NaN),
    };
  } finally {
    stop.abort();
    await recording.catch(() => undefined);
    await server?.child.stop();
  }
}
