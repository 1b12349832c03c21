/**
 * The network-faults test's relay: the product's impairment relay (src/net) on the video port only
 * (the client's TCP goes straight to the server), with faults that can change mid-run. Server →
 * client datagrams go through the faults (seeded): drop, duplicate, hold back one and send it after
 * the next (reorder), delay. Client → server datagrams (hellos) pass untouched.
 *
 * Bookkeeping for exact loss checks: every framed fragment's seq and frameId is read, and each
 * drop is recorded; `expectedLoss()` turns that into the figures the client must report.
 */
import { decodeDatagram } from '../../src/protocol/framed/index.ts';
import { ImpairmentRelay } from '../../src/net/impairment-relay.ts';
import { NO_IMPAIRMENT, type NetSpec } from '../../src/net/spec.ts';
import { wireFor } from '../../src/wire/index.ts';

export interface Faults {
  /** Probability a datagram is dropped. */
  loss: number;
  /** Probability a forwarded datagram is also sent a second time. */
  duplicate?: number;
  /** Probability a datagram is held and sent after the next one (adjacent swap). */
  reorder?: number;
  /** Extra delay for every datagram (ms), 0 = none. */
  delayMs?: number;
}

interface Sent {
  seq: number;
  frameId: number;
  dropped: boolean;
}

function specOf(f: Faults, seed: number): NetSpec {
  return Object.freeze({
    ...NO_IMPAIRMENT,
    lossPct: f.loss * 100,
    duplicatePct: (f.duplicate ?? 0) * 100,
    reorderPct: (f.reorder ?? 0) * 100,
    delayMs: f.delayMs ?? 0,
    seed,
  });
}

export class LossyRelay {
  readonly #relay: ImpairmentRelay;
  readonly #seed: number;
  #faults: Faults = { loss: 0 };
  #lastFrameId = -1;
  #awaitingCleanFrame = false;
  readonly log: Sent[] = [];

  private constructor(relay: ImpairmentRelay, seed: number) {
    this.#relay = relay;
    this.#seed = seed;
  }

  static async start(serverPort: number, seed: number): Promise<LossyRelay> {
    const verdicts: { record?: (msg: Buffer, dropped: boolean) => void } = {};
    const relay = await ImpairmentRelay.start({
      videoPort: 0,
      serverHost: '127.0.0.1',
      serverVideoPort: serverPort,
      net: { label: 'test', down: specOf({ loss: 0 }, seed), up: NO_IMPAIRMENT },
      newFrameTagger: () => wireFor('framed').newFrameTagger(),
      onVideoVerdict: (msg, verdict) => verdicts.record?.(msg, verdict.dropped !== undefined),
    });
    const self = new LossyRelay(relay, seed);
    verdicts.record = (msg, dropped) => self.#record(msg, dropped);
    return self;
  }

  get port(): number {
    return this.#relay.videoPort;
  }

  get dropped(): number {
    const d = this.#relay.report().video.down.dropped;
    return d.loss + d.fragment + d.queue;
  }

  get forwarded(): number {
    return this.#relay.report().video.down.forwarded;
  }

  get duplicated(): number {
    return this.#relay.report().video.down.duplicated;
  }

  get reordered(): number {
    return this.#relay.report().video.down.reordered;
  }

  /**
   * When the first frame wholly sent after the loss was set to 0 began to pass (performance.now()
   * ms): the moment the impairment was really gone for the client, since a frame already
   * half-dropped before cannot be repaired. undefined until then.
   */
  firstCleanFrameAt: number | undefined;

  setFaults(f: Faults): void {
    if (f.loss === 0 && this.#faults.loss > 0) {
      this.#awaitingCleanFrame = true;
      this.firstCleanFrameAt = undefined;
    }
    this.#faults = f;
    this.#relay.setNet({ label: 'test', down: specOf(f, this.#seed), up: NO_IMPAIRMENT });
  }

  /** Stops forwarding video at the next frame boundary (so no frame is cut in half); hellos still pass. */
  cut(): void {
    void this.#relay.stopVideo();
  }

  close(): void {
    void this.#relay.close();
  }

  #record(msg: Buffer, dropped: boolean): void {
    let seq = -1;
    let frameId = -1;
    try {
      const d = decodeDatagram(msg);
      if (d.type === 'fragment') ({ seq, frameId } = d);
    } catch {
      // tutorial datagram: no seq
    }
    if (this.#awaitingCleanFrame && frameId !== this.#lastFrameId) {
      this.#awaitingCleanFrame = false;
      this.firstCleanFrameAt = performance.now();
    }
    this.#lastFrameId = frameId;
    this.log.push({ seq, frameId, dropped });
  }

  /**
   * What an exact receiver must report, given every datagram up to the last one delivered:
   * datagramsLost = dropped datagrams after the first delivered one and before the last delivered
   * one (RFC 3550 A.3: expected − received over the span of sequence numbers seen; drops outside
   * the span cannot be seen); framesLost = frames with a dropped fragment after the first complete
   * frame and before the last complete one (the client counts ids never completed in that span).
   */
  expectedLoss(): { datagramsLost: number; framesLost: number } {
    const delivered = this.log.map((s, i) => (s.dropped ? -1 : i)).filter((i) => i >= 0);
    const first = delivered[0] ?? 0;
    const last = delivered[delivered.length - 1] ?? -1;
    let datagramsLost = 0;
    for (let i = first; i <= last; i++) if (this.log[i]!.dropped) datagramsLost += 1;
    const frames = new Map<number, boolean>(); // frameId → complete (in order of first fragment)
    for (const s of this.log) frames.set(s.frameId, (frames.get(s.frameId) ?? true) && !s.dropped);
    const order = [...frames.entries()];
    const firstComplete = order.findIndex(([, ok]) => ok);
    let lastComplete = -1;
    order.forEach(([, ok], i) => {
      if (ok) lastComplete = i;
    });
    let framesLost = 0;
    for (let i = firstComplete; i >= 0 && i <= lastComplete; i++) if (!order[i]![1]) framesLost += 1;
    return { datagramsLost, framesLost };
  }
}
