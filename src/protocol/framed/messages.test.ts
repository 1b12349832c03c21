import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex } from '../testing/hex.ts';
import { DecodeError, EncodeError, FrameTooLargeError } from '../errors.ts';
import {
  decodeDatagram,
  decodeStreamMessage,
  encodeFragment,
  encodeHello,
  encodeStreamMessage,
  fragmentFrame,
  MAX_FRAGMENTS,
  MAX_FRAMED_DATAGRAM,
  type Handshake,
  type StreamMessage,
  type VideoFragment,
} from './index.ts';

describe('VideoFragment golden bytes', () => {
  const golden = hex(`
    41 56                    # magic "AV"
    01                       # version 1
    01                       # type 0x01 fragment
    ff ff ff fe              # seq 4294967294
    00 00 01 00              # frameId 256
    00 00 00 00 00 0f 42 40  # ptsUs 1000000
    00 02                    # index 2
    00 03                    # count 3
    ff d9                    # payload: the end of a JPEG
  `);
  const value: VideoFragment = { type: 'fragment', seq: 0xffff_fffe, frameId: 256, ptsUs: 1_000_000, index: 2, count: 3, payload: Buffer.from([0xff, 0xd9]) };

  it('decodes field by field', () => {
    const d = decodeDatagram(golden);
    expect(d.type).toBe('fragment');
    if (d.type !== 'fragment') return;
    expect(d.seq).toBe(0xffff_fffe);
    expect(d.frameId).toBe(256);
    expect(d.ptsUs).toBe(1_000_000);
    expect(d.index).toBe(2);
    expect(d.count).toBe(3);
    expect(d.payload).toEqual(Buffer.from([0xff, 0xd9]));
  });

  it('encodes back to exactly the same bytes', () => {
    expect(encodeFragment(value)).toEqual(golden);
  });

  it('rejects index ≥ count, count 0, count above 4096 and an empty payload', () => {
    const bad = (off: number, bytes: number[]): Buffer => {
      const b = Buffer.from(golden);
      b.set(bytes, off);
      return b;
    };
    expect(() => decodeDatagram(bad(20, [0, 3]))).toThrow(/index 3 not below count 3/);
    expect(() => decodeDatagram(bad(22, [0, 0]))).toThrow(/count 0 outside/);
    expect(() => decodeDatagram(bad(22, [0x10, 0x01]))).toThrow(/count 4097 outside/);
    expect(() => decodeDatagram(golden.subarray(0, 24))).toThrow(/empty payload/);
    expect(() => decodeDatagram(golden.subarray(0, 23))).toThrow(DecodeError);
  });

  it('rejects a ptsUs above 2^53 − 1', () => {
    const b = Buffer.from(golden);
    b.fill(0xff, 12, 20);
    expect(() => decodeDatagram(b)).toThrow(/ptsUs .* above 2\^53/);
  });
});

describe('Hello golden bytes', () => {
  const golden = hex(`
    41 56         # magic "AV"
    01            # version 1
    02            # type 0x02 hello
    de ad be ef   # token 0xdeadbeef
  `);

  it('decodes, and encodes back exactly', () => {
    expect(decodeDatagram(golden)).toEqual({ type: 'hello', token: 0xdeadbeef });
    expect(encodeHello(0xdeadbeef)).toEqual(golden);
  });

  it('rejects trailing bytes', () => {
    expect(() => decodeDatagram(Buffer.concat([golden, Buffer.from([0])]))).toThrow(/trailing/);
  });

  it('names the tutorial client when it gets b"Hello", and names the magic otherwise', () => {
    expect(() => decodeDatagram(Buffer.from('Hello'))).toThrow(/--wire tutorial/);
    expect(() => decodeDatagram(Buffer.from('/9j/4AAQ'))).toThrow(/bad magic 0x2f39.*--wire tutorial/);
  });

  it('rejects another version and unknown types with their own messages', () => {
    expect(() => decodeDatagram(hex('41 56 02 02 00 00 00 01'))).toThrow(/version 2, this build speaks version 1/);
    expect(() => decodeDatagram(hex('41 56 01 11 00 00 00 01'))).toThrow(/unknown message type 0x11/);
  });
});

