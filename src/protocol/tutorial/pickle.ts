/**
 * The one pickle the tutorial sends: `pickle.dumps(data)` of a bytes object, CPython protocol 4
 * (the default of Python 3.8–3.13; PEP 3154 framing). Layouts, from real CPython output
 * (golden/make_golden.py):
 *
 *   n < 256:          80 04 | 95 <u64le n+4> | 43 <u8 n>    <data> | 94 | 2e
 *   256 ≤ n < 64 KiB: 80 04 | 95 <u64le n+7> | 42 <u32le n> <data> | 94 | 2e
 *   64 KiB ≤ n < 4 GiB: 80 04 |                42 <u32le n> <data> | 94 | 2e
 *   n ≥ 4 GiB:        80 04 |                8e <u64le n> <data> | 94 | 2e
 *
 *   80 PROTO 4 · 95 FRAME (length of the frame that follows) · 43 SHORT_BINBYTES ·
 *   42 BINBYTES · 8e BINBYTES8 · 94 MEMOIZE · 2e STOP
 *
 * A payload of ≥ 64 KiB (_FRAME_SIZE_TARGET) is written outside any frame, and the frame left
 * for MEMOIZE + STOP is under _FRAME_SIZE_MIN (4 bytes), so CPython omits its FRAME header.
 *
 * Reading is an allow-list: a pickle is a program for a stack machine, and GLOBAL/STACK_GLOBAL +
 * REDUCE call any Python function (the tutorial client's pickle.loads runs os.system if a server
 * says so). We accept only the opcodes above, plus BINPUT (71 <u8>), which is what protocol 3
 * (Python 3.0–3.7) writes instead of MEMOIZE, and refuse everything else by name and offset.
 */
import { DecodeError } from '../errors.ts';

export const PROTO = 0x80;
export const FRAME = 0x95;
export const SHORT_BINBYTES = 0x43; // 'C'
export const BINBYTES = 0x42; // 'B'
export const BINBYTES8 = 0x8e;
export const MEMOIZE = 0x94;
/** Protocol 3 (Python 3.0–3.7's default) memoizes with BINPUT <u8 index> instead of MEMOIZE. */
export const BINPUT = 0x71; // 'q'
export const STOP = 0x2e; // '.'

/** CPython's _FRAME_SIZE_TARGET: bytes of at least this size are written outside frames. */
export const FRAME_SIZE_TARGET = 64 * 1024;
/** CPython's _FRAME_SIZE_MIN: shorter frames get no FRAME header. */
export const FRAME_SIZE_MIN = 4;

export function pickleBytes(data: Buffer): Buffer {
  const n = data.length;
  let opHeader: Buffer;
  if (n < 256) {
    opHeader = Buffer.from([SHORT_BINBYTES, n]);
  } else if (n <= 0xffff_ffff) {
    opHeader = Buffer.alloc(5);
    opHeader[0] = BINBYTES;
    opHeader.writeUInt32LE(n, 1);
  } else {
    opHeader = Buffer.alloc(9);
    opHeader[0] = BINBYTES8;
    opHeader.writeBigUInt64LE(BigInt(n), 1);
  }
  const proto = Buffer.from([PROTO, 4]);
  const tail = Buffer.from([MEMOIZE, STOP]);
  if (n >= FRAME_SIZE_TARGET) {
    // Payload bypasses framing; the frame left (MEMOIZE STOP, 2 bytes) is below FRAME_SIZE_MIN.
    return Buffer.concat([proto, opHeader, data, tail]);
  }
  const frame = Buffer.alloc(9);
  frame[0] = FRAME;
  frame.writeBigUInt64LE(BigInt(opHeader.length + n + tail.length), 1);
  return Buffer.concat([proto, frame, opHeader, data, tail]);
}

/** Names of the pickle opcodes (Lib/pickletools.py), so a refusal says what was attempted. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

function opName(op: number): string {
  const hex = `0x${op.toString(16).padStart(2, '0')}`;
  const name = OPCODE_NAMES[op];
  return name ? `${hex} (${name})` : `${hex} (not a pickle opcode)`;
}

/**
 * Reads a pickle of one bytes object. Returns the payload as a view into buf (no copy).
 * Anything but PROTO(3–5) FRAME SHORT_BINBYTES BINBYTES BINBYTES8 MEMOIZE|BINPUT STOP → DecodeError
 * naming the opcode and its offset; so do truncation, bad frame lengths, a second value,
 * a missing STOP and bytes after STOP.
 */
