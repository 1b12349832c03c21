/**
 * VideoFragment (UDP, server → client): one piece of one JPEG frame.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+---------------+---------------+
 *   |          magic "AV"           |  version = 1  |  type = 0x01  |  0
 *   +-------------------------------+---------------+---------------+
 *   |                 seq (u32, per datagram, wraps)                |  4
 *   +---------------------------------------------------------------+
 *   |                   frameId (u32, per frame, wraps)             |  8
 *   +---------------------------------------------------------------+
 *   |                                                               | 12
 *   +                  ptsUs (u64, microseconds)                    +
 *   |                                                               | 16
 *   +-------------------------------+-------------------------------+
 *   |        index (u16)            |          count (u16)          | 20
 *   +-------------------------------+-------------------------------+
 *   |              payload: bytes [index*P, ...) of the JPEG        | 24
 *   :                        (at least 1 byte)                      :
 *   +---------------------------------------------------------------+
 *
 * seq numbers datagrams (loss/reorder/duplicate statistics, RFC 3550 A.1); frameId numbers frames
 * (reassembly); ptsUs is on the same timeline as the audio chunks' ptsUs. 0 ≤ index < count ≤ 4096.
 */
import { ByteReader, ByteWriter } from '../bytes.ts';
import { DecodeError, EncodeError, FrameTooLargeError } from '../errors.ts';
import { MAGIC, MAX_FRAMED_DATAGRAM, MAX_UDP_PAYLOAD, TYPE_FRAGMENT, VERSION } from './header.ts';

export const OFF_SEQ = 4;
export const OFF_FRAME_ID = 8;
export const OFF_PTS = 12;
export const OFF_INDEX = 20;
export const OFF_COUNT = 22;
export const OFF_PAYLOAD = 24;
export const FRAGMENT_HEADER_BYTES = OFF_PAYLOAD;

/**
 * At most 4096 fragments per frame: 4096 × 1376 B ≈ 5.6 MB, far above a 4K JPEG at quality 95,
 * and it bounds what a receiver must track for one frame.
 */
export const MAX_FRAGMENTS = 4096;

export interface VideoFragment {
  type: 'fragment';
  /** u32, one per datagram, wraps. */
  seq: number;
  /** u32, one per frame, wraps. */
  frameId: number;
  ptsUs: number;
  index: number;
  count: number;
  payload: Buffer;
}

export function encodeFragment(f: Omit<VideoFragment, 'type'>): Buffer {
  if (f.payload.length === 0) throw new EncodeError('fragment payload must not be empty');
  if (!(f.count >= 1 && f.count <= MAX_FRAGMENTS)) throw new EncodeError(`fragment count must be 1..${MAX_FRAGMENTS}, got ${f.count}`);
  if (!(f.index < f.count)) throw new EncodeError(`fragment index ${f.index} must be below count ${f.count}`);
  const w = new ByteWriter(OFF_PAYLOAD + f.payload.length);
  w.u16be(MAGIC).u8(VERSION).u8(TYPE_FRAGMENT);
  w.u32be(f.seq, 'seq').u32be(f.frameId, 'frameId').u64be(f.ptsUs, 'ptsUs');
  w.u16be(f.index, 'index').u16be(f.count, 'count');
  w.bytes(f.payload);
  return w.finish();
}

/** Decodes the body after the common header (the reader stands at OFF_SEQ). The payload is a view into buf. */
export function decodeFragmentBody(r: ByteReader): VideoFragment {
  const seq = r.u32be('seq');
  const frameId = r.u32be('frameId');
  const ptsUs = r.u64be('ptsUs');
  const index = r.u16be('index');
  const count = r.u16be('count');
  if (count < 1 || count > MAX_FRAGMENTS) {
    throw new DecodeError(`${r.what}: fragment count ${count} outside 1..${MAX_FRAGMENTS}`);
  }
  if (index >= count) throw new DecodeError(`${r.what}: fragment index ${index} not below count ${count}`);
  if (r.remaining === 0) throw new DecodeError(`${r.what}: fragment has an empty payload`);
  const payload = r.rest();
  return { type: 'fragment', seq, frameId, ptsUs, index, count, payload };
}

/** Where a fragment sits in its frame: the fields a relay needs to follow frames. */
export interface FragmentPlace {
  readonly frameId: number;
  readonly index: number;
  readonly count: number;
}

/** 2^53 − 1 as a u64's high 32 bits: a ptsUs is exact in a JS number iff its high word is at most this. */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/**
 * The place of a datagram that decodeDatagram() reads as a fragment, undefined for any other (the
 * same checks: size, magic, version, type, ptsUs ≤ 2^53 − 1, count, index), read in place: no
 * reader, payload view, BigInt or thrown error per datagram, for a relay tagging a thousand a second.
 */
export function peekFragment(buf: Buffer): FragmentPlace | undefined {
  if (buf.length <= OFF_PAYLOAD) return undefined; // the header and at least one payload byte
  if (buf.readUInt16BE(0) !== MAGIC || buf[2] !== VERSION || buf[3] !== TYPE_FRAGMENT) return undefined;
  if (buf.readUInt32BE(OFF_PTS) > MAX_SAFE_HIGH_WORD) return undefined;
  const index = buf.readUInt16BE(OFF_INDEX);
  const count = buf.readUInt16BE(OFF_COUNT);
  if (count < 1 || count > MAX_FRAGMENTS || index >= count) return undefined;
  return { frameId: buf.readUInt32BE(OFF_FRAME_ID), index, count };
}

/**
 * Splits one JPEG into datagrams of at most maxDatagram bytes (header included).
 * Datagram i carries seq = (firstSeq + i) >>> 0. Every datagram but the last carries a full payload.
 * Throws FrameTooLargeError above MAX_FRAGMENTS fragments.
 */
export function fragmentFrame(frame: { frameId: number; ptsUs: number; jpeg: Buffer }, firstSeq: number, maxDatagram: number = MAX_FRAMED_DATAGRAM): Buffer[] {
  if (!Number.isInteger(maxDatagram) || maxDatagram <= OFF_PAYLOAD || maxDatagram > MAX_UDP_PAYLOAD) {
    throw new EncodeError(`maxDatagram must be an integer in ${OFF_PAYLOAD + 1}..${MAX_UDP_PAYLOAD}, got ${maxDatagram}`);
  }
  if (!Number.isInteger(firstSeq) || firstSeq < 0 || firstSeq > 0xffff_ffff) {
    throw new EncodeError(`firstSeq must be a u32, got ${firstSeq}`);
  }
  const { jpeg } = frame;
  if (jpeg.length === 0) throw new EncodeError(`frame ${frame.frameId} is empty`);
  const per = maxDatagram - OFF_PAYLOAD;
  const count = Math.ceil(jpeg.length / per);
  if (count > MAX_FRAGMENTS) {
    const err = new FrameTooLargeError(jpeg.length, MAX_FRAGMENTS * per, 'lower --quality/--width');
    err.message = `Frame of ${jpeg.length} bytes needs ${count} fragments, above the framed wire's ${MAX_FRAGMENTS} (max ${MAX_FRAGMENTS * per} bytes at ${maxDatagram}-byte datagrams); lower --quality/--width`;
    throw err;
  }
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      encodeFragment({
        seq: (firstSeq + i) >>> 0,
        frameId: frame.frameId,
        ptsUs: frame.ptsUs,
        index: i,
        count,
        payload: jpeg.subarray(i * per, Math.min(jpeg.length, (i + 1) * per)),
      }),
    );
  }
  return out;
}
