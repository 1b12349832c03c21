import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hex } from '../testing/hex.ts';
import { DecodeError, FrameTooLargeError } from '../errors.ts';
import {
  decodeTutorialAudio,
  decodeTutorialFrame,
  encodeTutorialAudio,
  encodeTutorialFrame,
  MAX_TUTORIAL_DATAGRAM,
  MAX_TUTORIAL_JPEG,
  pickleBytes,
  TUTORIAL_HELLO,
  TutorialAudioDeframer,
  unpickleBytes,
} from './index.ts';

const goldenDir = new URL('./golden/', import.meta.url);
interface AudioGolden {
  n: number;
  pickleLength: number;
  prefixHex: string;
  suffixHex: string;
  sha256: string;
}
const golden = JSON.parse(readFileSync(new URL('golden.json', goldenDir), 'utf8')) as {
  python: string;
  audioMessages: AudioGolden[];
  videoDatagram: { jpegHex: string; datagram: string };
};
const evil = readFileSync(new URL('evil-os-system.pickle', goldenDir));

/** The deterministic payload make_golden.py uses: bytes((i * 31 + 7) & 0xFF for i in range(n)). */
function payload(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** The whole message CPython produced: prefix + payload + suffix, proven by its sha256. */
function pythonMessage(e: AudioGolden): Buffer {
  const m = Buffer.concat([Buffer.from(e.prefixHex, 'hex'), payload(e.n), Buffer.from(e.suffixHex, 'hex')]);
  expect(createHash('sha256').update(m).digest('hex')).toBe(e.sha256);
  return m;
}

describe('pickle golden bytes (real CPython pickle.dumps output, golden/make_golden.py)', () => {
  it('n = 3, SHORT_BINBYTES inside a FRAME, field by field', () => {
    const bytes = hex(`
      80 04                       # PROTO 4
      95 07 00 00 00 00 00 00 00  # FRAME: 7 bytes follow (u64le)
      43 03                       # SHORT_BINBYTES, length 3 (u8)
      07 26 45                    # the payload
      94                          # MEMOIZE
      2e                          # STOP
    `);
    const e = golden.audioMessages.find((g) => g.n === 3)!;
    expect(pythonMessage(e).subarray(8)).toEqual(bytes);
    expect(unpickleBytes(bytes)).toEqual(payload(3));
    expect(pickleBytes(payload(3))).toEqual(bytes);
  });

  it('n = 256, BINBYTES inside a FRAME, field by field', () => {
    const head = hex(`
      12 01 00 00 00 00 00 00     # struct.pack("Q", 274): the pickle's length, u64 little-endian
      80 04                       # PROTO 4
      95 07 01 00 00 00 00 00 00  # FRAME: 263 bytes follow
      42 00 01 00 00              # BINBYTES, length 256 (u32le)
    `);
    const e = golden.audioMessages.find((g) => g.n === 256)!;
    const m = pythonMessage(e);
    expect(m.subarray(0, head.length)).toEqual(head);
    expect(m.subarray(-2)).toEqual(hex('94 2e')); // MEMOIZE STOP
    expect(decodeTutorialAudio(m)).toEqual(payload(256));
    expect(encodeTutorialAudio(payload(256))).toEqual(m);
  });

  it('n = 65536, BINBYTES outside any frame (≥ _FRAME_SIZE_TARGET), field by field', () => {
    const head = hex(`
      09 00 01 00 00 00 00 00     # pickle length 65545
      80 04                       # PROTO 4, and no FRAME
      42 00 00 01 00              # BINBYTES, length 65536
    `);
    const m = pythonMessage(golden.audioMessages.find((g) => g.n === 65536)!);
    expect(m.subarray(0, head.length)).toEqual(head);
    expect(m.subarray(-2)).toEqual(hex('94 2e'));
    expect(encodeTutorialAudio(payload(65536))).toEqual(m);
  });

  for (const e of golden.audioMessages) {
    it(`n = ${e.n}: encodeTutorialAudio is byte-identical to python ${golden.python}, and decodes back`, () => {
      const m = pythonMessage(e);
      expect(m.readBigUInt64LE(0)).toBe(BigInt(e.pickleLength));
      expect(encodeTutorialAudio(payload(e.n)).equals(m)).toBe(true);
      expect(pickleBytes(payload(e.n)).equals(m.subarray(8))).toBe(true);
      expect(decodeTutorialAudio(m).equals(payload(e.n))).toBe(true);
      const d = new TutorialAudioDeframer({ maxMessageBytes: 1 << 17 });
      const r = d.push(m);
      expect(r.error).toBeUndefined();
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]!.equals(payload(e.n))).toBe(true);
    });
  }
});

