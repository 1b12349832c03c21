/**
 * The bench's view into the video send path. Set AVSOCK_SEND_TRACE=FILE (the bench does, on the
 * server it starts) and the sender thread records every frame's deadline, wake-up, send start/end
 * and publish time and its own GC pauses into a shared buffer, while this side records the main
 * thread's GC pauses and event-loop delay; the sender's close() writes it all to FILE as JSON —
 * what `npm run bench` uses to say where the tail of the jitter comes from. Without the variable
 * nothing here runs.
 *
 * The buffer's layout (Float64): [0] frames traced, then TRACE_FRAMES × FRAME_FIELDS, then
 * TRACE_GC × 2 (start, duration) for the sender thread's GC pauses.
 */
import * as v from 'valibot';
import type { Schema } from '../json.ts';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';

const TRACE_FRAMES = 20_000;
const TRACE_GC = 4_000;
/** Fields per traced frame, in the order the sender thread writes them (video-sender-worker.mjs). */
const FRAME_FIELDS = 8;
/** Event-loop delay sampling period (ms): coarse, so the probe itself costs next to no CPU. */
const LOOP_DELAY_RESOLUTION_MS = 20;

export interface SenderTrace {
  /** Per frame: main-thread ms. */
  frames: Array<{
    deadlineMs: number;
    wokeMs: number;
    sendStartMs: number;
    sendEndMs: number;
    publishedMs: number;
    ptsUs: number;
    datagrams: number;
    dropped: boolean;
  }>;
  workerGc: Array<{ startMs: number; durationMs: number }>;
  mainGc: Array<{ startMs: number; durationMs: number; kind: number }>;
  /** The main thread's event-loop delay histogram (ms). */
  mainLoopDelay: { p50: number; p99: number; max: number; mean: number };
  /** performance.timeOrigin of the main thread (epoch ms): ms + this = epoch ms. */
  timeOrigin: number;
}

const timed = v.object({ startMs: v.number(), durationMs: v.number() });
const ms = v.nullable(v.number()); // NaN (a dropped frame's send times) is written to JSON as null

/** The trace file as the bench reads it back. */
export const SenderTraceSchema: Schema<SenderTrace> = v.object({
  frames: v.array(
    v.object({
      deadlineMs: v.number(),
      wokeMs: ms,
      sendStartMs: ms,
      sendEndMs: ms,
      publishedMs: v.number(),
      ptsUs: v.number(),
      datagrams: v.number(),
      dropped: v.boolean(),
    }),
  ),
  workerGc: v.array(timed),
  mainGc: v.array(v.object({ startMs: v.number(), durationMs: v.number(), kind: v.number() })),
  mainLoopDelay: v.object({ p50: ms, p99: ms, max: ms, mean: ms }),
  timeOrigin: v.number(),
}) as unknown as Schema<SenderTrace>;

/** What the sender thread is given when tracing is on. */
export interface TraceBuffer {
  readonly sab: SharedArrayBuffer;
  readonly frameFields: number;
  readonly gcEntries: number;
}

export class SendTrace {
  readonly #file: string;
  readonly #sab = new SharedArrayBuffer((1 + TRACE_FRAMES * FRAME_FIELDS + TRACE_GC * 2) * 8);
  readonly #mainGc: SenderTrace['mainGc'] = [];
  readonly #gcObserver: PerformanceObserver;
  readonly #loopDelay: IntervalHistogram;

  /** A trace into `file` (default: AVSOCK_SEND_TRACE), or undefined when none was asked for. */
  static open(file = process.env.AVSOCK_SEND_TRACE): SendTrace | undefined {
    return file ? new SendTrace(file) : undefined;
  }

  private constructor(file: string) {
    this.#file = file;
    this.#gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (this.#mainGc.length < TRACE_GC)
          this.#mainGc.push({ startMs: e.startTime, durationMs: e.duration, kind: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0 });
      }
    });
    this.#gcObserver.observe({ entryTypes: ['gc'] });
    this.#loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.#loopDelay.enable();
  }

  get buffer(): TraceBuffer {
    return { sab: this.#sab, frameFields: FRAME_FIELDS, gcEntries: TRACE_GC };
  }

  /** What the trace holds so far. */
  read(): SenderTrace {
    const t = new Float64Array(this.#sab);
    const n = t[0]!;
    const frames: SenderTrace['frames'] = [];
    for (let i = 0; i < n; i++) {
      const a = 1 + i * FRAME_FIELDS;
      frames.push({
        deadlineMs: t[a]!,
        wokeMs: t[a + 1]!,
        sendStartMs: t[a + 2]!,
        sendEndMs: t[a + 3]!,
        publishedMs: t[a + 4]!,
        ptsUs: t[a + 5]!,
        datagrams: t[a + 6]!,
        dropped: t[a + 7] === 1,
      });
    }
    const workerGc: SenderTrace['workerGc'] = [];
    for (let i = 0; i < TRACE_GC; i++) {
      const a = 1 + TRACE_FRAMES * FRAME_FIELDS + i * 2;
      if (t[a] === 0 && t[a + 1] === 0) break;
      workerGc.push({ startMs: t[a]!, durationMs: t[a + 1]! });
    }
    const h = this.#loopDelay;
    // The histogram holds whole timer intervals (resolution + delay): the delay is the excess.
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS);
    return {
      frames,
      workerGc,
      mainGc: this.#mainGc,
      mainLoopDelay: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) },
      timeOrigin: performance.timeOrigin,
    };
  }

  /** Stops sampling and writes the file; a write error goes to `debug`, never stops the server. */
  finish(debug?: (line: string) => void): void {
    this.#gcObserver.disconnect();
    this.#loopDelay.disable();
    try {
      writeFileSync(this.#file, JSON.stringify(this.read()));
    } catch (error) {
      debug?.(`send trace: ${(error as Error).message}`);
    }
  }
}
