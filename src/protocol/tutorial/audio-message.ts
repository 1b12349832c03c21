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
import { ByteQueue } from '../bytes.ts';
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
 * Pure de-framer for the tutorial's audio TCP stream. Returns pcm buffers that own their memory.
 * After an error it stays failed (the stream has lost its framing): close the connection; a new
 * connection gets a new de-framer.
 */
export class TutorialAudioDeframer {
  readonly maxMessageBytes: number;
  #queue = new ByteQueue();
  #error: DecodeError | undefined;
  #pending: number | undefined; // pickle length of the message being received

  constructor(opts: { maxMessageBytes?: number } = {}) {
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_TUTORIAL_MESSAGE;
    if (!Number.isInteger(this.maxMessageBytes) || this.maxMessageBytes < 64) {
      throw new RangeError(`maxMessageBytes must be an integer ≥ 64, got ${this.maxMessageBytes}`);
    }
  }

  get error(): DecodeError | undefined {
    return this.#error;
  }

  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Buffer): { messages: Buffer[]; error?: DecodeError } {
    const messages: Buffer[] = [];
    if (this.#error) return { messages, error: this.#error };
    this.#queue.push(chunk);
    try {
      for (;;) {
        if (this.#pending === undefined) {
          if (this.#queue.length < LENGTH_BYTES) break;
          this.#pending = checkLength(this.#queue.take(LENGTH_BYTES).readBigUInt64LE(0), this.maxMessageBytes);
        }
        if (this.#queue.length < this.#pending) break;
        const pickle = this.#queue.take(this.#pending);
        this.#pending = undefined;
        messages.push(unpickleBytes(pickle));
      }
    } catch (err) {
      this.#error = err instanceof DecodeError ? err : new DecodeError(`tutorial audio: ${String(err)}`);
      this.#queue = new ByteQueue();
      return { messages, error: this.#error };
    }
    return { messages };
  }
}