describe('unpickleBytes() allow-list', () => {
  it('refuses a pickle that would call os.system, naming the opcode and offset; nothing runs', () => {
    // make_golden.py: pickle.dumps(obj) where obj.__reduce__ returns (os.system, ('echo pwned',)).
    expect(evil.includes(Buffer.from('system'))).toBe(true);
    expect(evil.includes(Buffer.from([0x93]))).toBe(true); // STACK_GLOBAL
    expect(evil.includes(Buffer.from([0x52]))).toBe(true); // REDUCE
    let err: unknown;
    try {
      unpickleBytes(evil);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe('E_PICKLE_REFUSED');
    expect((err as DecodeError).message).toMatch(/opcode 0x8c \(SHORT_BINUNICODE\) at offset 11 is not allowed/);
    // Through the audio de-framer too, as a malicious tutorial server would send it.
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64LE(BigInt(evil.length));
    expect(new TutorialAudioDeframer().push(Buffer.concat([msg, evil])).error?.code).toBe('E_PICKLE_REFUSED');
  });

  it('cannot run anything: src/protocol imports no process, file or network module', () => {
    // The decoder is a switch over seven opcodes; this guards the layer against ever growing an escape hatch.
    for (const f of ['pickle.ts', 'audio-message.ts', 'video-frame.ts', '../bytes.ts', '../errors.ts']) {
      const src = readFileSync(new URL(f, import.meta.url), 'utf8');
      expect(src).not.toMatch(/from ['"](node:)?(child_process|fs|net|dgram|vm|worker_threads)['"]/);
      expect(src).not.toMatch(/\beval\(|new Function\(/);
    }
  });

  it.each([
    ['GLOBAL', '80 04 63 6f 73 0a 73 79 73 74 65 6d 0a', 0x63, 2],
    ['REDUCE after a value', '80 04 43 01 00 52 2e', 0x52, 5],
    ['BYTEARRAY8 (protocol 5)', '80 05 96 01 00 00 00 00 00 00 00 00 2e', 0x96, 2],
    ['NONE', '80 04 4e 2e', 0x4e, 2],
    ['not an opcode', '80 04 ff', 0xff, 2],
  ])('refuses %s with the opcode byte and offset', (_name, bytes, op, at) => {
    expect(() => unpickleBytes(hex(bytes))).toThrow(new RegExp(`opcode 0x${op.toString(16)} .* at offset ${at}`));
  });

  it.each([
    ['missing STOP', '80 04 43 01 00 94'],
    ['STOP with no value', '80 04 2e'],
    ['two values', '80 04 43 01 00 43 01 00 2e'],
    ['bytes after STOP', '80 04 43 01 00 94 2e 00'],
    ['MEMOIZE twice', '80 04 43 01 00 94 94 2e'],
    ['BINPUT cut short', '80 03 43 01 00 71'],
    ['FRAME longer than the pickle', '80 04 95 ff 00 00 00 00 00 00 00 43 00 2e'],
    ['FRAME length 2^64 − 1', '80 04 95 ff ff ff ff ff ff ff ff'],
    ['BINBYTES8 length 2^63', '80 04 8e 00 00 00 00 00 00 00 80 2e'],
    ['BINBYTES longer than the pickle', '80 04 42 ff ff ff 7f 00 2e'],
    ['an opcode running past its frame', '80 04 95 02 00 00 00 00 00 00 00 43 03 01 02 03 94 2e'],
    ['protocol 2', '80 02 43 00 2e'],
    ['PROTO not first', '43 00 80 04 2e'],
    ['empty input', ''],
  ])('refuses %s', (_name, bytes) => {
    expect(() => unpickleBytes(hex(bytes))).toThrow(DecodeError);
  });

  it('accepts protocol 3 and 5 pickles of bytes (what Python 3.0–3.7 and 3.14 emit)', () => {
    // python3 -c "import pickle; print(pickle.dumps(b'ab', protocol=3).hex(' '))" (BINPUT 0 memoizes)
    expect(unpickleBytes(hex('80 03 43 02 61 62 71 00 2e'))).toEqual(Buffer.from('ab'));
    // python3 -c "import pickle; print(pickle.dumps(b'ab', protocol=5).hex(' '))"
    expect(unpickleBytes(hex('80 05 95 06 00 00 00 00 00 00 00 43 02 61 62 94 2e'))).toEqual(Buffer.from('ab'));
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (a) => {
        const b = Buffer.from(a);
        expect(unpickleBytes(pickleBytes(b)).equals(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('TutorialAudioDeframer', () => {
  const chunks = [payload(4096), payload(1), payload(300), payload(4096).reverse()];
  const wire = Buffer.concat(chunks.map(encodeTutorialAudio));
  const same = (got: Buffer[]): boolean => got.length === chunks.length && got.every((g, i) => g.equals(chunks[i]!));

  it('decodes a message split at every byte boundary', () => {
    const one = encodeTutorialAudio(chunks[0]!);
    for (let cut = 0; cut <= one.length; cut++) {
      const d = new TutorialAudioDeframer();
      const a = d.push(one.subarray(0, cut));
      const b = d.push(one.subarray(cut));
      expect(a.error ?? b.error).toBeUndefined();
      const got = [...a.messages, ...b.messages];
      expect(got.length === 1 && got[0]!.equals(chunks[0]!)).toBe(true);
      expect(d.buffered).toBe(0);
    }
  });

  it('decodes a stream in 3 random pieces and byte by byte', () => {
    fc.assert(
      fc.property(fc.nat({ max: wire.length }), fc.nat({ max: wire.length }), (x, y) => {
        const [i, j] = x < y ? [x, y] : [y, x];
        const d = new TutorialAudioDeframer();
        const got = [wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)].flatMap((p) => d.push(p).messages);
        expect(same(got)).toBe(true);
      }),
      { numRuns: 500 },
    );
    const d = new TutorialAudioDeframer();
    const got: Buffer[] = [];
    for (const b of wire) got.push(...d.push(Buffer.from([b])).messages);
    expect(same(got)).toBe(true);
  });

  it('rejects a length prefix of 2^63 from the 8 bytes alone, without allocating', () => {
    const d = new TutorialAudioDeframer();
    const r = d.push(hex('00 00 00 00 00 00 00 80'));
    expect(r.error?.code).toBe('E_TOO_LARGE');
    expect(r.error?.message).toMatch(/declared pickle length 9223372036854775808 is above the 1048568-byte cap/);
    expect(d.buffered).toBe(0);
  });

  it('respects a configured cap', () => {
    const m = encodeTutorialAudio(payload(4096));
    expect(new TutorialAudioDeframer({ maxMessageBytes: 4096 }).push(m).error?.code).toBe('E_TOO_LARGE');
    expect(new TutorialAudioDeframer({ maxMessageBytes: 4122 }).push(m).messages).toHaveLength(1);
  });

  it('stays failed after an error (close the connection); a fresh de-framer decodes', () => {
    const d = new TutorialAudioDeframer();
    const bad = d.push(hex('03 00 00 00 00 00 00 00 80 04 4e'));
    expect(bad.error).toBeInstanceOf(DecodeError);
    expect(d.push(wire)).toEqual({ messages: [], error: bad.error });
    expect(same(new TutorialAudioDeframer().push(wire).messages)).toBe(true);
  });

  it('says "--wire framed" when it is fed the framed wire', () => {
    const r = new TutorialAudioDeframer().push(hex('41 56 01 11 00 00 00 28'));
    expect(r.error?.message).toMatch(/--wire framed/);
  });
});

describe('tutorial video datagram', () => {
  it('golden: base64.b64encode output from python decodes to the JPEG and encodes back', () => {
    const jpeg = Buffer.from(golden.videoDatagram.jpegHex, 'hex');
    const dgram = Buffer.from(golden.videoDatagram.datagram, 'latin1');
    expect(dgram.subarray(0, 4).toString('latin1')).toBe('/9j/'); // FF D8 FF: every JPEG's base64 starts so
    expect(decodeTutorialFrame(dgram)).toEqual(jpeg);
    expect(encodeTutorialFrame(jpeg)).toEqual(dgram);
  });

  it('round-trips any bytes that fit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (a) => {
        const b = Buffer.from(a);
        expect(decodeTutorialFrame(encodeTutorialFrame(b)).equals(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('fits a 49128-byte JPEG (65504 in base64) and refuses one byte more with the hint', () => {
    expect(MAX_TUTORIAL_DATAGRAM).toBe(65507);
    expect(encodeTutorialFrame(Buffer.alloc(MAX_TUTORIAL_JPEG, 1)).length).toBe(65504);
    let err: unknown;
    try {
      encodeTutorialFrame(Buffer.alloc(MAX_TUTORIAL_JPEG + 1, 1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect((err as FrameTooLargeError).code).toBe('E_FRAME_TOO_LARGE');
    expect((err as Error).message).toMatch(
      /^Frame of 65508 bytes does not fit one UDP datagram \(max 65507\); .*use --wire framed or a lower --quality\/--width/,
    );
  });

  it.each([
    ['empty', ''],
    ['not a multiple of 4', 'QUJD='],
    ['a character outside the alphabet', 'QU*D'],
    ['padding in the middle', 'QQ==QUJD'],
    ['URL-safe alphabet', 'ab-_'],
    ['non-canonical padding bits', 'QR=='],
    ['the tutorial hello', 'Hello'],
  ])('refuses %s', (_name, text) => {
    expect(() => decodeTutorialFrame(Buffer.from(text, 'latin1'))).toThrow(DecodeError);
  });

  it('TUTORIAL_HELLO is what client.py sends', () => {
    expect(TUTORIAL_HELLO).toEqual(Buffer.from('Hello'));
  });
});
