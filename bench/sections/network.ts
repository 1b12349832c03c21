/**
 * The network as the lesson: both wires through the impairment relay as loss rises (0 … 10 % at
 * MTU 1500) — the share of frames delivered whole, the longest freeze a viewer sees, the A/V offset
 * and how late the TCP audio gets — and what the relay itself costs in CPU.
 *
 * Server and relay are child processes (the relay is `npm run relay`, measured as users run it);
 * the receiver is avsock's own client in this process (a null sound sink on its own clock, as in
 * `npm run client -- --audio null`), so every frame it shows is timed here. The relay's share of
 * whole frames is its own count; the client's shown frames are counted independently of it.
 */
import * as v from 'valibot';
import { parseJson } from '../../src/json.ts';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { NullSink } from '../../src/audio/sinks.ts';
import { StreamClient } from '../../src/client/stream-client.ts';
import type { RelayReport } from '../../src/net/impairment-relay.ts';
import { startChild, type ChildHandle } from '../../src/process/children.ts';
import { settlesWithin, sleep } from '../../src/timing/wait.ts';
import type { WireName } from '../../src/wire/index.ts';
import { benchClip, REPO_ROOT, startServer, waitForLine } from '../start-programs.ts';
import { TreeSampler, treeCpuSeconds } from '../proc.ts';

/** What the section reads of the relay's report; the rest is the relay's own writing. */
const RelayReportFieldsSchema = v.looseObject({
  net: v.string(),
  video: v.looseObject({}),
  audio: v.looseObject({}),
  frames: v.looseObject({}),
  clients: v.number(),
});

export const LOSSES_PCT = [0, 0.5, 1, 2, 5, 10] as const;

export interface LossPoint {
  readonly wire: WireName;
  readonly lossPct: number;
  /** Frames the server sent through the relay, and those delivered with every piece. */
  readonly frames: number;
  readonly whole: number;
  readonly wholeShare: number;
  /** Frames the client showed (its own count). */
  readonly shown: number;
  /** Longest gap between two shown frames, ms (what a viewer sees as a freeze). */
  readonly longestFreezeMs: number;
  /** Picture pts − audio clock when shown (framed; the tutorial wire carries no timestamps). */
  readonly avOffsetMeanMs: number | null;
  readonly avOffsetMaxAbsMs: number | null;
  /** The most a chunk of the TCP audio was held back (retransmission timeouts), ms. */
  readonly audioDelayMaxMs: number;
}

export interface RelayCost {
  readonly wire: WireName;
  readonly width: number;
  readonly datagramsPerS: number;
  readonly mbitPerS: number;
  /** CPU of the relay process, % of one core, over the steady part of the run. */
  readonly cpuPct: number;
  /** The same for a bare pass-through (bench/floor-relay.ts) carrying the same stream. */
  readonly floorCpuPct: number;
}

/** The relay's CPU is read after this long of traffic (ms): its first seconds compile the hot paths (measured ≈ 7 % of a core in the first second, 2–3 % after). */
const STEADY_AFTER_MS = 3000;

/**
 * Before the traffic starts, a relay measured for its cost must have finished starting: a fresh Node
 * process under tsx goes on collecting its start-up garbage on V8's helper threads for about 15 s,
 * traffic or not (an idle relay, measured: 0.9 % of a core in its first 8 s, 0.3 % in the next 8,
 * 0.0 after), which would be billed to the traffic. Quiet = no CPU tick over QUIET_WINDOW_MS.
 */
const QUIET_WINDOW_MS = 3000;
/** Gives up waiting for quiet after this long (ms) and measures anyway, saying so. */
const QUIET_CAP_MS = 40_000;

/** Resolves once the process tree at `pid` used no CPU tick over the last QUIET_WINDOW_MS (or after QUIET_CAP_MS). */
async function untilQuiet(pid: number, name: string, log: (msg: string) => void): Promise<void> {
  const startedMs = performance.now();
  const samples: Array<{ atMs: number; cpuS: number }> = [];
  for (;;) {
    const now = performance.now();
    samples.push({ atMs: now, cpuS: treeCpuSeconds(pid) });
    const from = samples.find((x) => x.atMs >= now - QUIET_WINDOW_MS)!;
    if (now - from.atMs >= QUIET_WINDOW_MS - 100 && samples.at(-1)!.cpuS === from.cpuS) return;
    if (now - startedMs > QUIET_CAP_MS) {
      log(`network: the ${name} still used CPU ${QUIET_CAP_MS / 1000} s after its start; measuring anyway`);
      return;
    }
    await sleep(250);
  }
}

