/**
 * What one direction of an impaired path does to each packet, decided without sockets or timers:
 * a datagram (or a TCP chunk) and the time it arrived in, a verdict out — dropped and why, or when
 * each copy leaves and how long it is. All chance comes from one injected Random, drawn in a fixed
 * order and only for the effects the spec turns on, so a seed replays a run exactly and a test can
 * count the draws.
 *
 * A datagram meets, in order: the MTU (split into IP fragments: RFC 791 §3.2, each carrying
 * ⌊(MTU − 20)/8⌋·8 bytes of the UDP datagram), the bottleneck queue (tail drop when full, then
 * serialised at the rate), the lossy link (each fragment stepped through the loss chain: one lost
 * fragment loses the datagram, as IP reassembly does, RFC 815), a hold-back (reorder), the delay
 * with its jitter, duplication and truncation.
 */
import type { Random } from './random.ts';
import { gilbertEnterProbability, type NetSpec } from './spec.ts';

/** IPv4 header without options (RFC 791) and UDP header (RFC 768), bytes. */
export const IP_HEADER_BYTES = 20;
export const UDP_HEADER_BYTES = 8;
/** A TCP segment's payload on a 1500-byte path with timestamps (1500 − 20 − 20 − 12): for counting segments a loss could hit. */
export const TCP_SEGMENT_BYTES = 1448;
/**
 * A lost TCP segment is resent after the retransmission timeout: Linux's floor TCP_RTO_MIN = 200 ms
 * (RFC 6298 §2.4 allows 1 s; Linux is what students run) plus one round trip.
 */
export const TCP_RTO_MIN_MS = 200;
/** Default bottleneck queue: this much time at the rate … */
export const DEFAULT_QUEUE_MS = 100;
/** … but never less than two maximum-size UDP datagrams' worth, so a 64 KiB tutorial frame can enter an empty queue. */
export const MIN_DEFAULT_QUEUE_BYTES = 128 * 1024;

export type DropCause = 'loss' | 'fragment' | 'queue';

/** One copy of a datagram leaving the path. */
export interface Departure {
  /** The caller's id of the datagram (a held-back one leaves with a later datagram's verdict). */
  readonly id: number;
  readonly atMs: number;
  /** Bytes to send: the datagram's length, or less when truncated. */
  readonly length: number;
}

export interface Verdict {
  /** Set when the datagram is lost; it then has no departure of its own. */
  readonly dropped?: DropCause;
  /** Copies leaving, in the order to send them (may include a datagram held back earlier). */
  readonly departures: readonly Departure[];
}

/** What a direction did, for the windows, the logs and exact checks. */
export interface PathCounters {
  /** Datagrams offered to the path. */
  datagrams: number;
  /** Datagrams sent on (each once; duplicates not counted). */
  forwarded: number;
  dropped: Record<DropCause, number>;
  /** Datagrams that travelled as more than one IP fragment. */
  fragmented: number;
  duplicated: number;
  truncated: number;
  /** Held back and sent after the next one. */
  reordered: number;
  /** Overtaken by a later datagram because of jitter. */
  overtaken: number;
  /** Sum of the delays added (ms), for the mean. */
  delaySumMs: number;
  /** Deepest the bottleneck queue has been, bytes. */
  queuePeakBytes: number;
}

/** The narrowest link of a direction, shared by its datagrams and its TCP stream: one rate, one queue. */
export class Bottleneck {
  readonly rateBps: number;
  readonly queueBytes: number;
  #freeAtMs = 0;

  constructor(spec: Pick<NetSpec, 'rateBps' | 'queueBytes'>) {
    this.rateBps = spec.rateBps;
    this.queueBytes = spec.queueBytes > 0 ? spec.queueBytes : Math.max(MIN_DEFAULT_QUEUE_BYTES, Math.round((spec.rateBps * DEFAULT_QUEUE_MS) / 8000));
  }

