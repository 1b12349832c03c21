/**
 * The ring between the main thread (which reads ffmpeg and encodes) and the video sender thread
 * (which only waits and sends): one SharedArrayBuffer, allocated once, holding SLOTS wire-ready
 * frames. The main thread copies a frame's datagrams (packed by the wire ahead of the deadline:
 * base64 for the tutorial wire, header + payload fragments for the framed wire) into a free slot,
 * with its deadline, then publishes it; the sender sends the slot at the deadline and frees it.
 * Nothing is allocated per
 * frame on the sender's side of the ring, so the thread that keeps the deadlines has next to no
 * garbage to collect.
 *
 * Layout (all offsets in bytes from the start of the buffer):
 *
 *   +--------------------+------------------------------+-----------------------------+
 *   | control: 16 × i32  | slot meta: SLOTS × 8 × f64   | slot data: SLOTS × slotBytes |
 *   +--------------------+------------------------------+-----------------------------+
 *
 * Control words (Int32Array indices):
 *   C_WRITTEN  frames published by the main thread (counts up; slot = n % SLOTS)
 *   C_SENT     frames the sender has finished with (sent or dropped)
 *   C_WAKE     bumped by the main thread to wake the sender early (new clients, flush, stop)
 *   C_GEN      generation: a flush bumps it, and the sender drops slots of older generations
 *   C_STOP     1 = the sender must exit
 * Slot meta (Float64Array, 8 per slot): deadline (ms on the main thread's performance.now()),
 * ptsUs, generation, datagram count, full datagram length, last datagram length, total bytes,
 * publish time (ms). Datagram i of a slot starts at i × full length; all but the last are full.
 *
 * Counters are i32 and compared by difference, so they may wrap.
 */
import { FrameTooLargeError } from '../protocol/errors.ts';
import { MAX_TUTORIAL_DATAGRAM } from '../protocol/tutorial/video-frame.ts';

export const CONTROL_WORDS = 16;
export const C_WRITTEN = 0;
export const C_SENT = 1;
export const C_WAKE = 2;
export const C_GEN = 3;
export const C_STOP = 4;
/** Bumped by each setClients(); the worker sends a frame only once it holds that generation's list. */
export const C_CLIENTS = 5;

export const META_FIELDS = 8;
export const M_DEADLINE = 0;
export const M_PTS = 1;
export const M_GEN = 2;
export const M_COUNT = 3;
export const M_FULL = 4;
export const M_LAST = 5;
export const M_BYTES = 6;
export const M_PUBLISHED = 7;

/** Frames the main thread may run ahead of the sender: 6 frames = 200 ms at 30 fps. */
export const DEFAULT_SLOTS = 6;

export interface RingLayout {
  readonly slots: number;
  readonly slotBytes: number;
  readonly metaOffset: number;
  readonly dataOffset: number;
  readonly totalBytes: number;
}

export function ringLayout(slots: number, slotBytes: number): RingLayout {
  if (!(Number.isInteger(slots) && slots >= 2)) throw new RangeError(`ring slots must be an integer ≥ 2, got ${slots}`);
  if (!(Number.isInteger(slotBytes) && slotBytes >= MAX_TUTORIAL_DATAGRAM))
    throw new RangeError(`ring slot must hold ≥ ${MAX_TUTORIAL_DATAGRAM} bytes, got ${slotBytes}`);
  const metaOffset = CONTROL_WORDS * 4;
  const dataOffset = metaOffset + slots * META_FIELDS * 8;
  return { slots, slotBytes, metaOffset, dataOffset, totalBytes: dataOffset + slots * slotBytes };
}

/**
 * Slot size for frames of w × h pixels: a baseline JPEG stays below 3 bytes per pixel even at
 * quality 100 on noise (it is rarely above 1), plus base64's 4/3 or the fragments' 24-byte headers,
 * plus 64 KiB of headroom. At least one full tutorial datagram.
 */
export function slotBytesFor(width: number, height: number): number {
  const jpegMax = Math.ceil(width * height * 3);
  return Math.max(MAX_TUTORIAL_DATAGRAM, Math.ceil(jpegMax * (4 / 3)) + 64 * 1024);
}

/** Where a frame was written in its slot. */
export interface SlotContent {
  count: number;
  full: number;
  last: number;
  bytes: number;
}