const RELAY_LINE = /^relay: udp [\d.]+:(\d+) tcp [\d.]+:(\d+)/;

/** `npm run relay` with `profile`, or (profile undefined) the bare pass-through that is its floor. */
async function startRelay(
  to: { videoPort: number; audioPort: number },
  profile: string | undefined,
  statsFile: string,
): Promise<{ child: ChildHandle; videoPort: number; audioPort: number }> {
  const args =
    profile === undefined
      ? ['bench/floor-relay.ts', String(to.videoPort), String(to.audioPort)]
      : [
          'src/cli/relay.ts',
          '--to',
          `127.0.0.1:${to.videoPort}`,
          '--to-audio-port',
          String(to.audioPort),
          '--profile',
          profile,
          '--listen',
          '0',
          '--stats',
          statsFile,
        ];
  const child = startChild(process.execPath, ['--import', 'tsx', ...args], {
    name: profile === undefined ? 'floor relay' : 'relay',
    cwd: REPO_ROOT,
    detached: true,
    stopTimeoutsMs: [3000, 1000],
  });
  await child.started;
  const m = await waitForLine(child, RELAY_LINE, 30_000);
  return { child, videoPort: Number(m[1]), audioPort: Number(m[2]) };
}

interface Played {
  readonly shownAtMs: number[];
  readonly client: ReturnType<StreamClient['snapshot']>;
  /** undefined for the floor (it counts nothing). */
  readonly relay: RelayReport | undefined;
  readonly relayCpuPct: number;
  readonly seconds: number;
}

/** One clip from a server through the relay to the client, to its end. */
async function play(opts: {
  wire: WireName;
  file: string;
  width: number;
  profile: string | undefined;
  seconds: number;
  /** Wait for the relay process to finish starting (untilQuiet) before the traffic: set when its CPU is the figure. */
  settle: boolean;
  log: (msg: string) => void;
}): Promise<Played> {
  const statsFile = join(os.tmpdir(), `avsock-bench-relay-${process.pid}-${Date.now()}.json`);
  const server = await startServer({ file: opts.file, wire: opts.wire, pacing: 'deadline', extraArgs: ['--width', String(opts.width)] });
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let client: StreamClient | undefined;
  try {
    relay = await startRelay(server, opts.profile, statsFile);
    if (opts.settle) await untilQuiet(relay.child.pid!, relay.child.name, opts.log);
    const sampler = new TreeSampler(relay.child.pid!, 250).start();
    const shownAtMs: number[] = [];
    client = await StreamClient.start({
      host: '127.0.0.1',
      port: relay.videoPort,
      audioPort: relay.audioPort,
      wire: opts.wire,
      openSink: async () => ({ sink: new NullSink(), reason: 'null' }),
      onFrame: () => shownAtMs.push(performance.now()),
    });
    const t0 = performance.timeOrigin + performance.now();
    // The framed wire ends with end-of-stream, the tutorial's with the server closing: both end the client.
    await settlesWithin(client.ended, (opts.seconds + 15) * 1000, { keepAlive: true });
    const t1 = performance.timeOrigin + performance.now();
    sampler.stop();
    const snapshot = await client.close();
    client = undefined;
    await relay.child.stop();
    const report =
      opts.profile === undefined
        ? undefined
        : (parseJson(await readFile(statsFile, 'utf8'), RelayReportFieldsSchema, "the relay's stats file") as unknown as RelayReport);
    // Steady part: after the first STEADY_AFTER_MS (the relay's JIT warming up on the first traffic), to the end of the clip.
    return { shownAtMs, client: snapshot, relay: report, relayCpuPct: sampler.cpuPct(t0 + STEADY_AFTER_MS, t1), seconds: (t1 - t0) / 1000 };
  } finally {
    await client?.close();
    await relay?.child.stop();
    await server.child.stop();
    await rm(statsFile, { force: true });
  }
}

