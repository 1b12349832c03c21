import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../errors.ts';
import { encodeStreamMessage, StreamDeframer, type StreamMessage } from './index.ts';

const handshake: StreamMessage = {
  type: 'handshake',
  token: 7,
  fpsNum: 30000,
  fpsDen: 1001,
  width: 400,
  height: 226,
  durationUs: 20_000_000,
  sampleRate: 44100,
  channels: 2,
  chunkFrames: 1024,
  hasAudio: true,
};
const pcm = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff));
const session: StreamMessage[] = [
  handshake,
  { type: 'audio', seq: 0, ptsUs: 0, pcm },
  { type: 'audio', seq: 1, ptsUs: 23220, pcm: pcm.subarray(0, 8) },
  { type: 'eos', ptsUs: 20_000_000 },
];
const wire = Buffer.concat(session.map(encodeStreamMessage));

/** Cheap exact comparison (vitest's deep equality walks 4 KiB buffers byte by byte): re-encode and compare bytes. */
function sameMessages(got: StreamMessage[], want: StreamMessage[]): boolean {
  return got.length === want.length && got.every((m, i) => encodeStreamMessage(m).equals(encodeStreamMessage(want[i]!)));
}

function feed(d: StreamDeframer, pieces: Buffer[]): { messages: StreamMessage[]; error?: DecodeError } {
  const messages: StreamMessage[] = [];
  let error: DecodeError | undefined;
  for (const p of pieces) {
    const r = d.push(p);
    messages.push(...r.messages);
    error ??= r.error;
  }
  return error ? { messages, error } : { messages };
}

describe('StreamDeframer', () => {
  it('decodes a whole session pushed at once', () => {
    expect(new StreamDeframer().push(wire)).toEqual({ messages: session });
  });

  it('decodes every message split at every byte boundary', () => {
    // Each message on its own (after the handshake, so order rules hold), split in two everywhere.
    const hs = encodeStreamMessage(handshake);
    for (const m of session) {
      const bytes = encodeStreamMessage(m);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const d = new StreamDeframer();
        const pre = m.type === 'handshake' ? [] : [hs];
        const r = feed(d, [...pre, bytes.subarray(0, cut), bytes.subarray(cut)]);
        expect(r.error).toBeUndefined();
        expect(sameMessages(r.messages.slice(-1), [m])).toBe(true);
        expect(d.buffered).toBe(0);
      }
    }
  });

  it('decodes the session split into 3 random pieces, and byte by byte', () => {
    fc.assert(
      fc.property(fc.nat({ max: wire.length }), fc.nat({ max: wire.length }), (a, b) => {
        const [i, j] = a < b ? [a, b] : [b, a];
        const r = feed(new StreamDeframer(), [wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)]);
        expect(r.error).toBeUndefined();
        expect(sameMessages(r.messages, session)).toBe(true);
      }),
      { numRuns: 500 },
    );
    const bytes = [...wire].map((b) => Buffer.from([b]));
    expect(feed(new StreamDeframer(), bytes)).toEqual({ messages: session });
  });

  it('returned pcm owns its memory (not a view into the pushed chunk)', () => {
    const chunk = Buffer.from(wire);
    const { messages } = new StreamDeframer().push(chunk);
    chunk.fill(0);
    expect(messages).toEqual(session);
  });

  it('rejects a declared length above the cap from the 8-byte header alone, before buffering the body', () => {
    const d = new StreamDeframer({ maxMessageBytes: 1024 });
    const head = Buffer.from('4156011200100000', 'hex'); // audio, body length 1 MiB
    const r = d.push(Buffer.concat([encodeStreamMessage(handshake), head]));
    expect(r.messages).toHaveLength(1);
    expect(r.error?.code).toBe('E_TOO_LARGE');
    expect(r.error?.message).toMatch(/above the 1024-byte cap/);
    const huge = Buffer.from('41560112ffffffff', 'hex');
    expect(new StreamDeframer().push(huge).error?.message).toMatch(/above the 1048576-byte cap/);
  });

  it('says "--wire tutorial" when it receives the tutorial\'s u64le length + pickle', () => {
    const r = new StreamDeframer().push(Buffer.from('120000000000000080049507', 'hex'));
    expect(r.error?.code).toBe('E_WIRE_MISMATCH');
    expect(r.error?.message).toMatch(/--wire tutorial/);
  });

  it('enforces Handshake → AudioChunk* → EndOfStream', () => {
    const enc = (m: StreamMessage): Buffer => encodeStreamMessage(m);
    const audio = session[1]!;
    const eos = session[3]!;
    expect(new StreamDeframer().push(enc(audio)).error?.message).toMatch(/audio message before the handshake/);
    expect(new StreamDeframer().push(Buffer.concat([enc(handshake), enc(handshake)])).error?.message).toMatch(/second handshake/);
    expect(new StreamDeframer().push(Buffer.concat([enc(handshake), enc(eos), enc(audio)])).error?.message).toMatch(/after end-of-stream/);
    const odd = enc({ type: 'audio', seq: 0, ptsUs: 0, pcm: Buffer.alloc(6) });
    expect(new StreamDeframer().push(Buffer.concat([enc(handshake), odd])).error?.message).toMatch(/not whole s16 frames of 2 channel/);
    const noAudio = enc({ ...handshake, hasAudio: false });
    expect(new StreamDeframer().push(Buffer.concat([noAudio, enc(audio)])).error?.message).toMatch(/hasAudio = false/);
    expect(new StreamDeframer({ enforceOrder: false }).push(enc(audio))).toEqual({ messages: [audio] });
  });

  it('stays failed after an error (the caller closes the connection); a fresh de-framer decodes', () => {
    const d = new StreamDeframer();
    const first = d.push(Buffer.from('deadbeefdeadbeef', 'hex'));
    expect(first.error).toBeInstanceOf(DecodeError);
    expect(d.push(wire)).toEqual({ messages: [], error: first.error });
    expect(new StreamDeframer().push(wire)).toEqual({ messages: session });
  });

  it('returns the messages decoded before an error in the same push', () => {
    const r = new StreamDeframer().push(Buffer.concat([encodeStreamMessage(handshake), Buffer.from('0000000000000000', 'hex')]));
    expect(r.messages).toEqual([handshake]);
    expect(r.error).toBeInstanceOf(DecodeError);
  });
});
