/**
 * Audio playback paced by our own monotonic clock, not by the device.
 *
 * A null sink or ALSA's file plugin accepts data as fast as it comes (writes return at once), so a
 * player that waited for the device's backpressure would race ahead there. Instead every sample has
 * a due time on the injected Clock: the first chunk is heard at (first enqueue + leadMs), each later
 * sample at that anchor + its PTS offset, and a chunk is handed to the sink `writeAheadMs` before
 * it is due so a real card never starves. currentPtsUs() — the audio master clock the video is
 * shown against, as in ffplay/VLC — is therefore the same on a real card, a browser or nothing.
 *
 * Timeline rules:
 * - Underrun (nothing to play when due): the audio clock stops at the last sample written and, when
 *   data comes back, resumes from there `writeAheadMs` later (the stall shifts the timeline).
 * - A PTS jump forward (lost chunks upstream, a live join): scheduled by PTS; the hole is written as
 *   silence up to `maxGapFillMs` so the device stream stays continuous, beyond that left empty.
 * - A chunk wholly before what was already written is dropped (`lateChunks`); an overlap is trimmed.
 * - The queue is bounded (`maxQueueMs`): when the player is that far behind, the oldest chunks are
 *   dropped (`droppedChunks`) and the timeline skips over them instead of playing silence for them.
 */
import type { Clock } from '../timing/clock.ts';
import type { AudioSink } from './sinks.ts';

export interface AudioPlayerOptions {
  clock: Clock;
  sink: AudioSink;
  sampleRate: number;
  channels: number;
  /** Delay from the first enqueue to the first sample heard (ms). Absorbs network jitter. Default 50. */
  leadMs?: number;
  /** How long before its due time a chunk is written to the sink (ms). Default: the sink's preference, else 30. */
  writeAheadMs?: number;
  /** A chunk due more than this long ago counts as an underrun and re-anchors the timeline (ms). Default 20. */
  lateToleranceMs?: number;
  /** Queue bound (ms of sound); beyond it the oldest chunks are dropped. Default 3000. */
  maxQueueMs?: number;
  /** PTS holes up to this long are filled with silence (ms). Default 1000. */
  maxGapFillMs?: number;
  /** close() also closes the sink (default true). */
  closeSink?: boolean;
}

interface Queued {
  ptsUs: number;
  pcm: Buffer;
  durUs: number;
}

/** Holes and overlaps smaller than this are rounding, not gaps (µs). */
const CONTIGUOUS_US = 2000;

export class AudioPlayer {
  private readonly clock: Clock;
  private readonly sink: AudioSink;
  readonly sampleRate: number;
  readonly channels: number;
  private readonly bytesPerFrame: number;
  private readonly leadMs: number;
  private readonly writeAheadMs: number;
  private readonly lateToleranceMs: number;
  private readonly maxQueueUs: number;
  private readonly maxGapFillUs: number;
  private readonly closeSink: boolean;

  private readonly queue: Queued[] = [];
  private queuedUs = 0;
  private started = false;
  private closed = false;
  /** Timeline: the sample with PTS anchorPtsUs is heard at clock time anchorClockMs. */
  private anchorClockMs = 0;
  private anchorPtsUs = 0;
  /** The previous timeline, still valid until anchorClockMs (after an underrun or a skip). */
  private hold: { clockMs: number; ptsUs: number; endPtsUs: number } | undefined;
  private writtenEndUs: number | undefined;
  private writtenDataUs = 0;
  private skipNextGap = false;
  private lastReportedUs: number | undefined;
  private wake: (() => void) | undefined;
  private sleepAbort: AbortController | undefined;
  private readonly pumpDone: Promise<void>;
  private drainWaiters: Array<() => void> = [];
  private sinkErrorReported = false;

  /** Chunks dropped because the queue was over maxQueueMs. */
  droppedChunks = 0;
  /** Chunks that arrived after their whole span had been played. */
  lateChunks = 0;
  /** Times the sound ran dry and the audio clock stalled. */
  underruns = 0;
  /** Silence written to fill PTS holes (µs). */
  silenceUs = 0;

