/**
 * What both TCP wires' de-framers share: a stream of messages, each starting with a fixed-size
 * header that declares its whole length. The header is peeked (not consumed) until the declared
 * length has arrived, so the length is checked against the cap before a single body byte is
 * buffered for it; a lying length stops the stream instead of making us allocate.
 *
 * After an error the de-framer stays failed (every later push returns the same error): the byte
 * stream has lost its framing, so the caller closes the connection; a new connection gets a new
 * de-framer. Messages are decoded from a copy that owns its memory, never from the caller's chunks.
 */
import { ByteQueue } from './bytes.ts';
import { DecodeError } from './errors.ts';

export abstract class LengthPrefixedDeframer<T> {
  /** Largest whole message accepted (header included). */
  readonly maxMessageBytes: number;
  readonly #what: string;
  readonly #headerBytes: number;
  #queue = new ByteQueue();
  #error: DecodeError | undefined;

  /** `what` prefixes errors that are not already DecodeErrors (e.g. "framed stream"). */
  protected constructor(what: string, headerBytes: number, maxMessageBytes: number) {
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 64) {
      throw new RangeError(`maxMessageBytes must be an integer ≥ 64, got ${maxMessageBytes}`);
    }
    this.#what = what;
    this.#headerBytes = headerBytes;
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * The whole message's length (header included) from its first `headerBytes` bytes. Throws a
   * DecodeError for a length that is wrong for the message or above `maxMessageBytes`.
   */
  protected abstract messageLength(header: Buffer): number;

  /** Decodes one whole message (header included); throws DecodeError. */
  protected abstract decode(message: Buffer): T;

  /** The error that stopped this de-framer, if any. */
  get error(): DecodeError | undefined {
    return this.#error;
  }

  /** Bytes received but not yet part of a whole message. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Feed it whatever recv() returned; get the whole messages it completed. */
  push(chunk: Buffer): { messages: T[]; error?: DecodeError } {
    const messages: T[] = [];
    if (this.#error) return { messages, error: this.#error };
    this.#queue.push(chunk);
    try {
      while (this.#queue.length >= this.#headerBytes) {
        const total = this.messageLength(this.#queue.peek(this.#headerBytes));
        if (this.#queue.length < total) break;
        messages.push(this.decode(this.#queue.take(total)));
      }
    } catch (err) {
      this.#error = err instanceof DecodeError ? err : new DecodeError(`${this.#what}: ${String(err)}`);
      this.#queue = new ByteQueue();
      return { messages, error: this.#error };
    }
    return { messages };
  }
}
