import { describe, expect, it } from 'vitest';
import { FrameTooLargeError } from '../protocol/errors.ts';
import { MAX_TUTORIAL_JPEG } from '../protocol/tutorial/index.ts';
import { WIRE_NAMES, wireFor, type StreamDescription, type StreamEvent } from './index.ts';

const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(5000, 7), Buffer.from([0xff, 0xd9])]);
const stream: StreamDescription = {
  fpsNum: 30000,
  fpsDen: 1001,
  width: 400,
  height: 226,
  durationUs: 2_000_000,
  sampleRate: 44100,
  channels: 2,
  chunkFrames: 1024,
  hasAudio: true,
};

function readAll(name: 'framed' | 'tutorial', messages: Buffer[]): StreamEvent[] {
  const reader = wireFor(name).newStreamReader();
  const bytes = Buffer.concat(messages);
  const events: StreamEvent[] = [];
  // One byte at a time: a reader must not care where TCP splits its messages.
  for (let i = 0; i < bytes.length; i++) {
    const r = reader.push(bytes.subarray(i, i + 1));
    expect(r.error).toBeUndefined();
    events.push(...r.events);
  }
  return events;
}

describe('wireFor()', () => {
  it('gives one implementation per name, each naming itself', () => {
    for (const name of WIRE_NAMES) expect(wireFor(name).name).toBe(name);
  });
});

describe('framed wire', () => {
  const wire = wireFor('framed');

  it('packs a frame into fragments that its video reader turns back into the same frame, pts and id', () => {
    const packer = wire.newFramePacker();
    const reader = wire.newVideoReader();
    const datagrams = packer.pack({ frameId: 9, ptsUs: 33_366, jpeg });
    expect(datagrams.length).toBeGreaterThan(1);
    const frames = datagrams.map((d) => reader.push(d).frame).filter((f) => f !== undefined);
    expect(frames).toEqual([{ jpeg, ptsUs: 33_366, frameId: 9 }]);
    expect(reader.counts()).toEqual({ framesDropped: 0, datagramsLost: 0 });
    expect(reader.push(Buffer.from('junk')).garbage).toMatch(/^framed datagram: bad magic/);
    expect(reader.push(wire.hello({ token: 3 })!).garbage).toBe('a hello datagram from the server');
  });

  it('greets with a Handshake carrying the token, reads it back, then audio and the end', () => {
    const audio = wire.newAudioPacker();
    const pcm = Buffer.alloc(4096, 1);
    const events = readAll('framed', [wire.greeting(77, stream)!, audio.pack(0, pcm), wire.endOfStream(23_220)!]);
    expect(events.map((e) => e.type)).toEqual(['greeting', 'audio', 'end']);
    expect(events[0]).toMatchObject({ handshake: { token: 77, fpsNum: 30000, hasAudio: true } });
    expect(events[1]).toMatchObject({ ptsUs: 0, pcm });
    expect(events[2]).toEqual({ type: 'end', ptsUs: 23_220 });
  });

  it('reads a Hello datagram as a hello with its token, and anything else as none', async () => {
    const { encodeHello } = await import('../protocol/framed/index.ts');
    expect(wire.readHello(encodeHello(5))).toEqual({ token: 5 });
    expect(wire.readHello(Buffer.from('Hello'))).toBeUndefined();
  });

  it('says hello only once the greeting gave the token, after connecting, and keeps saying it', () => {
    expect(wire.helloBeforeConnect).toBe(false);
    expect(wire.hello(undefined)).toBeUndefined();
    expect(wire.readHello(wire.hello({ token: 42 })!)).toEqual({ token: 42 });
    expect([wire.helloNeeded(false), wire.helloNeeded(true)]).toEqual([true, true]);
    expect(wire.fixedAudioFormat).toBeUndefined(); // the greeting says
  });

  it('caps an audio message before allocating it, at the limit the reader was given', () => {
    const bytes = Buffer.concat([wire.greeting(1, stream)!, wire.newAudioPacker().pack(0, Buffer.alloc(4096))]);
    expect(wire.newStreamReader().push(bytes).error).toBeUndefined();
    const header = bytes.subarray(0, bytes.length - 4000); // the audio message's header, not its body
    expect(wire.newStreamReader({ maxMessageBytes: 1024 }).push(header).error?.code).toBe('E_TOO_LARGE');
  });
});

describe('tutorial wire', () => {
  const wire = wireFor('tutorial');

  it('packs a frame into one datagram read back without pts or id, and refuses one too large', () => {
    const datagrams = wire.newFramePacker().pack({ frameId: 0, ptsUs: 0, jpeg });
    expect(datagrams).toHaveLength(1);
    expect(wire.newVideoReader().push(datagrams[0]!)).toEqual({ frame: { jpeg } });
    expect(wire.newVideoReader().push(Buffer.from('not base64 at all!')).garbage).toMatch(/^tutorial frame/);
    const notJpeg = wire.newFramePacker().pack({ frameId: 0, ptsUs: 0, jpeg: Buffer.from('GIF89a…') })[0]!;
    expect(wire.newVideoReader().push(notJpeg)).toEqual({ garbage: 'tutorial frame: base64, but not a JPEG' });
    const huge = Buffer.alloc(MAX_TUTORIAL_JPEG + 3, 1);
    expect(() => wire.newFramePacker().pack({ frameId: 0, ptsUs: 0, jpeg: huge })).toThrow(FrameTooLargeError);
  });

  it('has no greeting nor end message; audio read back is timed by its own length', () => {
    expect(wire.greeting(0, stream)).toBeUndefined();
    expect(wire.endOfStream(0)).toBeUndefined();
    const audio = wire.newAudioPacker();
    const pcm = Buffer.alloc(4096, 2); // 1024 stereo s16 frames = 23 219.95 µs at 44.1 kHz
    const events = readAll('tutorial', [audio.pack(0, pcm), audio.pack(0, pcm)]);
    expect(events.map((e) => (e.type === 'audio' ? e.ptsUs : -1))).toEqual([0, (1024 / 44100) * 1e6]);
  });

  it('takes any datagram as the hello (server.py does), and repeats it only until video flows', () => {
    expect(wire.readHello(Buffer.from('anything'))).toEqual({ token: undefined });
    expect(wire.helloNeeded(false)).toBe(true);
    expect(wire.helloNeeded(true)).toBe(false);
    expect(wire.helloBeforeConnect).toBe(true);
    expect(wire.hello(undefined)).toEqual(Buffer.from('Hello'));
    expect(wire.fixedAudioFormat).toEqual({ sampleRate: 44100, channels: 2 });
  });
});
