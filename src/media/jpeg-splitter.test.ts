import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../protocol/errors.ts';
import { JpegSplitter, jpegDimensions } from './jpeg-splitter.ts';

const seg = (code: number, payload: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h[0] = 0xff;
  h[1] = code;
  h.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([h, payload]);
};

/**
 * A structurally valid JPEG whose APP1 payload and entropy data contain the traps: FF D9 inside
 * APP1, FF 00 stuffing and RST markers and fill bytes inside the scan.
 */
function fakeJpeg(id: number, entropy: Buffer = Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd3, 0x56, id & 0xff])): Buffer {
  const sof = Buffer.from([8, 0, 226, 1, 144, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]); // 400x226
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe1, Buffer.from([0x45, 0x78, 0xff, 0xd9, 0xff, 0xd8, id & 0xff])), // APP1 with EOI/SOI bytes inside
    seg(0xdb, Buffer.alloc(65, 1)),
    seg(0xc0, sof),
    seg(0xc4, Buffer.alloc(20, 2)),
    seg(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    entropy,
    Buffer.from([0xff, 0xff, 0xd9]), // fill byte before EOI
  ]);
}

function splitAll(chunks: Buffer[]): Buffer[] {
  const s = new JpegSplitter();
  return chunks.flatMap((c) => s.push(c));
}

describe('JpegSplitter', () => {
  it('round-trips a stream of JPEGs pushed in one chunk', () => {
    const jpegs = [0, 1, 2, 3].map((i) => fakeJpeg(i));
    const out = splitAll([Buffer.concat(jpegs)]);
    expect(out.map((b) => b.toString('hex'))).toEqual(jpegs.map((b) => b.toString('hex')));
  });

  it('gives the same JPEGs at every split point', () => {
    const jpegs = [fakeJpeg(7), fakeJpeg(8)];
    const stream = Buffer.concat(jpegs);
    for (let cut = 0; cut <= stream.length; cut++) {
      const out = splitAll([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(
        out.map((b) => b.toString('hex')),
        `split at ${cut}`,
      ).toEqual(jpegs.map((b) => b.toString('hex')));
    }
  });

  it('gives the same JPEGs when fed one byte at a time', () => {
    const jpegs = [fakeJpeg(1), fakeJpeg(2), fakeJpeg(3)];
    const stream = Buffer.concat(jpegs);
    const s = new JpegSplitter();
    const out: Buffer[] = [];
    for (const b of stream) out.push(...s.push(Buffer.from([b])));
    expect(Buffer.concat(out).equals(stream)).toBe(true);
    expect(out).toHaveLength(3);
  });

  it('round-trips random entropy data and random chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        (scans, sizes) => {
          // Make the random scan legal: every FF is followed by 00 (stuffing) as an encoder would write.
          const jpegs = scans.map((scan, i) => {
            const bytes: number[] = [];
            for (const b of scan) {
              bytes.push(b);
              if (b === 0xff) bytes.push(0x00);
            }
            return fakeJpeg(i, Buffer.from(bytes));
          });
          const stream = Buffer.concat(jpegs);
          const s = new JpegSplitter();
          const out: Buffer[] = [];
          for (let at = 0, k = 0; at < stream.length; k++) {
            const len = sizes[k % sizes.length]!;
            out.push(...s.push(stream.subarray(at, at + len)));
            at += len;
          }
          expect(out.map((b) => b.toString('hex'))).toEqual(jpegs.map((b) => b.toString('hex')));
          expect(s.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('on random bytes only throws DecodeError, and a fresh splitter still works afterwards', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        const s = new JpegSplitter({ maxFrameBytes: 256 });
        try {
          s.push(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        expect(new JpegSplitter().push(fakeJpeg(1))).toHaveLength(1);
      }),
    );
  });

  it('skips bytes before the first SOI', () => {
    const s = new JpegSplitter();
    const out = s.push(Buffer.concat([Buffer.from([1, 2, 0xff, 3]), fakeJpeg(5)]));
    expect(out).toHaveLength(1);
    expect(s.skippedBytes).toBe(4);
  });

  it('refuses a JPEG above maxFrameBytes with a DecodeError', () => {
    const s = new JpegSplitter({ maxFrameBytes: 100 });
    expect(() => s.push(fakeJpeg(1, Buffer.alloc(500, 0x11)))).toThrow(DecodeError);
  });

  it('jpegDimensions reads the SOF segment', () => {
    expect(jpegDimensions(fakeJpeg(1))).toEqual({ width: 400, height: 226 });
  });
});
