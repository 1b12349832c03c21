/**
 * The receiver's figures, fed by the client as events happen (pure: times are passed in).
 *
 * - fps: displayed frames per second, mean over the run after its first second (start-up excluded).
 * - jitterMs: RFC 3550 §6.4.1 interarrival jitter. framed: transit = arrival − pts of each complete
 *   frame. tutorial (no timestamps): each frame's nominal send time is the previous one's plus the
 *   mean arrival interval so far, so D is the deviation of each arrival interval from the nominal one.
 * - framesLost: framed — frame ids never completed (gaps, and frames missing a fragment);
 *   tutorial — unknown (null): its datagrams carry no sequence number.
 * - avOffsetMs: picture pts − audio clock at the moment each frame is shown (framed); null in tutorial.
 */
import * as v from 'valibot';
import { jsonNumber, type Schema } from '../json.ts';
import { wireFor, type Wire, type WireName } from '../wire/index.ts';
import { FpsMeter, InterarrivalJitter, Summary } from '../timing/stats.ts';

export interface ClientStatsJson {
  readonly wire: WireName;
  /** Mean displayed fps after the first second of pictures. */
  readonly fps: number;
  /**
   * Complete frames per second between the first and the last one's arrival: the sender's pace as
   * this client received it, before the display drops frames that come too late to show.
   */
  readonly arrivalFps: number | null;
  /** The file's frame rate from the handshake (framed); tutorial: estimated from arrivals. */
  readonly sourceFps: number | null;
  readonly sourceFpsEstimated: boolean;
  readonly framesReceived: number;
  readonly framesShown: number;
  readonly framesLost: number | null;
  /** framed: the id of the first and of the highest frame received (ids count up by one per frame); tutorial: null. */
  readonly firstFrameId: number | null;
  readonly lastFrameId: number | null;
  readonly framesLate: number;
  /** Incomplete frames (a fragment lost) plus undecodable datagrams. */
  readonly framesDropped: number;
  readonly jitterMs: number;
  readonly avOffsetMs: { readonly mean: number | null; readonly maxAbs: number | null };
  readonly audioSeconds: number;
  readonly bytesReceived: number;
  readonly durationS: number;
  readonly datagramsReceived: number;
  readonly datagramsLost: number | null;
  readonly garbage: number;
  /** Datagrams from any address other than the server's, dropped unread (a flood, spoofed fragments). */
  readonly foreignDatagrams: number;
  readonly audioSink: string | null;
  readonly endReason: string | null;
}

/** The part of the stats file another program may rely on (the grader reads a submission's, which may be older or changed). */
export type ClientStatsFile = Pick<ClientStatsJson, 'fps' | 'framesReceived' | 'audioSeconds'> &
  Partial<Pick<ClientStatsJson, 'framesLost' | 'framesLate' | 'jitterMs' | 'avOffsetMs'>>;

export const ClientStatsFileSchema: Schema<ClientStatsFile> = v.object({
  // A figure with nothing to measure (no frame shown) was NaN, which JSON writes as null.
  fps: jsonNumber,
  framesReceived: v.number(),
  audioSeconds: jsonNumber,
  framesLost: v.optional(v.nullable(v.number())),
  framesLate: v.optional(v.number()),
  jitterMs: v.optional(jsonNumber),
  avOffsetMs: v.optional(v.object({ mean: v.nullable(v.number()), maxAbs: v.nullable(v.number()) })),
});

export class ClientStats {
  readonly #wire: Wire;
  readonly #startMs: number;
  readonly #jitter = new InterarrivalJitter();
  readonly #liveFps = new FpsMeter(1000);
  readonly #avOffset = new Summary();
  #sourceFps: number | undefined;
  #framesReceived = 0;
  #framesShown = 0;
  #shownAfterFirstSecond = 0;
  #firstShownMs: number | undefined;
  #firstCountedMs: number | undefined;
  #lastShownMs: number | undefined;
  #firstArrivalMs: number | undefined;
  #lastArrivalMs: number | undefined;
  #nominalPtsUs = 0;
  #firstFrameId: number | undefined;
  #highestFrameId = 0;
  #bytes = 0;
  #datagrams = 0;
  #bitrateWindow: Array<{ atMs: number; bytes: number }> = [];
  garbage = 0;
  foreignDatagrams = 0;
  framesDropped = 0;
  framesLate = 0;
  datagramsLost: number | null = null;
  audioSeconds = 0;
  audioSink: string | null = null;
  endReason: string | null = null;
  #lastAvOffsetMs: number | undefined;

  constructor(wire: WireName, startMs: number) {
    this.#wire = wireFor(wire);
    this.#startMs = startMs;
  }

  setSourceFps(fps: number): void {
    this.#sourceFps = fps;
  }