function longestGap(times: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

/** The loss curve for both wires: 400-px frames as students stream them, MTU 1500, independent loss. */
export async function measureLossCurve(seconds: number, log: (msg: string) => void, losses: readonly number[] = LOSSES_PCT): Promise<LossPoint[]> {
  const file = await benchClip({ fps: '30', seconds, width: 1280, height: 720 }, log);
  const points: LossPoint[] = [];
  for (const wire of ['framed', 'tutorial'] as const) {
    for (const lossPct of losses) {
      log(`network: ${wire} wire, ${lossPct} % loss`);
      const r = await play({ wire, file, width: 400, profile: `loss=${lossPct}%,mtu=1500,seed=1`, seconds, settle: false, log });
      const f = r.relay!.frames;
      points.push({
        wire,
        lossPct,
        frames: f.frames,
        whole: f.whole,
        wholeShare: f.frames > 0 ? f.whole / f.frames : 0,
        shown: r.client.framesShown,
        longestFreezeMs: longestGap(r.shownAtMs),
        avOffsetMeanMs: r.client.avOffsetMs.mean,
        avOffsetMaxAbsMs: r.client.avOffsetMs.maxAbs,
        audioDelayMaxMs: r.relay!.audio.down.maxDelayMs,
      });
    }
  }
  return points;
}

/** The relay's own CPU at 720p30: framed at full 1280-px frames (≈ 100 datagrams a frame), and the tutorial wire at 400 px. */
export async function measureRelayCost(seconds: number, log: (msg: string) => void): Promise<RelayCost[]> {
  const file = await benchClip({ fps: '30', seconds, width: 1280, height: 720 }, log);
  const out: RelayCost[] = [];
  for (const [wire, width] of [
    ['framed', 1280],
    ['tutorial', 400],
  ] as const) {
    log(`network: relay cost, ${wire} wire, ${width} px`);
    const r = await play({ wire, file, width, profile: 'lan', seconds, settle: true, log });
    log(`network: floor (bare pass-through), ${wire} wire, ${width} px`);
    const floor = await play({ wire, file, width, profile: undefined, seconds, settle: true, log });
    out.push({
      wire,
      width,
      datagramsPerS: r.client.datagramsReceived / r.seconds,
      mbitPerS: (r.client.bytesReceived * 8) / r.seconds / 1e6,
      cpuPct: r.relayCpuPct,
      floorCpuPct: floor.relayCpuPct,
    });
  }
  return out;
}

function fmt(x: number | null, digits = 0): string {
  return x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

/** The curve, the two wires side by side. */
export function lossCurveTable(points: readonly LossPoint[]): string {
  const head =
    '| loss | framed: whole frames | framed: longest freeze | framed: A/V mean / max | tutorial: whole frames | tutorial: longest freeze | audio held back (max) |';
  const losses = [...new Set(points.map((p) => p.lossPct))].sort((a, b) => a - b);
  const rows = losses.map((loss) => {
    const f = points.find((p) => p.wire === 'framed' && p.lossPct === loss);
    const t = points.find((p) => p.wire === 'tutorial' && p.lossPct === loss);
    const share = (p: LossPoint | undefined): string => (p ? `${(100 * p.wholeShare).toFixed(1)} % (${p.whole}/${p.frames}, shown ${p.shown})` : '–');
    const freeze = (p: LossPoint | undefined): string => (p ? `${fmt(p.longestFreezeMs)} ms` : '–');
    const audio = [f, t]
      .filter((p): p is LossPoint => p !== undefined)
      .map((p) => `${fmt(p.audioDelayMaxMs)}`)
      .join(' / ');
    return `| ${loss} % | ${share(f)} | ${freeze(f)} | ${f ? `${fmt(f.avOffsetMeanMs, 1)} / ${fmt(f.avOffsetMaxAbsMs, 1)} ms` : '–'} | ${share(t)} | ${freeze(t)} | ${audio} ms |`;
  });
  return [head, `|${'---|'.repeat(7)}`, ...rows].join('\n');
}

export function relayCostTable(costs: readonly RelayCost[]): string {
  return [
    '| wire | frame width | datagrams/s | Mbit/s | relay CPU (% of a core) | bare pass-through (floor) |',
    '|---|---|---|---|---|---|',
    ...costs.map(
      (c) => `| ${c.wire} | ${c.width} px | ${c.datagramsPerS.toFixed(0)} | ${c.mbitPerS.toFixed(1)} | ${c.cpuPct.toFixed(1)} | ${c.floorCpuPct.toFixed(1)} |`,
    ),
  ].join('\n');
}