export function unpickleBytes(buf: Buffer): Buffer {
  let pos = 0;
  let frameEnd = -1; // end offset of the current FRAME, -1 when outside a frame
  let value: Buffer | undefined;
  let memoized = false;

  const need = (at: number, k: number, what: string): void => {
    if (buf.length - at < k) {
      throw new DecodeError(`pickle: ${what} at offset ${at} needs ${k} byte(s), only ${buf.length - at} left`);
    }
    // pickle.py's _Unframer: an opcode may not run past the end of its frame.
    if (frameEnd >= 0 && at + k > frameEnd) {
      throw new DecodeError(`pickle: ${what} at offset ${at} runs past the end of its frame at offset ${frameEnd}`);
    }
  };
  const length = (at: number, size: 1 | 4 | 8): number => {
    if (size === 1) return buf[at]!;
    if (size === 4) return buf.readUInt32LE(at);
    const v = buf.readBigUInt64LE(at);
    if (v > BigInt(buf.length)) throw new DecodeError(`pickle: length ${v} at offset ${at} is longer than the ${buf.length}-byte pickle`);
    return Number(v);
  };

  while (pos < buf.length) {
    if (frameEnd >= 0 && pos === frameEnd) frameEnd = -1;
    const at = pos;
    const op = buf[pos]!;
    switch (op) {
      case PROTO: {
        if (at !== 0) throw new DecodeError(`pickle: opcode ${opName(op)} at offset ${at} is only allowed at offset 0`);
        need(at, 2, 'PROTO');
        const version = buf[at + 1]!;
        if (version < 3 || version > 5) {
          throw new DecodeError(`pickle: protocol ${version} at offset ${at + 1}; only protocols 3–5 pickle bytes without calling a function`);
        }
        pos += 2;
        break;
      }
      case FRAME: {
        if (frameEnd >= 0) throw new DecodeError(`pickle: FRAME at offset ${at} begins before the frame ending at ${frameEnd}`);
        need(at, 9, 'FRAME');
        const len = length(at + 1, 8);
        pos += 9;
        if (len > buf.length - pos) throw new DecodeError(`pickle: FRAME at offset ${at} declares ${len} bytes, only ${buf.length - pos} follow`);
        if (len > 0) frameEnd = pos + len;
        break;
      }
      case SHORT_BINBYTES:
      case BINBYTES:
      case BINBYTES8: {
        if (value !== undefined) throw new DecodeError(`pickle: a second value at offset ${at}; only a single bytes object is accepted`);
        const size = op === SHORT_BINBYTES ? 1 : op === BINBYTES ? 4 : 8;
        need(at, 1 + size, opName(op));
        const len = length(at + 1, size);
        need(at + 1 + size, len, `${opName(op)} payload`);
        value = buf.subarray(at + 1 + size, at + 1 + size + len);
        pos = at + 1 + size + len;
        break;
      }
      case MEMOIZE:
      case BINPUT:
        // Storing the value in the memo table is harmless; nothing can read it back (no GET opcodes).
        if (value === undefined || memoized) throw new DecodeError(`pickle: ${opName(op)} at offset ${at} without a fresh value to memoize`);
        if (op === BINPUT) need(at, 2, 'BINPUT');
        memoized = true;
        pos += op === BINPUT ? 2 : 1;
        break;
      case STOP:
        if (value === undefined) throw new DecodeError(`pickle: STOP at offset ${at} with no value`);
        if (at !== buf.length - 1) throw new DecodeError(`pickle: ${buf.length - 1 - at} byte(s) after STOP at offset ${at}`);
        return value;
      default:
        throw new DecodeError(
          `pickle: opcode ${opName(op)} at offset ${at} is not allowed; only a pickled bytes object is accepted (this reader never imports or calls anything)`,
          'E_PICKLE_REFUSED',
        );
    }
  }
  throw new DecodeError(`pickle: ends at offset ${buf.length} without STOP`);
}
