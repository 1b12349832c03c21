import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyPlayout, type ProbeRecording } from './recording.ts';
import { ResultDecodeError, decodeResult, encodeResult } from './result-codec.ts';

function recording(): ProbeRecording {
  return {
    wire: 'tutorial',
    connected: true,
    startedMs: 1,
    registeredMs: 2,
    firstFrameMs: 10,
    plannedEndMs: 8010,
    endedMs: 8011,
    aborted: false,
    frames: [
      { arrivalMs: 10, bytes: 3, jpeg: Buffer.from([0xff, 0xd8, 0x01]) },
      { arrivalMs: 43.5, bytes: 5 }, // over the keep cap: no bytes
      { arrivalMs: 77, bytes: 2, ptsUs: 66_666, frameId: 2, jpeg: Buffer.from([0xff, 0xd8]) },
    ],
    audio: [
      { arrivalMs: 5, playMs: 5, bytes: 4, pcm: Buffer.from([1, 2, 3, 4]) },
      { arrivalMs: 6, playMs: 5.02, bytes: 4 },
    ],
    playout: { ...emptyPlayout(1000), heldBack: [[7, 8]], heldBackMs: 1, emptyMessages: 3, emptyFirstMs: 9 },
    datagrams: 3,
    datagramBytes: 30,
    garbageDatagrams: 0,
    audioBytes: 8,
    audioClosed: false,
    eos: false,
    truncated: ['jpeg'],
  };
}

describe('probe result codec', () => {
  it('round-trips a recording with and without kept bytes', () => {
    const rec = recording();
    const back = decodeResult(encodeResult(rec));
    expect(back).toEqual(rec);
    expect(Buffer.isBuffer(back.frames[0]!.jpeg)).toBe(true);
    expect(back.frames[1]!.jpeg).toBeUndefined();
  });

  it('refuses every truncation with a one-line ResultDecodeError', () => {
    const buf = encodeResult(recording());
    for (let n = 0; n < buf.length; n++) {
      expect(() => decodeResult(buf.subarray(0, n))).toThrow(ResultDecodeError);
    }
  });

  it('refuses trailing bytes, a wrong magic and a lying JSON length', () => {
    const buf = encodeResult(recording());
    expect(() => decodeResult(Buffer.concat([buf, Buffer.from([0])]))).toThrow(/after its last blob/);
    expect(() => decodeResult(Buffer.concat([Buffer.from('XXXX'), buf.subarray(4)]))).toThrow(/does not start with AVSR/);
    const lying = Buffer.from(buf);
    lying.writeUInt32BE(0xffffffff, 4);
    expect(() => decodeResult(lying)).toThrow(/above the .*-byte cap/);
  });

  it('random bytes raise only ResultDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, magic) => {
        const buf = Buffer.concat([magic ? Buffer.from('AVSR') : Buffer.alloc(0), Buffer.from(bytes)]);
        try {
          decodeResult(buf);
        } catch (error) {
          expect(error).toBeInstanceOf(ResultDecodeError);
        }
      }),
    );
  });
});
