/**
 * Tutorial audio message (TCP, server → client): native-order u64 length, then the pickle.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                                                               |  0
 *   +     length of the pickle (u64 LITTLE-endian: struct "Q")      +
 *   |                                                               |  4
 *   +---------------------------------------------------------------+
 *   |  pickle.dumps(pcm): 80 04 95 <u64le> 42 <u32le n> <pcm> 94 2e  |  8
 *   :                 (4114 bytes for a 4096-byte chunk)             :
 *   +---------------------------------------------------------------+
 *
 * server.py: `a = pickle.dumps(data); message = struct.pack("Q", len(a)) + a`. "Q" without a
 * byte-order prefix is native order and size: 8 bytes little-endian on x86-64 and arm64, the
 * machines the tutorial runs on. pcm is s16le stereo 44.1 kHz (wave.readframes(1024)).
 */
import { LengthPrefixedDeframer } from '../deframer.ts';
import { DecodeError } from '../errors.ts';
import { pickleBytes, unpickleBytes } from './pickle.ts';

export const OFF_LENGTH = 0;
export const OFF_PICKLE = 8;
export const LENGTH_BYTES = 8;
/** 1 MiB: a real message is 4122 bytes (1024 stereo s16 frames); the cap only stops lies. */
export const DEFAULT_MAX_TUTORIAL_MESSAGE = 1 << 20;

export function encodeTutorialAudio(pcm: Buffer): Buffer {
  const pickle = pickleBytes(pcm);
  const out = Buffer.allocUnsafe(LENGTH_BYTES + pickle.length);
  out.writeBigUInt64LE(BigInt(pickle.length), OFF_LENGTH);
  pickle.copy(out, OFF_PICKLE);
  return out;
}

/** Decodes exactly one whole message (length + pickle); returns the pcm as a view into buf. */
export function decodeTutorialAudio(buf: Buffer, maxMessageBytes = DEFAULT_MAX_TUTORIAL_MESSAGE): Buffer {
  if (buf.length < LENGTH_BYTES) throw new DecodeError(`tutorial audio: ${buf.length} byte(s) is shorter than the 8-byte length`);
  const len = checkLength(buf.readBigUInt64LE(OFF_LENGTH), maxMessageBytes);
  if (buf.length !== LENGTH_BYTES + len) throw new DecodeError(`tutorial audio: length says ${LENGTH_BYTES + len} bytes, got ${buf.length}`);
  return unpickleBytes(buf.subarray(OFF_PICKLE));
}

function checkLength(declared: bigint, maxMessageBytes: number): number {
  // Compared as bigint: a declared 2^63 must be refused before anything is allocated or converted.
  if (declared > BigInt(maxMessageBytes - LENGTH_BYTES)) {
    throw new DecodeError(
      `tutorial audio: declared pickle length ${declared} is above the ${maxMessageBytes - LENGTH_BYTES}-byte cap (a 1024-frame chunk is 4114); is the peer speaking --wire framed?`,
      'E_TOO_LARGE',
    );
  }
  if (declared === 0n) throw new DecodeError('tutorial audio: declared pickle length 0');
  return Number(declared);
}

/**
 * Pure de-framer for the tutorial's audio TCP stream: `push(chunk) → { messages: pcm[], error? }`;
 * sticky errors, pcm that owns its memory and the cap checked from the 8 length bytes alone come
 * from LengthPrefixedDeframer.
 */
export class TutorialAudioDeframer extends LengthPrefixedDeframer<Buffer> {
  constructor(opts: { maxMessageBytes?: number } = {}) {
    super('tutorial audio', LENGTH_BYTES, opts.maxMessageBytes ?? DEFAULT_MAX_TUTORIAL_MESSAGE);
  }

  protected override messageLength(header: Buffer): number {
    return LENGTH_BYTES + checkLength(header.readBigUInt64LE(OFF_LENGTH), this.maxMessageBytes);
  }

  protected override decode(message: Buffer): Buffer {
    return decodeTutorialAudio(message, this.maxMessageBytes);
  }
}