describe('Handshake golden bytes', () => {
  const golden = hex(`
    41 56                    # magic "AV"
    01                       # version 1
    11                       # type 0x11 handshake
    00 00 00 28              # body length 40
    12 34 56 78              # token 0x12345678
    00 00 5d c0              # fpsNum 24000
    00 00 03 e9              # fpsDen 1001
    00 00 01 90              # width 400
    00 00 00 e2              # height 226
    00 00 ac 44              # sampleRate 44100
    00 00 04 00              # chunkFrames 1024
    00 02                    # channels 2
    00 01                    # flags: hasAudio
    00 00 00 00 01 31 2d 00  # durationUs 20000000
  `);
  const value: Handshake = {
    type: 'handshake',
    token: 0x12345678,
    fpsNum: 24000,
    fpsDen: 1001,
    width: 400,
    height: 226,
    durationUs: 20_000_000,
    sampleRate: 44100,
    channels: 2,
    chunkFrames: 1024,
    hasAudio: true,
  };

  it('decodes field by field, and encodes back exactly', () => {
    const d = decodeStreamMessage(golden);
    expect(d).toEqual(value);
    expect(encodeStreamMessage(value)).toEqual(golden);
  });

  it('a video-only handshake may carry zero audio fields', () => {
    const v: Handshake = { ...value, hasAudio: false, sampleRate: 0, channels: 0, chunkFrames: 0 };
    expect(decodeStreamMessage(encodeStreamMessage(v))).toEqual(v);
  });

  it('rejects fps with a zero term, audio with zero channels, and unknown flags', () => {
    expect(() => encodeStreamMessage({ ...value, fpsDen: 0 })).toThrow(EncodeError);
    const b = Buffer.from(golden);
    b.writeUInt32BE(0, 16);
    expect(() => decodeStreamMessage(b)).toThrow(/fps 24000\/0/);
    const c = Buffer.from(golden);
    c.writeUInt16BE(0, 36);
    expect(() => decodeStreamMessage(c)).toThrow(/audio needs/);
    const f = Buffer.from(golden);
    f.writeUInt16BE(3, 38);
    expect(() => decodeStreamMessage(f)).toThrow(/unknown handshake flags/);
  });
});

describe('AudioChunk golden bytes', () => {
  const golden = hex(`
    41 56                    # magic "AV"
    01                       # version 1
    12                       # type 0x12 audio
    00 00 00 10              # body length 16 = 12 + 4 pcm bytes
    00 00 00 2b              # seq 43
    00 00 00 00 00 0f 3c 3a  # ptsUs 998458 = round(43 · 1024 · 1e6 / 44100)
    01 00 ff ff              # pcm: one stereo s16le frame (1, −1)
  `);

  it('decodes field by field, and encodes back exactly', () => {
    const d = decodeStreamMessage(golden);
    expect(d).toEqual({ type: 'audio', seq: 43, ptsUs: Math.round((43 * 1024 * 1e6) / 44100), pcm: hex('01 00 ff ff') });
    expect(encodeStreamMessage(d)).toEqual(golden);
  });

  it('rejects an empty pcm', () => {
    expect(() => encodeStreamMessage({ type: 'audio', seq: 0, ptsUs: 0, pcm: Buffer.alloc(0) })).toThrow(EncodeError);
    const b = Buffer.from(golden.subarray(0, 20));
    b.writeUInt32BE(12, 4);
    expect(() => decodeStreamMessage(b)).toThrow(/leaves no pcm/);
  });
});

describe('EndOfStream golden bytes', () => {
  const golden = hex(`
    41 56                    # magic "AV"
    01                       # version 1
    13                       # type 0x13 end-of-stream
    00 00 00 08              # body length 8
    00 00 00 00 01 31 2d 00  # ptsUs 20000000
  `);

  it('decodes, and encodes back exactly', () => {
    expect(decodeStreamMessage(golden)).toEqual({ type: 'eos', ptsUs: 20_000_000 });
    expect(encodeStreamMessage({ type: 'eos', ptsUs: 20_000_000 })).toEqual(golden);
  });

  it('rejects a body length other than 8', () => {
    const b = Buffer.concat([golden, Buffer.alloc(1)]);
    b.writeUInt32BE(9, 4);
    expect(() => decodeStreamMessage(b)).toThrow(/end-of-stream body length 9, expected 8/);
  });
});

