/**
 * Where the tail of the frame-interval jitter comes from (pure; the inputs are the probe's arrival
 * times and the server's send trace, AVSOCK_SEND_TRACE, src/server/video-sender.ts).
 *
 * Frame n is due at deadline_n; the sender starts sending at start_n, the send calls return at
 * end_n, the probe sees it at arrival_n. So
 *
 *   arrival_n = deadline_n + late_n + send_n + after_n
 *     late_n  = start_n − deadline_n       split into  main_n = max(0, published_n − deadline_n)
 *                                                       (the frame reached the ring after its deadline:
 *                                                        the main thread was late — GC, event loop)
 *                                          and         wake_n = late_n − main_n (the sender thread's
 *                                                       wake-up: futex, scheduler)
 *     send_n  = end_n − start_n            the send calls (sendmsg to every client)
 *     after_n = arrival_n − end_n          kernel delivery + the probe's own wake-up
 *
 * Deadlines are exactly pts apart, so the interval error D_n (RFC 3550 §6.4.1, as the probe's
 * jitter) is the sum of the four differences Δmain + Δwake + Δsend + Δafter. For each interval in
 * the tail (|D| ≥ the run's p99), each stage's share is its part of D in D's direction; the shares of
 * all tail intervals are pooled. GC pauses (perf_hooks 'gc' entries of the main thread and the
 * sender thread) that overlap a tail interval are counted beside.
 * All times are epoch ms (performance.timeOrigin + performance.now() of the process that took them).
 */
import { percentile } from '../src/timing/stats.ts';
import type { SenderTrace } from '../src/server/send-trace.ts';

export const STAGES = ['main thread late', 'sender wake-up', 'send calls', 'after the send (kernel + probe)'] as const;
export type StageName = (typeof STAGES)[number];

export interface TailInterval {
  /** |D|, ms. */
  absDMs: number;
  /** Each stage's signed part of D, ms. */
  parts: Record<StageName, number>;
  mainGc: boolean;
  workerGc: boolean;
}

export interface RunTail {
  intervals: number;
  thresholdMs: number;
  tail: TailInterval[];
  /** Distributions over every sent frame of the run, ms. */
  wakeLateP99Ms: number;
  sendCallP50Ms: number;
  sendCallP99Ms: number;
  sendCallMaxMs: number;
  mainGcCount: number;
  mainGcMaxMs: number;
  workerGcCount: number;
  workerGcMaxMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Frames published after their deadline. */
  framesLateFromMain: number;
}

/**
 * arrivalsEpochMs[n] belongs to the n-th frame the server sent (one client, registered before the
 * first frame; loopback loses nothing — the probe counts losses). warmupMs after the first arrival
 * are left out, as in the jitter figures.
 */