  /** Bytes waiting to be serialised at `nowMs` (0 without a rate). */
  backlogBytes(nowMs: number): number {
    if (this.rateBps === 0) return 0;
    return (Math.max(0, this.#freeAtMs - nowMs) * this.rateBps) / 8000;
  }

  /** Queues `bytes` behind what is there; returns when their last bit has left (nowMs without a rate). */
  transmit(bytes: number, nowMs: number): number {
    if (this.rateBps === 0) return nowMs;
    this.#freeAtMs = Math.max(this.#freeAtMs, nowMs) + (bytes * 8000) / this.rateBps;
    return this.#freeAtMs;
  }
}

/**
 * Packet loss: independent (burst 1), or the two-state Gilbert model (Gilbert 1960; Elliott 1963
 * added loss inside each state — here the good state loses nothing and the bad one everything, so
 * the mean burst is exactly `burst` packets): bad → good with r = 1/burst, good → bad with
 * p = r·L/(1 − L), which keeps the mean loss at L.
 */
export class LossChain {
  readonly #random: Random;
  readonly #loss: number;
  readonly #enter: number;
  readonly #leave: number;
  readonly #bursty: boolean;
  #bad = false;

  constructor(spec: Pick<NetSpec, 'lossPct' | 'burst'>, random: Random) {
    this.#random = random;
    this.#loss = spec.lossPct / 100;
    this.#bursty = spec.burst > 1 && this.#loss > 0 && this.#loss < 1;
    this.#leave = 1 / spec.burst;
    this.#enter = gilbertEnterProbability(spec);
  }

  /** Whether the next packet is lost (one draw when loss is on, none when it is off). */
  lose(): boolean {
    if (this.#loss === 0) return false;
    if (!this.#bursty) return this.#random() < this.#loss;
    this.#bad = this.#bad ? this.#random() >= this.#leave : this.#random() < this.#enter;
    return this.#bad;
  }
}

/** Bytes of an IP fragment's payload on a path of `mtu` (a multiple of 8: RFC 791 fragment offsets count 8-byte units). */
export function fragmentPayloadBytes(mtu: number): number {
  return Math.floor((mtu - IP_HEADER_BYTES) / 8) * 8;
}

/** IP fragments a UDP datagram of `length` payload bytes travels as (1 without an MTU). */
export function fragmentCount(length: number, mtu: number): number {
  if (mtu === 0) return 1;
  return Math.max(1, Math.ceil((length + UDP_HEADER_BYTES) / fragmentPayloadBytes(mtu)));
}

/** The delay a packet gets: base ± jitter, uniform (one draw when jitter is on), never negative. */
function delayOf(spec: NetSpec, random: Random): number {
  if (spec.jitterMs === 0) return spec.delayMs;
  return Math.max(0, spec.delayMs + (2 * random() - 1) * spec.jitterMs);
}

/** The datagram side of one direction. */
export function newPathCounters(): PathCounters {
  return {
    datagrams: 0,
    forwarded: 0,
    dropped: { loss: 0, fragment: 0, queue: 0 },
    fragmented: 0,
    duplicated: 0,
    truncated: 0,
    reordered: 0,
    overtaken: 0,
    delaySumMs: 0,
    queuePeakBytes: 0,
  };
}

export class DatagramPath {
  readonly counters: PathCounters = newPathCounters();
  readonly #random: Random;
  #spec: NetSpec;
  #bottleneck: Bottleneck;
  #loss: LossChain;
  #held: { id: number; length: number } | undefined;
  #lastDepartureMs = 0;

  constructor(spec: NetSpec, random: Random, bottleneck: Bottleneck = new Bottleneck(spec)) {
    this.#spec = spec;
    this.#random = random;
    this.#bottleneck = bottleneck;
    this.#loss = new LossChain(spec, random);
  }

  get spec(): NetSpec {
    return this.#spec;
  }

  /** Changes the impairment from the next datagram on (counters, order and a held datagram carry over). */
  retune(spec: NetSpec, bottleneck: Bottleneck = new Bottleneck(spec)): void {
    this.#spec = spec;
    this.#bottleneck = bottleneck;
    this.#loss = new LossChain(spec, this.#random);
  }

  /** The verdict on datagram `id` of `length` bytes arriving at `nowMs`. */
  decide(id: number, length: number, nowMs: number): Verdict {
    const spec = this.#spec;
    const c = this.counters;
    c.datagrams += 1;
    const fragments = fragmentCount(length, spec.mtu);
    if (fragments > 1) c.fragmented += 1;
    const wireBytes = length + UDP_HEADER_BYTES + IP_HEADER_BYTES * fragments;

    let sentMs = nowMs;
    if (this.#bottleneck.rateBps > 0) {
      const backlog = this.#bottleneck.backlogBytes(nowMs);
      if (backlog + wireBytes > this.#bottleneck.queueBytes) return this.#drop('queue');
      c.queuePeakBytes = Math.max(c.queuePeakBytes, backlog + wireBytes);
      sentMs = this.#bottleneck.transmit(wireBytes, nowMs);
    }

    let lost = false;
    for (let i = 0; i < fragments; i++) if (this.#loss.lose()) lost = true; // every fragment is on the wire
    if (lost) return this.#drop(fragments > 1 ? 'fragment' : 'loss');

    if (spec.reorderPct > 0 && this.#held === undefined && this.#random() < spec.reorderPct / 100) {
      this.#held = { id, length };
      c.reordered += 1;
      return { departures: [] };
    }

    let atMs = sentMs + delayOf(spec, this.#random);
    if (atMs < this.#lastDepartureMs) {
      if (spec.overtake) c.overtaken += 1;
      else atMs = this.#lastDepartureMs; // a FIFO link: nothing passes what went before
    }
    this.#lastDepartureMs = Math.max(this.#lastDepartureMs, atMs);
    c.delaySumMs += atMs - nowMs;

    const copies = spec.duplicatePct > 0 && this.#random() < spec.duplicatePct / 100 ? 2 : 1;
    if (copies === 2) c.duplicated += 1;
    let sent = length;
    if (spec.truncatePct > 0 && this.#random() < spec.truncatePct / 100 && length > 1) {
      sent = 1 + Math.floor(this.#random() * (length - 1));
      c.truncated += 1;
    }
    c.forwarded += 1;
    const departures: Departure[] = [];
    for (let i = 0; i < copies; i++) departures.push({ id, atMs, length: sent });
    const held = this.#held;
    if (held) {
      this.#held = undefined;
      c.forwarded += 1;
      departures.push({ id: held.id, atMs, length: held.length });
    }
    return { departures };
  }

  /** Releases a datagram still held back (the path is being stopped): it leaves at `nowMs`. */
  flush(nowMs: number): Departure[] {
    const held = this.#held;
    if (!held) return [];
    this.#held = undefined;
    this.counters.forwarded += 1;
    return [{ id: held.id, atMs: Math.max(nowMs, this.#lastDepartureMs), length: held.length }];
  }

  #drop(cause: DropCause): Verdict {
    this.counters.dropped[cause] += 1;
    return { dropped: cause, departures: [] };
  }
}

/** What the TCP side of a direction did. */
export interface StreamCounters {
  bytes: number;
  chunks: number;
  /** Chunks that waited for a retransmission (a segment of theirs was lost). */
  retransmits: number;
  /** The delay the latest chunk got, and the largest (ms). */
  lastDelayMs: number;
  maxDelayMs: number;
}

/**
 * The TCP side of one direction: nothing is lost, it is late. A chunk leaves after the bottleneck
 * has serialised it, plus the delay and jitter, plus a retransmission timeout when the loss chain
 * hits one of its segments; never before the chunk ahead of it (TCP delivers in order, so one
 * retransmission holds back everything behind it: head-of-line blocking).
 */
export function newStreamCounters(): StreamCounters {
  return { bytes: 0, chunks: 0, retransmits: 0, lastDelayMs: 0, maxDelayMs: 0 };
}

export class StreamPath {
  readonly spec: NetSpec;
  /** May be shared by the connections of one direction (then it sums them). */
  readonly counters: StreamCounters;
  readonly #random: Random;
  readonly #bottleneck: Bottleneck;
  readonly #loss: LossChain;
  #lastReleaseMs = 0;

  constructor(spec: NetSpec, random: Random, bottleneck: Bottleneck = new Bottleneck(spec), counters: StreamCounters = newStreamCounters()) {
    this.spec = spec;
    this.counters = counters;
    this.#random = random;
    this.#bottleneck = bottleneck;
    this.#loss = new LossChain(spec, random);
  }

  /** When the last chunk scheduled leaves (ms; 0 before any). */
  get lastReleaseMs(): number {
    return this.#lastReleaseMs;
  }

  /** When a chunk of `bytes` read at `nowMs` may be written on. */
  release(bytes: number, nowMs: number): number {
    const c = this.counters;
    c.bytes += bytes;
    c.chunks += 1;
    const segments = Math.max(1, Math.ceil(bytes / TCP_SEGMENT_BYTES));
    const sentMs = this.#bottleneck.transmit(segments * (IP_HEADER_BYTES + 32) + bytes, nowMs);
    let retransmit = false;
    for (let i = 0; i < segments; i++) if (this.#loss.lose()) retransmit = true;
    let atMs = sentMs + delayOf(this.spec, this.#random);
    if (retransmit) {
      c.retransmits += 1;
      atMs += TCP_RTO_MIN_MS + 2 * this.spec.delayMs;
    }
    atMs = Math.max(atMs, this.#lastReleaseMs);
    this.#lastReleaseMs = atMs;
    c.lastDelayMs = atMs - nowMs;
    c.maxDelayMs = Math.max(c.maxDelayMs, c.lastDelayMs);
    return atMs;
  }
}
