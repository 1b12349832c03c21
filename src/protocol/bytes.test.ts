import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteQueue, ByteReader, ByteWriter } from './bytes.ts';
import { DecodeError, EncodeError } from './errors.ts';

describe('ByteReader', () => {
  it('reads each width in the byte order its name says', () => {
    const r = new ByteReader(Buffer.from('01' + '0203' + '0405' + '06070809' + '0a0b0c0d' + '0000000000000102' + '0201000000000000', 'hex'));
    expect(r.u8()).toBe(0x01);
    expect(r.u16be()).toBe(0x0203);
    expect(r.u16le()).toBe(0x0504);
    expect(r.u32be()).toBe(0x06070809);
    expect(r.u32le()).toBe(0x0d0c0b0a);
    expect(r.u64be()).toBe(0x0102);
    expect(r.u64le()).toBe(0x0102);
    r.expectEnd();
  });

  it('throws DecodeError naming the field and offset when a read runs past the end', () => {
    const r = new ByteReader(Buffer.from([1, 2, 3]), 'test message');
    r.u8();
    expect(() => r.u32be('token')).toThrow(DecodeError);
    expect(() => r.u32be('token')).toThrow(/test message: token needs 4 byte\(s\) at offset 1, only 2 left/);
  });

  it('refuses a u64 above 2^53 − 1 instead of rounding it', () => {
    const r = new ByteReader(Buffer.from('ffffffffffffffff', 'hex'));
    expect(() => r.u64be('ptsUs')).toThrow(/above 2\^53/);
    expect(new ByteReader(Buffer.from('ffffffffffffffff', 'hex')).u64beBig()).toBe(2n ** 64n - 1n);
  });

  it('expectEnd() reports trailing bytes', () => {
    const r = new ByteReader(Buffer.from([1, 2]));
    r.u8();
    expect(() => r.expectEnd()).toThrow(/1 unexpected trailing byte/);
  });
});

describe('ByteWriter', () => {
  it('round-trips every width through ByteReader', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), fc.nat({ max: 0xffff_ffff }), fc.maxSafeNat(), (a, b, c, d) => {
        const w = new ByteWriter(1 + 2 + 2 + 4 + 4 + 8 + 8);
        w.u8(a).u16be(b).u16le(b).u32be(c).u32le(c).u64be(d).u64le(d);
        const r = new ByteReader(w.finish());
        expect([r.u8(), r.u16be(), r.u16le(), r.u32be(), r.u32le(), r.u64be(), r.u64le()]).toEqual([a, b, b, c, c, d, d]);
      }),
      { numRuns: 2000 },
    );
  });

  it('u64le matches BigInt encoding', () => {
    const w = new ByteWriter(8).u64le(Number.MAX_SAFE_INTEGER);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(Number.MAX_SAFE_INTEGER));
    expect(w.finish()).toEqual(b);
  });

  it('refuses out-of-range values, overflow and an unfilled buffer with EncodeError', () => {
    expect(() => new ByteWriter(1).u8(256)).toThrow(EncodeError);
    expect(() => new ByteWriter(4).u32be(-1)).toThrow(EncodeError);
    expect(() => new ByteWriter(4).u32be(1.5)).toThrow(EncodeError);
    expect(() => new ByteWriter(8).u64be(2 ** 53)).toThrow(EncodeError);
    expect(() => new ByteWriter(1).u16be(1)).toThrow(/overflow/);
    expect(() => new ByteWriter(2).u8(1).finish()).toThrow(/wrote 1 of 2/);
  });
});

describe('ByteQueue', () => {
  it('peek/take/skip across chunk boundaries give the concatenated bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 10 }), fc.array(fc.nat({ max: 12 }), { maxLength: 10 }), (chunks, takes) => {
        const q = new ByteQueue();
        for (const c of chunks) q.push(Buffer.from(c));
        let all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        for (const t of takes) {
          const n = Math.min(t, q.length);
          expect(q.peek(n)).toEqual(all.subarray(0, n));
          const got = t % 3 === 0 ? (q.skip(n), all.subarray(0, n)) : q.take(n);
          expect(got).toEqual(all.subarray(0, n));
          all = all.subarray(n);
          expect(q.length).toBe(all.length);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('take() returns a copy that does not alias the pushed chunk', () => {
    const q = new ByteQueue();
    const chunk = Buffer.from([1, 2, 3]);
    q.push(chunk);
    const t = q.take(2);
    chunk[0] = 9;
    expect([...t]).toEqual([1, 2]);
  });
});