export function attributeRun(arrivalsEpochMs: readonly number[], trace: SenderTrace, warmupMs = 1000): RunTail {
  const o = trace.timeOrigin;
  const sent = trace.frames.filter((f) => !f.dropped);
  const n = Math.min(sent.length, arrivalsEpochMs.length);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const f = sent[i]!;
    const deadline = o + f.deadlineMs;
    const start = o + f.sendStartMs;
    const end = o + f.sendEndMs;
    const arrival = arrivalsEpochMs[i]!;
    const late = start - deadline;
    const main = Math.max(0, o + f.publishedMs - deadline);
    rows.push({ deadline, arrival, main, wake: late - main, send: end - start, after: arrival - end });
  }
  const first = rows[0]?.arrival ?? 0;
  const d: Array<{ i: number; D: number }> = [];
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1]!.arrival < first + warmupMs) continue;
    const D = rows[i]!.arrival - rows[i - 1]!.arrival - (rows[i]!.deadline - rows[i - 1]!.deadline);
    d.push({ i, D });
  }
  const abs = d.map((x) => Math.abs(x.D));
  const threshold = abs.length ? percentile(abs, 99) : Number.NaN;
  const gcOverlaps = (list: ReadonlyArray<{ startMs: number; durationMs: number }>, from: number, to: number): boolean =>
    list.some((g) => o + g.startMs < to && o + g.startMs + g.durationMs > from);
  const tail: TailInterval[] = [];
  for (const { i, D } of d) {
    if (!(Math.abs(D) >= threshold)) continue;
    const a = rows[i - 1]!;
    const b = rows[i]!;
    tail.push({
      absDMs: Math.abs(D),
      parts: {
        'main thread late': b.main - a.main,
        'sender wake-up': b.wake - a.wake,
        'send calls': b.send - a.send,
        'after the send (kernel + probe)': b.after - a.after,
      },
      mainGc: gcOverlaps(trace.mainGc, a.deadline - 1, b.arrival),
      workerGc: gcOverlaps(trace.workerGc, a.deadline - 1, b.arrival),
    });
  }
  const sendCalls = rows.map((r) => r.send);
  return {
    intervals: d.length,
    thresholdMs: threshold,
    tail,
    wakeLateP99Ms: rows.length
      ? percentile(
          rows.map((r) => r.wake),
          99,
        )
      : Number.NaN,
    sendCallP50Ms: sendCalls.length ? percentile(sendCalls, 50) : Number.NaN,
    sendCallP99Ms: sendCalls.length ? percentile(sendCalls, 99) : Number.NaN,
    sendCallMaxMs: sendCalls.length ? Math.max(...sendCalls) : Number.NaN,
    mainGcCount: trace.mainGc.length,
    mainGcMaxMs: trace.mainGc.reduce((m, g) => Math.max(m, g.durationMs), 0),
    workerGcCount: trace.workerGc.length,
    workerGcMaxMs: trace.workerGc.reduce((m, g) => Math.max(m, g.durationMs), 0),
    loopDelayP99Ms: trace.mainLoopDelay.p99,
    loopDelayMaxMs: trace.mainLoopDelay.max,
    framesLateFromMain: rows.filter((r) => r.main > 0).length,
  };
}

export interface TailShare {
  stage: StageName;
  /** Share of the tail's |D| this stage accounts for (0..1). */
  share: number;
  /** Tail intervals where it is the largest part. */
  largestIn: number;
  /** Mean of its part over the tail intervals, ms (signed in D's direction). */
  meanMs: number;
}

export interface TailSummary {
  runs: number;
  tailIntervals: number;
  intervals: number;
  shares: TailShare[];
  /** Tail intervals with a GC pause of that thread inside them. */
  withMainGc: number;
  withWorkerGc: number;
}

/** Pools the tail intervals of several runs into each stage's share. */
export function summarizeTails(runs: readonly RunTail[]): TailSummary {
  const tail = runs.flatMap((r) => r.tail);
  const totals = new Map<StageName, { pos: number; largest: number; sum: number }>(STAGES.map((s) => [s, { pos: 0, largest: 0, sum: 0 }]));
  let all = 0;
  for (const t of tail) {
    // D's direction: a late frame (D > 0) is explained by stages that were later than before.
    const sign = Math.sign(Object.values(t.parts).reduce((a, b) => a + b, 0)) || 1;
    let best: StageName = STAGES[0];
    for (const s of STAGES) {
      const aligned = t.parts[s] * sign;
      const slot = totals.get(s)!;
      slot.sum += aligned;
      if (aligned > 0) {
        slot.pos += aligned;
        all += aligned;
      }
      if (aligned > t.parts[best] * sign) best = s;
    }
    totals.get(best)!.largest += 1;
  }
  return {
    runs: runs.length,
    tailIntervals: tail.length,
    intervals: runs.reduce((s, r) => s + r.intervals, 0),
    shares: STAGES.map((stage) => {
      const t = totals.get(stage)!;
      return { stage, share: all > 0 ? t.pos / all : Number.NaN, largestIn: t.largest, meanMs: tail.length ? t.sum / tail.length : Number.NaN };
    }),
    withMainGc: tail.filter((t) => t.mainGc).length,
    withWorkerGc: tail.filter((t) => t.workerGc).length,
  };
}