describe('round trips', () => {
  const u32 = fc.nat({ max: 0xffff_ffff });
  const pts = fc.maxSafeNat();
  const streamMessage: fc.Arbitrary<StreamMessage> = fc.oneof(
    fc.record({
      type: fc.constant('handshake' as const),
      token: u32,
      fpsNum: fc.integer({ min: 1, max: 0xffff_ffff }),
      fpsDen: fc.integer({ min: 1, max: 0xffff_ffff }),
      width: u32,
      height: u32,
      durationUs: pts,
      sampleRate: fc.integer({ min: 1, max: 0xffff_ffff }),
      channels: fc.integer({ min: 1, max: 0xffff }),
      chunkFrames: fc.integer({ min: 1, max: 0xffff_ffff }),
      hasAudio: fc.constant(true),
    }),
    fc.record({ type: fc.constant('audio' as const), seq: u32, ptsUs: pts, pcm: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)) }),
    fc.record({ type: fc.constant('eos' as const), ptsUs: pts }),
  );

  it('decode(encode(m)) = m for every stream message', () => {
    fc.assert(
      fc.property(streamMessage, (m) => {
        expect(decodeStreamMessage(encodeStreamMessage(m))).toEqual(m);
      }),
      { numRuns: 3000 },
    );
  });

  it('decode(encode(f)) = f for every fragment and hello', () => {
    fc.assert(
      fc.property(
        u32,
        u32,
        pts,
        fc.integer({ min: 1, max: MAX_FRAGMENTS }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (seq, frameId, ptsUs, count, p) => {
          const f: VideoFragment = { type: 'fragment', seq, frameId, ptsUs, index: count - 1, count, payload: Buffer.from(p) };
          expect(decodeDatagram(encodeFragment(f))).toEqual(f);
          expect(decodeDatagram(encodeHello(seq))).toEqual({ type: 'hello', token: seq });
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('fragmentFrame()', () => {
  it('splits a frame into datagrams of ≤ 1400 bytes with consecutive wrapping seq that rebuild the frame', () => {
    fc.assert(
      // Up to 300 fragments a frame (size bounded by the datagram size drawn), so 300 runs stay
      // well under a second: 20 kB in 30-byte datagrams is ~3300 fragments a run, no extra coverage.
      fc.property(
        fc
          .integer({ min: 30, max: 3000 })
          .chain((maxDatagram) => fc.tuple(fc.integer({ min: 1, max: Math.min(20_000, (maxDatagram - 24) * 300) }), fc.constant(maxDatagram))),
        fc.nat({ max: 0xffff_ffff }),
        ([size, maxDatagram], firstSeq) => {
          const jpeg = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff));
          const dgrams = fragmentFrame({ frameId: 5, ptsUs: 123, jpeg }, firstSeq, maxDatagram);
          expect(dgrams.length).toBe(Math.ceil(size / (maxDatagram - 24)));
          const frags = dgrams.map((d) => decodeDatagram(d) as VideoFragment);
          // One comparison per run, not four expect() calls per fragment.
          expect(frags.map((f) => [f.seq, f.index, f.count])).toEqual(frags.map((_, i) => [(firstSeq + i) >>> 0, i, dgrams.length]));
          expect(Math.max(...dgrams.map((d) => d.length))).toBeLessThanOrEqual(maxDatagram);
          // Buffer.equals, not toEqual: the deep-equality walk over 20 kB per run was the slow part.
          expect(Buffer.concat(frags.map((f) => f.payload)).equals(jpeg)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses 1400-byte datagrams by default: a 1376-byte frame is one datagram, 1377 two', () => {
    expect(MAX_FRAMED_DATAGRAM).toBe(1400);
    expect(fragmentFrame({ frameId: 0, ptsUs: 0, jpeg: Buffer.alloc(1376, 1) }, 0)).toHaveLength(1);
    const two = fragmentFrame({ frameId: 0, ptsUs: 0, jpeg: Buffer.alloc(1377, 1) }, 0);
    expect(two.map((d) => d.length)).toEqual([1400, 25]);
  });

  it('carries a 5 MB frame (4096 fragments) and refuses one fragment more with FrameTooLargeError', () => {
    const max = 4096 * 1376;
    expect(fragmentFrame({ frameId: 0, ptsUs: 0, jpeg: Buffer.alloc(max, 1) }, 0)).toHaveLength(4096);
    expect(() => fragmentFrame({ frameId: 0, ptsUs: 0, jpeg: Buffer.alloc(max + 1, 1) }, 0)).toThrow(FrameTooLargeError);
  });

  it('refuses an empty frame and a maxDatagram that leaves no payload', () => {
    expect(() => fragmentFrame({ frameId: 0, ptsUs: 0, jpeg: Buffer.alloc(0) }, 0)).toThrow(EncodeError);
    expect(() => fragmentFrame({ frameId: 0, ptsUs: 0, jpeg: Buffer.alloc(1) }, 0, 24)).toThrow(EncodeError);
  });
});
