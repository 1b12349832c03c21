/**
 * The ring between the main thread (which reads ffmpeg and encodes) and the video sender thread
 * (which only waits and sends): one SharedArrayBuffer, allocated once, holding SLOTS wire-ready
 * frames. The main thread writes a frame's datagrams straight into a free slot (base64 for the
 * tutorial wire, header + payload fragments for the framed wire), with its deadline, then
 * publishes it; the sender sends the slot at the deadline and frees it. Nothing is allocated per
 * frame on either side of the ring, so neither thread's garbage collector is fed by the hot path.
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
import { MAX_FRAGMENTS, OFF_COUNT, OFF_FRAME_ID, OFF_INDEX, OFF_PAYLOAD, OFF_PTS, OFF_SEQ } from '../protocol/framed/video-fragment.ts';
import { MAGIC, MAX_FRAMED_DATAGRAM, TYPE_FRAGMENT, VERSION } from '../protocol/framed/header.ts';
import { MAX_TUTORIAL_DATAGRAM, TUTORIAL_FRAME_HINT } from '../protocol/tutorial/video-frame.ts';
import type { WireName as Wire } from '../wire/index.ts';

export const CONTROL_WORDS = 16;
export const C_WRITTEN = 0;
export const C_SENT = 1;
export const C_WAKE = 2;
export const C_GEN = 3;
export const C_STOP = 4;

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
  if (!(Number.isInteger(slotBytes) && slotBytes >= MAX_TUTORIAL_DATAGRAM)) throw new RangeError(`ring slot must hold ≥ ${MAX_TUTORIAL_DATAGRAM} bytes, got ${slotBytes}`);
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

const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const EQ = 0x3d;

/**
 * RFC 4648 base64 of src written into dst at `at`; returns the bytes written. Equal to
 * Buffer.from(src.toString('base64')) but without the intermediate string (the tutorial's
 * `base64.b64encode(buffer)`, done ahead of the deadline instead of at it).
 */
export function base64Into(src: Uint8Array, dst: Uint8Array, at: number): number {
  const n = src.length;
  let o = at;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    dst[o] = B64[v >>> 18]!;
    dst[o + 1] = B64[(v >>> 12) & 63]!;
    dst[o + 2] = B64[(v >>> 6) & 63]!;
    dst[o + 3] = B64[v & 63]!;
    o += 4;
  }
  if (i < n) {
    const a = src[i]!;
    const b = i + 1 < n ? src[i + 1]! : 0;
    const v = (a << 16) | (b << 8);
    dst[o] = B64[v >>> 18]!;
    dst[o + 1] = B64[(v >>> 12) & 63]!;
    dst[o + 2] = i + 1 < n ? B64[(v >>> 6) & 63]! : EQ;
    dst[o + 3] = EQ;
    o += 4;
  }
  return o - at;
}

/** Where a frame was written in its slot. */
export interface SlotContent {
  count: number;
  full: number;
  last: number;
  bytes: number;
}

/** The tutorial wire's one datagram (base64 of the JPEG) into `slot`. FrameTooLargeError as encodeTutorialFrame. */
export function writeTutorialFrame(slot: Buffer, jpeg: Uint8Array): SlotContent {
  const size = 4 * Math.ceil(jpeg.length / 3);
  if (size > MAX_TUTORIAL_DATAGRAM) {
    throw new FrameTooLargeError(size, MAX_TUTORIAL_DATAGRAM, `the ${jpeg.length}-byte JPEG is ${size} bytes in base64 (tutorial wire); ${TUTORIAL_FRAME_HINT}`);
  }
  base64Into(jpeg, slot, 0);
  return { count: 1, full: size, last: size, bytes: size };
}

/**
 * The framed wire's fragments of one frame into `slot`, byte for byte what fragmentFrame() makes:
 * datagram i = 24-byte header (seq firstSeq + i, frameId, ptsUs, index i, count) + payload slice.
 */
export function writeFramedFrame(slot: Buffer, frame: { frameId: number; ptsUs: number; jpeg: Uint8Array }, firstSeq: number, maxDatagram = MAX_FRAMED_DATAGRAM): SlotContent {
  const { jpeg } = frame;
  const per = maxDatagram - OFF_PAYLOAD;
  const count = Math.ceil(jpeg.length / per);
  if (count < 1 || count > MAX_FRAGMENTS) {
    throw new FrameTooLargeError(jpeg.length, MAX_FRAGMENTS * per, 'lower --quality/--width');
  }
  const lastPayload = jpeg.length - (count - 1) * per;
  const bytes = (count - 1) * maxDatagram + OFF_PAYLOAD + lastPayload;
  if (bytes > slot.length) throw new FrameTooLargeError(bytes, slot.length, 'lower --quality/--width');
  const pts = BigInt(frame.ptsUs);
  for (let i = 0; i < count; i++) {
    const at = i * maxDatagram;
    slot.writeUInt16BE(MAGIC, at);
    slot[at + 2] = VERSION;
    slot[at + 3] = TYPE_FRAGMENT;
    slot.writeUInt32BE((firstSeq + i) >>> 0, at + OFF_SEQ);
    slot.writeUInt32BE(frame.frameId >>> 0, at + OFF_FRAME_ID);
    slot.writeBigUInt64BE(pts, at + OFF_PTS);
    slot.writeUInt16BE(i, at + OFF_INDEX);
    slot.writeUInt16BE(count, at + OFF_COUNT);
    const from = i * per;
    slot.set(jpeg.subarray(from, Math.min(jpeg.length, from + per)), at + OFF_PAYLOAD);
  }
  return { count, full: count > 1 ? maxDatagram : OFF_PAYLOAD + lastPayload, last: OFF_PAYLOAD + lastPayload, bytes };
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
    Atomics.notify(this.#ctrl, C_WRITTEN);
    this.wake();
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

/** Bytes of one frame in a wire, for sizing checks (tutorial: base64; framed: fragments). */
export function wireBytes(wire: Wire, jpegBytes: number, maxDatagram = MAX_FRAMED_DATAGRAM): number {
  if (wire === 'tutorial') return 4 * Math.ceil(jpegBytes / 3);
  const per = maxDatagram - OFF_PAYLOAD;
  const count = Math.ceil(jpegBytes / per);
  return jpegBytes + count * OFF_PAYLOAD;
}