  constructor(opts: AudioPlayerOptions) {
    if (!(opts.sampleRate > 0) || !(opts.channels > 0)) {
      throw new RangeError(`AudioPlayer needs sampleRate > 0 and channels > 0 (got ${opts.sampleRate}, ${opts.channels})`);
    }
    this.clock = opts.clock;
    this.sink = opts.sink;
    this.sampleRate = opts.sampleRate;
    this.channels = opts.channels;
    this.bytesPerFrame = 2 * opts.channels;
    this.leadMs = opts.leadMs ?? 50;
    this.writeAheadMs = opts.writeAheadMs ?? opts.sink.preferredWriteAheadMs ?? 30;
    this.lateToleranceMs = opts.lateToleranceMs ?? 20;
    this.maxQueueUs = (opts.maxQueueMs ?? 3000) * 1000;
    this.maxGapFillUs = (opts.maxGapFillMs ?? 1000) * 1000;
    this.closeSink = opts.closeSink ?? true;
    this.pumpDone = this.pump();
  }

  get sinkKind(): AudioSink['kind'] {
    return this.sink.kind;
  }

  /** Sound waiting to be written (ms). The tutorial wire sends audio unpaced: pause the socket above ~1 s. */
  get queuedMs(): number {
    return this.queuedUs / 1000;
  }

  /** Seconds of real sound (not filler silence) written to the sink and due by now. */
  get playedSeconds(): number {
    const cur = this.currentPtsUs();
    if (cur === undefined || this.writtenEndUs === undefined) return 0;
    const unheard = Math.max(0, this.writtenEndUs - cur);
    return Math.max(0, this.writtenDataUs - unheard) / 1e6;
  }

  /** Adds s16le interleaved PCM with its PTS. Ignored after close() (a chunk racing shutdown). */
  enqueue(chunk: { ptsUs: number; pcm: Buffer }): void {
    if (this.closed) return;
    const frames = Math.floor(chunk.pcm.length / this.bytesPerFrame);
    if (frames === 0) return;
    const pcm = chunk.pcm.length === frames * this.bytesPerFrame ? chunk.pcm : chunk.pcm.subarray(0, frames * this.bytesPerFrame);
    const durUs = (frames * 1e6) / this.sampleRate;
    if (!this.started) {
      this.started = true;
      this.anchorClockMs = this.clock.now() + this.leadMs;
      this.anchorPtsUs = chunk.ptsUs;
    }
    this.queue.push({ ptsUs: chunk.ptsUs, pcm, durUs });
    this.queuedUs += durUs;
    while (this.queuedUs > this.maxQueueUs && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queuedUs -= old.durUs;
      this.droppedChunks++;
      this.skipNextGap = true;
    }
    this.wake?.();
  }

  /** PTS of the sample being heard now (the audio master clock); undefined before the first one plays. */
  currentPtsUs(): number | undefined {
    if (!this.started) return undefined;
    const now = this.clock.now();
    let v: number | undefined;
    if (now < this.anchorClockMs) {
      const h = this.hold;
      if (h) v = now < h.clockMs ? this.lastReportedUs : Math.min(h.ptsUs + (now - h.clockMs) * 1000, h.endPtsUs);
    } else {
      v = this.anchorPtsUs + (now - this.anchorClockMs) * 1000;
      // The clock runs through written sound and through a hole before queued sound, never beyond.
      const head = this.queue[0];
      let limit = this.writtenEndUs ?? head?.ptsUs ?? v;
      if (head && head.ptsUs > limit + CONTIGUOUS_US) limit = head.ptsUs;
      v = Math.min(v, limit);
    }
    if (v === undefined) return undefined;
    if (this.lastReportedUs !== undefined && v < this.lastReportedUs) v = this.lastReportedUs;
    this.lastReportedUs = v;
    return Math.round(v);
  }

  /** Resolves once everything queued has been written and heard (or on close()). */
  async drain(): Promise<void> {
    if (this.queue.length > 0 && !this.closed) {
      await new Promise<void>((r) => this.drainWaiters.push(r));
    }
    if (this.closed || this.writtenEndUs === undefined) return;
    await this.sleep(this.dueMs(this.writtenEndUs));
  }

