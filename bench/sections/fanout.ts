/**
 * Fan-out: one sender (framed wire, 720p30 looped) and N clients, each a real framed-wire client in
 * a receiver process holding at most PER_PROCESS of them. The receivers are
 * bench/receivers/fanout_receiver.py, which takes each datagram's arrival time from the kernel
 * (SO_TIMESTAMPNS): the receivers' own scheduling on the shared cores does not enter the figures, so
 * they measure the sender and the kernel, not themselves. Without python3, the Node probe
 * (bench/fanout-worker.ts) is used instead, and the table says so.
 * The floor (bench/floor-sender.ts) is measured the same way at the largest N.
 */
import * as v from 'valibot';
import { parseJson } from '../../src/json.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startChild } from '../../src/process/children.ts';
import { fanoutResult, type FanoutProbeResult } from '../fanout-figures.ts';
import { REPO_ROOT, benchClip, fpsOf } from '../start-programs.ts';
import { pacingClip } from './pacing.ts';
import { TreeSampler } from '../proc.ts';
import { startSender } from '../senders.ts';
import { median } from '../summary.ts';

export interface FanoutResult {
  clients: number;
  sender: 'avsock' | 'floor';
  /** 'kernel' = SO_TIMESTAMPNS receivers (python3); 'node' = Node probes (their scheduling included). */
  receiver: 'kernel' | 'node';
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
  /** Measuring side (receiver processes), % of a core — shares the 2 cores with the server. */
  probeCpuPct: number;
  serverPeakRssMb: number;
  problems: string[];
}

const PER_PROCESS = 10;

/** Whether python3 runs the receiver, asked once per bench process. */
const pythonReceiver: { usable?: boolean } = {};
function hasPython(): boolean {
  pythonReceiver.usable ??= spawnSync('python3', ['-c', 'import socket, selectors, json'], { timeout: 10_000 }).status === 0;
  return pythonReceiver.usable;
}

type ClientFigures = FanoutProbeResult;

/** Runs a receiver program whose stdout is one JSON document, its CPU sampled while it runs. */
function runJsonChild(command: string, args: string[], name: string, samplers: TreeSampler[], stops: Array<() => Promise<void>>): Promise<unknown> {
  const child = startChild(command, args, { name, cwd: REPO_ROOT });
  stops.push(() => child.stop());
  let out = '';
  child.process.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return child.started.then(() => {
    samplers.push(new TreeSampler(child.pid!).start());
    return child.done.then((): unknown => parseJson(out, v.unknown(), `${name}'s figures`));
  });
}

function runKernelReceivers(
  host: string,
  videoPort: number,
  audioPort: number,
  count: number,
  seconds: number,
  sourceFps: number,
  samplers: TreeSampler[],
  stops: Array<() => Promise<void>>,
): Promise<ClientFigures[]> {
  const args = [join(REPO_ROOT, 'bench', 'receivers', 'fanout_receiver.py'), host, String(videoPort), String(audioPort), String(count), String(seconds)];
  return runJsonChild('python3', args, `fanout receiver (${count} clients)`, samplers, stops).then((json) => {
    const clients = json as Array<{ frames: Array<[number, number]>; lost: number; incomplete: number; done: boolean }>;
    return clients.map((c): ClientFigures => {
      const frames = c.frames.map(([arrivalMs, ptsUs]) => ({ arrivalMs, ptsUs }));
      return fanoutResult(frames, sourceFps, {
        datagramsLost: c.lost,
        framesIncomplete: c.incomplete,
        firstFrameEpochMs: frames[0]?.arrivalMs ?? Number.NaN,
        endedEpochMs: frames.at(-1)?.arrivalMs ?? Number.NaN,
        ...(c.done ? {} : { problem: 'a client did not record its full window' }),
      });
    });
  });
}

function runNodeProbes(
  host: string,
  videoPort: number,
  audioPort: number,
  count: number,
  seconds: number,
  sourceFps: number,
  samplers: TreeSampler[],
  stops: Array<() => Promise<void>>,
): Promise<ClientFigures[]> {
  const args = ['--import', 'tsx', 'bench/fanout-worker.ts', host, String(videoPort), String(audioPort), String(count), String(seconds), String(sourceFps)];
  return runJsonChild(process.execPath, args, `fanout worker (${count} probes)`, samplers, stops).then((json) => json as FanoutProbeResult[]);
}

export async function measureFanout(
  clients: number,
  seconds: number,
  log: (msg: string) => void,
  sender: 'avsock' | 'floor' = 'avsock',
): Promise<FanoutResult> {
  const spec = pacingClip('30', seconds);
  const file = await benchClip(spec, log);
  const server = await startSender({
    method: sender === 'floor' ? 'floor' : 'deadline',
    file,
    fps: spec.fps,
    wire: 'framed',
    loop: true,
    seconds: seconds + 8,
  });
  const sampler = new TreeSampler(server.pid).start();
  const stops: Array<() => Promise<void>> = [];
  const probeSamplers: TreeSampler[] = [];
  const receiver = hasPython() ? 'kernel' : 'node';
  try {
    const counts: number[] = [];
    for (let left = clients; left > 0; left -= PER_PROCESS) counts.push(Math.min(PER_PROCESS, left));
    const run = receiver === 'kernel' ? runKernelReceivers : runNodeProbes;
    const results = (
      await Promise.all(counts.map((count) => run(server.host, server.videoPort, server.audioPort, count, seconds, fpsOf(spec), probeSamplers, stops)))
    ).flat();
    sampler.stop();
    for (const s of probeSamplers) s.stop();
    // CPU over the time every client was receiving (after each one's warm-up second).
    const from = Math.max(...results.map((r) => r.firstFrameEpochMs)) + 1000;
    const to = Math.min(...results.map((r) => r.endedEpochMs));
    const p99 = results.map((r) => r.jitterP99Ms);
    return {
      clients,
      sender,
      receiver,
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
    await Promise.all(stops.map((s) => s()));
    await server.stop();
  }
}
