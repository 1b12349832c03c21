/**
 * Random and mutated inputs for every parser: ≥ 100 000 per parser. Only our errors
 * (AvsockError: DecodeError …) may escape, and the parser still decodes a valid message afterwards.
 * Stateless decoders are checked with the same function; the stream de-framers stay failed after an
 * error by design (the connection is closed), so there we check that the failure is sticky and that a
 * fresh instance decodes.
 *
 * Inputs: half from fast-check (fc.sample with a fixed seed: arbitrary bytes with its bias towards
 * edge values), half mutations of valid messages from a seeded PRNG (bit flips, truncation, inserted
 * or deleted bytes, length fields forced to 0 / max / 2^63, splices of two messages).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AvsockError } from './errors.ts';
import {
  decodeDatagram,
  decodeStreamMessage,
  encodeFragment,
  encodeHello,
  encodeStreamMessage,
  FrameReassembler,
  peekFragment,
  SequenceTracker,
  StreamDeframer,
  type StreamMessage,
} from './framed/index.ts';
import {
  decodeTutorialAudio,
  decodeTutorialFrame,
  encodeTutorialAudio,
  encodeTutorialFrame,
  pickleBytes,
  TutorialAudioDeframer,
  unpickleBytes,
} from './tutorial/index.ts';

const RUNS = 100_000;
const SEED = 20240216;

/** xorshift32: fast and reproducible. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(rand: () => number, valid: Buffer[]): Buffer {
  const base = valid[rand() % valid.length]!;
  let b = Buffer.from(base);
  const steps = 1 + (rand() % 3);
  for (let s = 0; s < steps; s++) {
    switch (rand() % 8) {
      case 0: // flip a bit
        if (b.length) b[rand() % b.length]! ^= 1 << (rand() % 8);
        break;
      case 1: // truncate
        b = b.subarray(0, rand() % (b.length + 1));
        break;
      case 2: // insert random bytes
        {
          const at = rand() % (b.length + 1);
          const ins = Buffer.from(Array.from({ length: 1 + (rand() % 8) }, () => rand() & 0xff));
          b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        }
        break;
      case 3: // delete a range
        {
          const at = rand() % (b.length + 1);
          b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + (rand() % 4))]);
        }
        break;
      case 4: // set a byte to an edge value
        if (b.length) b[rand() % b.length] = [0x00, 0xff, 0x7f, 0x80][rand() % 4]!;
        break;
      case 5: // overwrite 4 or 8 bytes (a length field, usually) with 0, max, or 2^63
        if (b.length >= 8) {
          const at = rand() % (b.length - 7);
          const v = [0n, 2n ** 64n - 1n, 2n ** 63n, BigInt(rand())][rand() % 4]!;
          if (rand() & 1) b.writeBigUInt64LE(v, at);
          else b.writeUInt32BE(Number(v & 0xffff_ffffn), at);
        }
        break;
      case 6: // splice with another valid message
        b = Buffer.concat([b.subarray(0, rand() % (b.length + 1)), valid[rand() % valid.length]!.subarray(rand() % 16)]);
        break;
      default: // random bytes of similar length
        b = Buffer.from(Array.from({ length: rand() % (b.length + 2) }, () => rand() & 0xff));
    }
  }
  return b;
}

function inputs(valid: Buffer[], seed: number, maxLength: number): Buffer[] {
  const half = RUNS / 2;
  const random = fc.sample(fc.uint8Array({ maxLength }), { numRuns: half, seed }).map((a) => Buffer.from(a.buffer, a.byteOffset, a.length));
  const rand = prng(seed);
  const mutated = Array.from({ length: RUNS - half }, () => mutate(rand, valid));
  return [...random, ...mutated];
}

/**
 * Runs f on every input; only AvsockError may escape. Returns how many threw.
 * Stack capture is switched off meanwhile: it is most of the cost of a thrown error and not what is tested.
 */
function onlyOurErrors(all: Buffer[], f: (b: Buffer) => unknown): number {
  let threw = 0;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const b of all) {
      try {
        f(b);
      } catch (err) {
        if (!(err instanceof AvsockError)) {
          Error.stackTraceLimit = limit;
          throw new Error(`foreign error ${String(err)} for input ${b.toString('hex').slice(0, 200)}`, { cause: err });
        }
        threw++;
      }
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
  return threw;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what); // not an AvsockError, so onlyOurErrors reports it
}

const handshake: StreamMessage = {
  type: 'handshake',
  token: 1,
  fpsNum: 30,
  fpsDen: 1,
  width: 400,
  height: 226,
  durationUs: 5_000_000,
  sampleRate: 44100,
  channels: 2,
  chunkFrames: 1024,
  hasAudio: true,
};
const streamValid = [
  encodeStreamMessage(handshake),
  encodeStreamMessage({ type: 'audio', seq: 3, ptsUs: 69_660, pcm: Buffer.alloc(64, 3) }),
  encodeStreamMessage({ type: 'eos', ptsUs: 5_000_000 }),
];
const session = Buffer.concat(streamValid);
const datagramValid = [
  encodeFragment({ seq: 9, frameId: 2, ptsUs: 66_666, index: 1, count: 3, payload: Buffer.alloc(40, 9) }),
  encodeFragment({ seq: 0xffff_ffff, frameId: 0, ptsUs: 0, index: 0, count: 1, payload: Buffer.from([0xff, 0xd8]) }),
  encodeHello(0xabcdef01),
];
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 40 }, (_, i) => i), 0xff, 0xd9]);
const pickleValid = [pickleBytes(Buffer.alloc(0)), pickleBytes(Buffer.alloc(10, 1)), pickleBytes(Buffer.alloc(300, 2))];
const audioValid = [encodeTutorialAudio(Buffer.alloc(16, 5)), encodeTutorialAudio(Buffer.alloc(300, 6))];