  /** Stops at once (queued sound is discarded) and, by default, closes the sink. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.pumpDone;
    this.closed = true;
    this.queue.length = 0;
    this.queuedUs = 0;
    this.sleepAbort?.abort();
    this.wake?.();
    for (const r of this.drainWaiters.splice(0)) r();
    await this.pumpDone;
    if (this.closeSink) await this.sink.close();
  }

  private dueMs(ptsUs: number): number {
    return this.anchorClockMs + (ptsUs - this.anchorPtsUs) / 1000;
  }

  private async sleep(untilMs: number): Promise<void> {
    const ac = new AbortController();
    this.sleepAbort = ac;
    try {
      await this.clock.sleepUntil(untilMs, ac.signal);
    } catch {
      // aborted by close()
    } finally {
      if (this.sleepAbort === ac) this.sleepAbort = undefined;
    }
  }

  /** From now on the sample `ptsUs` is heard at `atMs`; until then the old timeline runs up to what was written. */
  private reanchor(ptsUs: number, atMs: number): void {
    this.hold = { clockMs: this.anchorClockMs, ptsUs: this.anchorPtsUs, endPtsUs: this.writtenEndUs ?? ptsUs };
    this.anchorClockMs = atMs;
    this.anchorPtsUs = ptsUs;
  }

  private write(pcm: Buffer): void {
    try {
      this.sink.write(pcm);
    } catch (err) {
      if (!this.sinkErrorReported) {
        this.sinkErrorReported = true;
        console.error(`audio: ${this.sink.kind} sink write failed: ${(err as Error).message}`);
      }
    }
  }

  private async pump(): Promise<void> {
    while (!this.closed) {
      const head = this.queue[0];
      if (!head) {
        for (const r of this.drainWaiters.splice(0)) r();
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      const now = this.clock.now();
      const end = this.writtenEndUs;
      // Already played past this chunk, or overlapping what was written: drop / trim.
      if (end !== undefined && head.ptsUs + head.durUs <= end + CONTIGUOUS_US) {
        this.queue.shift();
        this.queuedUs -= head.durUs;
        this.lateChunks++;
        continue;
      }
      if (end !== undefined && head.ptsUs < end - CONTIGUOUS_US) {
        const frames = Math.round(((end - head.ptsUs) * this.sampleRate) / 1e6);
        const cutUs = (frames * 1e6) / this.sampleRate;
        head.pcm = head.pcm.subarray(frames * this.bytesPerFrame);
        head.ptsUs += cutUs;
        head.durUs -= cutUs;
        this.queuedUs -= cutUs;
      }
      let nextPts = head.ptsUs;
      let filler: Buffer | undefined;
      if (end !== undefined && head.ptsUs > end + CONTIGUOUS_US) {
        const gapUs = head.ptsUs - end;
        if (this.skipNextGap) {
          // We dropped these chunks ourselves to catch up: skip their time instead of playing silence.
          this.reanchor(head.ptsUs, this.dueMs(end));
        } else if (gapUs <= this.maxGapFillUs) {
          const fillUs = Math.min(gapUs, 1024e6 / this.sampleRate); // chunk-sized pieces of silence
          const frames = Math.max(1, Math.round((fillUs * this.sampleRate) / 1e6));
          filler = Buffer.alloc(frames * this.bytesPerFrame);
          nextPts = end;
        }
        // else: a long hole, scheduled by PTS and left empty.
      }
      this.skipNextGap = false;
      let due = this.dueMs(nextPts);
      if (due < now - this.lateToleranceMs) {
        // Ran dry: the sound (and so the audio clock) stalled; resume from here.
        if (this.writtenEndUs !== undefined) this.underruns++;
        this.reanchor(head.ptsUs, now + this.writeAheadMs);
        due = this.anchorClockMs;
        filler = undefined; // nothing to fill any more: the timeline restarts at this chunk
        nextPts = head.ptsUs;
      }
      if (now < due - this.writeAheadMs) {
        await this.sleep(due - this.writeAheadMs);
        continue; // re-check: the queue may have changed while sleeping
      }
      if (filler) {
        this.write(filler);
        const fillUs = ((filler.length / this.bytesPerFrame) * 1e6) / this.sampleRate;
        this.silenceUs += fillUs;
        this.writtenEndUs = nextPts + fillUs;
        continue;
      }
      this.queue.shift();
      this.queuedUs -= head.durUs;
      this.write(head.pcm);
      this.writtenEndUs = head.ptsUs + head.durUs;
      this.writtenDataUs += head.durUs;
    }
  }
}