/**
 * Copies one frame's datagrams (the wire's packer made them, base64 or fragments, ahead of the
 * deadline) back to back into `slot`. Every datagram but the last must have the same length — true
 * of both wires (one datagram; or full fragments and a shorter last one) — so the sender finds
 * datagram i at i × full without a table. FrameTooLargeError when they do not fit the slot.
 */
export function writeDatagrams(slot: Buffer, datagrams: readonly Buffer[]): SlotContent {
  const count = datagrams.length;
  if (count === 0) throw new RangeError('writeDatagrams: no datagrams');
  const full = datagrams[0]!.length;
  const last = datagrams[count - 1]!.length;
  const bytes = (count - 1) * full + last;
  if (bytes > slot.length) throw new FrameTooLargeError(bytes, slot.length, 'lower --quality/--width');
  for (let i = 0; i < count; i++) {
    const d = datagrams[i]!;
    if (i < count - 1 && d.length !== full) throw new RangeError(`writeDatagrams: datagram ${i} is ${d.length} bytes, not ${full} like the first`);
    slot.set(d, i * full);
  }
  return { count, full, last, bytes };
}

/** The main thread's side of the ring. */
export class FrameRingWriter {
  readonly layout: RingLayout;
  readonly sab: SharedArrayBuffer;
  readonly #ctrl: Int32Array;
  readonly #meta: Float64Array;
  readonly #slots: Buffer[];

  constructor(layout: RingLayout, sab = new SharedArrayBuffer(layout.totalBytes)) {
    this.layout = layout;
    this.sab = sab;
    this.#ctrl = new Int32Array(sab, 0, CONTROL_WORDS);
    this.#meta = new Float64Array(sab, layout.metaOffset, layout.slots * META_FIELDS);
    this.#slots = Array.from({ length: layout.slots }, (_, i) => Buffer.from(sab, layout.dataOffset + i * layout.slotBytes, layout.slotBytes));
  }

  get control(): Int32Array {
    return this.#ctrl;
  }

  /** Frames published and not yet finished by the sender. */
  get pending(): number {
    return (Atomics.load(this.#ctrl, C_WRITTEN) - Atomics.load(this.#ctrl, C_SENT)) | 0;
  }

  get hasFreeSlot(): boolean {
    return this.pending < this.layout.slots;
  }

  /** The slot the next frame goes into (only valid while hasFreeSlot). */
  nextSlot(): Buffer {
    return this.#slots[(Atomics.load(this.#ctrl, C_WRITTEN) >>> 0) % this.layout.slots]!;
  }

  /** Publishes the frame written into nextSlot(): due at deadlineMs (main thread's performance.now()). */
  publish(content: SlotContent, deadlineMs: number, ptsUs: number, nowMs: number): void {
    const n = Atomics.load(this.#ctrl, C_WRITTEN) >>> 0;
    const m = (n % this.layout.slots) * META_FIELDS;
    this.#meta[m + M_DEADLINE] = deadlineMs;
    this.#meta[m + M_PTS] = ptsUs;
    this.#meta[m + M_GEN] = Atomics.load(this.#ctrl, C_GEN);
    this.#meta[m + M_COUNT] = content.count;
    this.#meta[m + M_FULL] = content.full;
    this.#meta[m + M_LAST] = content.last;
    this.#meta[m + M_BYTES] = content.bytes;
    this.#meta[m + M_PUBLISHED] = nowMs;
    // Atomics.add is a full barrier: the meta and data writes above are visible before the count.
    Atomics.add(this.#ctrl, C_WRITTEN, 1);
    // Wakes an idle sender only: one waiting for an earlier frame's deadline keeps waiting (C_WAKE
    // is for clients, flush and stop), so the frames queued behind never disturb the one due.
    Atomics.notify(this.#ctrl, C_WRITTEN);
  }

  /** Drops every published frame not yet sent (the sender skips older generations). */
  flush(): void {
    Atomics.add(this.#ctrl, C_GEN, 1);
    this.wake();
  }

  /** Wakes the sender from its deadline wait (it re-reads clients and the generation, then waits again). */
  wake(): void {
    Atomics.add(this.#ctrl, C_WAKE, 1);
    Atomics.notify(this.#ctrl, C_WAKE);
  }

  stop(): void {
    Atomics.store(this.#ctrl, C_STOP, 1);
    this.wake();
    Atomics.notify(this.#ctrl, C_WRITTEN);
  }
}
