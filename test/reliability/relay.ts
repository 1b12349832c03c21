/**
 * A lossy UDP relay for tests: the client talks to the relay's port, the relay talks to the server
 * from the same socket, so the server sees the relay as its client. Server → client datagrams go
 * through the faults (seeded RNG): drop, duplicate, swap with the next one (reorder), delay.
 * Client → server datagrams (hellos) pass untouched.
 *
 * Bookkeeping for exact loss checks: every framed fragment's seq and frameId is read, and each
 * drop is recorded; `expectedLoss()` turns that into the figures the client must report.
 */
import dgram from 'node:dgram';
import { decodeDatagram } from '../../src/protocol/framed/index.ts';
import { rng } from './helpers.ts';

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

export class LossyRelay {
  readonly #socket = dgram.createSocket('udp4');
  readonly #serverPort: number;
  readonly #rand: () => number;
  #faults: Faults = { loss: 0 };
  #client: dgram.RemoteInfo | undefined;
  #held: Buffer | undefined;
  #forwarding = true;
  #cutRequested = false;
  #lastFrameId = -1;
  readonly log: Sent[] = [];
  dropped = 0;
  forwarded = 0;
  duplicated = 0;
  reordered = 0;

  private constructor(serverPort: number, seed: number) {
    this.#serverPort = serverPort;
    this.#rand = rng(seed);
  }

  static async start(serverPort: number, seed: number): Promise<LossyRelay> {
    const relay = new LossyRelay(serverPort, seed);
    relay.#socket.on('error', () => {});
    await new Promise<void>((r) => relay.#socket.bind(0, '127.0.0.1', () => r()));
    relay.#socket.on('message', (msg, rinfo) => relay.#onMessage(msg, rinfo));
    return relay;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /**
   * When the first frame wholly sent after the loss was set to 0 began to pass (performance.now()
   * ms): the moment the impairment was really gone for the client, since a frame already
   * half-dropped before cannot be repaired. undefined until then.
   */
  firstCleanFrameAt: number | undefined;
  #awaitingCleanFrame = false;

  setFaults(f: Faults): void {
    if (f.loss === 0 && this.#faults.loss > 0) {
      this.#awaitingCleanFrame = true;
      this.firstCleanFrameAt = undefined;
    }
    this.#faults = f;
  }

  /** Stops forwarding video at the next frame boundary (so no frame is cut in half); hellos still pass. */
  cut(): void {
    this.#cutRequested = true;
  }

  close(): void {
    try {
      this.#socket.close();
    } catch {
      // closed
    }
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.port !== this.#serverPort) {
      this.#client = rinfo;
      this.#socket.send(msg, this.#serverPort, '127.0.0.1');
      return;
    }
    if (!this.#client || !this.#forwarding) return;
    let seq = -1;
    let frameId = -1;
    try {
      const d = decodeDatagram(msg);
      if (d.type === 'fragment') ({ seq, frameId } = d);
    } catch {
      // tutorial datagram: no seq
    }
    if (this.#cutRequested && frameId !== this.#lastFrameId) {
      this.#forwarding = false;
      this.#flushHeld();
      return;
    }
    if (this.#awaitingCleanFrame && frameId !== this.#lastFrameId) {
      this.#awaitingCleanFrame = false;
      this.firstCleanFrameAt = performance.now();
    }
    this.#lastFrameId = frameId;
    const f = this.#faults;
    const dropped = this.#rand() < f.loss;
    this.log.push({ seq, frameId, dropped });
    if (dropped) {
      this.dropped += 1;
      return;
    }
    if (f.reorder && !this.#held && this.#rand() < f.reorder) {
      this.#held = msg;
      this.reordered += 1;
      return;
    }
    this.#send(msg);
    if (f.duplicate && this.#rand() < f.duplicate) {
      this.duplicated += 1;
      this.#send(msg);
    }
    this.#flushHeld();
  }

  #flushHeld(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) this.#send(held);
  }

  #send(msg: Buffer): void {
    const to = this.#client!;
    this.forwarded += 1;
    const go = (): void => this.#socket.send(msg, to.port, to.address, () => {});
    if (this.#faults.delayMs) setTimeout(go, this.#faults.delayMs);
    else go();
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