  onBytes(n: number, nowMs: number): void {
    this.#bytes += n;
    this.#bitrateWindow.push({ atMs: nowMs, bytes: n });
    while (this.#bitrateWindow.length > 0 && this.#bitrateWindow[0]!.atMs < nowMs - 1000) this.#bitrateWindow.shift();
  }

  onDatagram(n: number, nowMs: number): void {
    this.#datagrams += 1;
    this.onBytes(n, nowMs);
  }

  /** A complete frame arrived. framed: with its pts and id; tutorial: neither. */
  onFrameReceived(arrivalMs: number, frame?: { ptsUs: number; frameId: number }): void {
    this.#framesReceived += 1;
    if (frame) {
      this.#jitter.observe(arrivalMs, frame.ptsUs);
      // Frame ids are u32 and count up by one per frame; distance from the first, modulo 2^32.
      if (this.#firstFrameId === undefined) this.#firstFrameId = frame.frameId;
      const rel = (frame.frameId - this.#firstFrameId) >>> 0;
      if (rel < 0x80000000 && rel > this.#highestFrameId) this.#highestFrameId = rel;
    } else {
      const i = this.#framesReceived - 1;
      if (i === 1) {
        this.#nominalPtsUs = (arrivalMs - this.#firstArrivalMs!) * 1000; // D = 0: no interval known yet
      } else if (i >= 2) {
        const meanIntervalMs = (this.#lastArrivalMs! - this.#firstArrivalMs!) / (i - 1);
        this.#nominalPtsUs += meanIntervalMs * 1000;
      }
      this.#jitter.observe(arrivalMs, this.#nominalPtsUs);
    }
    if (this.#firstArrivalMs === undefined) this.#firstArrivalMs = arrivalMs;
    this.#lastArrivalMs = arrivalMs;
  }

  /** A frame was put on screen; `avOffsetMs` = its pts − the audio clock (framed, when sound plays). */
  onFrameShown(nowMs: number, avOffsetMs?: number): void {
    this.#framesShown += 1;
    this.#liveFps.tick(nowMs);
    this.#firstShownMs ??= nowMs;
    if (nowMs - this.#firstShownMs >= 1000) {
      this.#firstCountedMs ??= nowMs;
      this.#shownAfterFirstSecond += 1;
      this.#lastShownMs = nowMs;
    }
    if (avOffsetMs !== undefined) {
      this.#avOffset.add(avOffsetMs);
      this.#lastAvOffsetMs = avOffsetMs;
    }
  }

  get framesReceived(): number {
    return this.#framesReceived;
  }

  liveFps(nowMs: number): number {
    return this.#liveFps.fps(nowMs);
  }

  /** kbit/s over the last second. */
  bitrateKbps(nowMs: number): number {
    const bytes = this.#bitrateWindow.filter((s) => s.atMs >= nowMs - 1000).reduce((a, s) => a + s.bytes, 0);
    return (bytes * 8) / 1000;
  }

  get lastAvOffsetMs(): number | undefined {
    return this.#lastAvOffsetMs;
  }

  get jitterMs(): number {
    return this.#jitter.jitterMs;
  }

  framesLost(): number | null {
    if (!this.#wire.numbersFrames) return null; // nothing to count gaps in
    if (this.#firstFrameId === undefined) return 0;
    return Math.max(0, this.#highestFrameId + 1 - this.#framesReceived);
  }

  meanFps(): number {
    if (this.#firstCountedMs === undefined || this.#lastShownMs === undefined || this.#shownAfterFirstSecond < 2) return 0;
    const span = this.#lastShownMs - this.#firstCountedMs;
    return span > 0 ? ((this.#shownAfterFirstSecond - 1) * 1000) / span : 0;
  }

  sourceFps(): number | null {
    return this.#sourceFps ?? this.arrivalFps();
  }

  arrivalFps(): number | null {
    if (this.#firstArrivalMs === undefined || this.#lastArrivalMs === undefined || this.#framesReceived < 2) return null;
    const span = this.#lastArrivalMs - this.#firstArrivalMs;
    return span > 0 ? ((this.#framesReceived - 1) * 1000) / span : null;
  }

  toJSON(nowMs: number): ClientStatsJson {
    const hasOffsets = this.#avOffset.count > 0;
    return {
      wire: this.#wire.name,
      fps: round(this.meanFps(), 4),
      arrivalFps: nullableRound(this.arrivalFps(), 4),
      sourceFps: nullableRound(this.sourceFps(), 4),
      sourceFpsEstimated: this.#sourceFps === undefined,
      framesReceived: this.#framesReceived,
      framesShown: this.#framesShown,
      framesLost: this.framesLost(),
      firstFrameId: this.#firstFrameId ?? null,
      lastFrameId: this.#firstFrameId === undefined ? null : (this.#firstFrameId + this.#highestFrameId) >>> 0,
      framesLate: this.framesLate,
      framesDropped: this.framesDropped,
      jitterMs: round(this.#jitter.jitterMs, 3),
      avOffsetMs: {
        mean: hasOffsets ? round(this.#avOffset.mean, 2) : null,
        maxAbs: hasOffsets ? round(this.#avOffset.maxAbs, 2) : null,
      },
      audioSeconds: round(this.audioSeconds, 3),
      bytesReceived: this.#bytes,
      durationS: round((nowMs - this.#startMs) / 1000, 3),
      datagramsReceived: this.#datagrams,
      datagramsLost: this.datagramsLost,
      garbage: this.garbage,
      foreignDatagrams: this.foreignDatagrams,
      audioSink: this.audioSink,
      endReason: this.endReason,
    };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Number.isFinite(x) ? Math.round(x * f) / f : 0;
}

function nullableRound(x: number | null, digits: number): number | null {
  return x === null ? null : round(x, digits);
}