describe(`random and mutated inputs (${RUNS} per parser)`, () => {
  it('decodeDatagram: only DecodeError, and it still decodes', () => {
    const all = inputs(datagramValid, SEED + 1, 64);
    const threw = onlyOurErrors(all, decodeDatagram);
    expect(threw).toBeGreaterThan(RUNS / 2);
    expect(decodeDatagram(datagramValid[2]!)).toEqual({ type: 'hello', token: 0xabcdef01 });
  });

  it('peekFragment: never throws and places exactly the datagrams decodeDatagram reads as fragments', () => {
    const all = inputs(datagramValid, SEED + 1, 64);
    let placed = 0;
    onlyOurErrors(all, (b) => {
      const place = peekFragment(b);
      let decoded;
      try {
        decoded = decodeDatagram(b);
      } catch {
        decoded = undefined;
      }
      const expected = decoded?.type === 'fragment' ? { frameId: decoded.frameId, index: decoded.index, count: decoded.count } : undefined;
      check(JSON.stringify(place) === JSON.stringify(expected), `peekFragment disagrees with decodeDatagram on ${b.toString('hex')}`);
      if (place) placed++;
    });
    expect(placed).toBeGreaterThan(1000);
  });

  it('decodeStreamMessage: only DecodeError, and it still decodes', () => {
    const all = inputs(streamValid, SEED + 2, 96);
    onlyOurErrors(all, (b) => decodeStreamMessage(b));
    expect(decodeStreamMessage(streamValid[2]!)).toEqual({ type: 'eos', ptsUs: 5_000_000 });
  });

  it('StreamDeframer: never throws; an error is sticky and a fresh instance decodes', () => {
    const all = inputs(streamValid, SEED + 3, 96);
    let d = new StreamDeframer();
    let errors = 0;
    onlyOurErrors(all, (b) => {
      const r = d.push(b);
      if (r.error) {
        errors++;
        check(d.push(session).error === r.error, 'error not sticky');
        check(new StreamDeframer().push(session).messages.length === 3, 'fresh de-framer does not decode');
        d = new StreamDeframer();
      }
    });
    expect(errors).toBeGreaterThan(1000);
  });

  it('decodeTutorialFrame: only DecodeError, and it still decodes', () => {
    const all = inputs([encodeTutorialFrame(jpeg), Buffer.from('Hello')], SEED + 4, 96);
    onlyOurErrors(all, decodeTutorialFrame);
    expect(decodeTutorialFrame(encodeTutorialFrame(jpeg))).toEqual(jpeg);
  });

  it('unpickleBytes: only DecodeError, and it still decodes', () => {
    const all = inputs(pickleValid, SEED + 5, 64);
    onlyOurErrors(all, unpickleBytes);
    expect(unpickleBytes(pickleValid[1]!)).toEqual(Buffer.alloc(10, 1));
  });

  it('decodeTutorialAudio: only DecodeError, and it still decodes', () => {
    const all = inputs(audioValid, SEED + 6, 64);
    onlyOurErrors(all, (b) => decodeTutorialAudio(b));
    expect(decodeTutorialAudio(audioValid[0]!)).toEqual(Buffer.alloc(16, 5));
  });

  it('TutorialAudioDeframer: never throws; an error is sticky and a fresh instance decodes', () => {
    const all = inputs(audioValid, SEED + 7, 64);
    const stream = Buffer.concat(audioValid);
    let d = new TutorialAudioDeframer();
    let errors = 0;
    onlyOurErrors(all, (b) => {
      const r = d.push(b);
      if (r.error) {
        errors++;
        check(d.push(stream).error === r.error, 'error not sticky');
        check(new TutorialAudioDeframer().push(stream).messages.length === 2, 'fresh de-framer does not decode');
        d = new TutorialAudioDeframer();
      }
    });
    expect(errors).toBeGreaterThan(1000);
  });

  it('FrameReassembler and SequenceTracker: any decodable fragment stream, no throw, memory bounded', () => {
    const all = inputs(datagramValid, SEED + 8, 64);
    const r = new FrameReassembler({ maxFramesInFlight: 8, maxBytesInFlight: 4096 });
    const t = new SequenceTracker();
    for (const b of all) {
      let d;
      try {
        d = decodeDatagram(b);
      } catch {
        continue;
      }
      if (d.type !== 'fragment') continue;
      t.observe(d.seq);
      const frame = r.push({ ...d, frameId: d.frameId % 64 });
      check(frame === undefined || frame.jpeg.length > 0, 'empty frame');
      check(r.framesInFlight <= 8 && r.bytesInFlight <= 4096, 'reassembler over its bounds');
    }
    expect(t.lost).toBeGreaterThanOrEqual(0);
    expect(t.received).toBeGreaterThan(0);
  });
});
