/**
 * Bounds-checked byte access for the wire formats. The endianness is in every method name
 * (u16be, u64le) so a reader never has to guess which one a field uses: the framed wire is
 * big-endian (network order, RFC 1700), the tutorial's struct.pack("Q") is little-endian on x86.
 *
 * ByteReader throws DecodeError when a read would run past the end, so a truncated or lying
 * message can never read garbage or throw a RangeError from Node's Buffer.
 *
 * Folder src/protocol/: the pure wire formats (framed/, tutorial/), bytes in, values out — no sockets,
 * timers, files or child processes. May import: src/errors.ts only.
 */
import { DecodeError, EncodeError } from './errors.ts';

const TWO_POW_32 = 0x1_0000_0000;

export class ByteReader {
  readonly buf: Buffer;
  /** Name of the message being read, used in error messages. */
  readonly what: string;
  #offset: number;

  constructor(buf: Buffer, what = 'message', offset = 0) {
    this.buf = buf;
    this.what = what;
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.buf.length - this.#offset;
  }

  #need(n: number, field: string): number {
    if (this.remaining < n) {
      throw new DecodeError(
        `${this.what}: ${field} needs ${n} byte(s) at offset ${this.#offset}, only ${this.remaining} left (message is ${this.buf.length} bytes)`,
      );
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(field = 'u8'): number {
    return this.buf[this.#need(1, field)]!;
  }

  u16be(field = 'u16be'): number {
    return this.buf.readUInt16BE(this.#need(2, field));
  }

  u16le(field = 'u16le'): number {
    return this.buf.readUInt16LE(this.#need(2, field));
  }

  u32be(field = 'u32be'): number {
    return this.buf.readUInt32BE(this.#need(4, field));
  }

  u32le(field = 'u32le'): number {
    return this.buf.readUInt32LE(this.#need(4, field));
  }

  u64beBig(field = 'u64be'): bigint {
    return this.buf.readBigUInt64BE(this.#need(8, field));
  }

  u64leBig(field = 'u64le'): bigint {
    return this.buf.readBigUInt64LE(this.#need(8, field));
  }

  /** A u64 that must fit a JS number exactly (≤ 2^53 − 1), else DecodeError. */
  u64be(field = 'u64be'): number {
    return this.#safe(this.u64beBig(field), field);
  }

  /** A u64 that must fit a JS number exactly (≤ 2^53 − 1), else DecodeError. */
  u64le(field = 'u64le'): number {
    return this.#safe(this.u64leBig(field), field);
  }

  #safe(v: bigint, field: string): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DecodeError(`${this.what}: ${field} = ${v} is above 2^53 − 1, the largest exact integer this reader handles`);
    }
    return Number(v);
  }

  /** The next n bytes as a view into the same memory (no copy). */
  bytes(n: number, field = 'bytes'): Buffer {
    const at = this.#need(n, field);
    return this.buf.subarray(at, at + n);
  }

  /** Everything left, as a view (no copy). */
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  /** Throws unless every byte has been read: trailing bytes mean the message is not what it claims. */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new DecodeError(`${this.what}: ${this.remaining} unexpected trailing byte(s) at offset ${this.#offset}`);
    }
  }
}

function checkUint(v: number, bits: number, field: string): void {
  const max = bits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(`${field} must be an integer in 0..${max}, got ${v}`);
  }
}

/** Writes into a buffer of a size fixed up front (every message here knows its size before writing). */
export class ByteWriter {
  readonly buf: Buffer;
  #offset = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  get offset(): number {
    return this.#offset;
  }

  #take(n: number): number {
    if (this.#offset + n > this.buf.length) {
      throw new EncodeError(`ByteWriter overflow: writing ${n} byte(s) at offset ${this.#offset} of ${this.buf.length}`);
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(v: number, field = 'u8'): this {
    checkUint(v, 8, field);
    this.buf[this.#take(1)] = v;
    return this;
  }

  u16be(v: number, field = 'u16be'): this {
    checkUint(v, 16, field);
    this.buf.writeUInt16BE(v, this.#take(2));
    return this;
  }

  u16le(v: number, field = 'u16le'): this {
    checkUint(v, 16, field);
    this.buf.writeUInt16LE(v, this.#take(2));
    return this;
  }

  u32be(v: number, field = 'u32be'): this {
    checkUint(v, 32, field);
    this.buf.writeUInt32BE(v, this.#take(4));
    return this;
  }

  u32le(v: number, field = 'u32le'): this {
    checkUint(v, 32, field);
    this.buf.writeUInt32LE(v, this.#take(4));
    return this;
  }

  /** u64 from a JS number (0..2^53 − 1), big-endian. */
  u64be(v: number, field = 'u64be'): this {
    checkUint(v, 64, field);
    const at = this.#take(8);
    this.buf.writeUInt32BE(Math.floor(v / TWO_POW_32), at);
    this.buf.writeUInt32BE(v % TWO_POW_32, at + 4);
    return this;
  }

  /** u64 from a JS number (0..2^53 − 1), little-endian. */
  u64le(v: number, field = 'u64le'): this {
    checkUint(v, 64, field);
    const at = this.#take(8);
    this.buf.writeUInt32LE(v % TWO_POW_32, at);
    this.buf.writeUInt32LE(Math.floor(v / TWO_POW_32), at + 4);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.#take(b.length);
    this.buf.set(b, at);
    return this;
  }

  /** The written buffer; throws if the size declared up front was not filled exactly. */
  finish(): Buffer {
    if (this.#offset !== this.buf.length) {
      throw new EncodeError(`ByteWriter: wrote ${this.#offset} of ${this.buf.length} declared bytes`);
    }
    return this.buf;
  }
}

/**
 * The bytes a stream de-framer has received but not yet consumed: a list of chunks, so that a
 * message arriving one byte at a time costs O(n), not O(n²) of Buffer.concat.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #head = 0; // bytes of #chunks[0] already consumed
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The first n bytes (n ≤ length) without consuming them; a view when they lie in one chunk. */
  peek(n: number): Buffer {
    return this.#read(n, false);
  }

  /** Removes and returns the first n bytes (n ≤ length) as a fresh copy that owns its memory. */
  take(n: number): Buffer {
    return this.#read(n, true);
  }

  /** Removes n bytes (n ≤ length). */
  skip(n: number): void {
    this.#consume(n);
  }

  #read(n: number, consume: boolean): Buffer {
    if (n > this.#length) throw new RangeError(`ByteQueue: ${n} bytes requested, ${this.#length} held`);
    const first = this.#chunks[0];
    let out: Buffer;
    if (first !== undefined && first.length - this.#head >= n) {
      const view = first.subarray(this.#head, this.#head + n);
      out = consume ? Buffer.from(view) : view;
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      let head = this.#head;
      for (const c of this.#chunks) {
        if (filled === n) break;
        const part = Math.min(c.length - head, n - filled);
        c.copy(out, filled, head, head + part);
        filled += part;
        head = 0;
      }
    }
    if (consume) this.#consume(n);
    return out;
  }

  #consume(n: number): void {
    this.#length -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      const avail = first.length - this.#head;
      if (avail > n) {
        this.#head += n;
        return;
      }
      n -= avail;
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}
