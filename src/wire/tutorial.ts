/**
 * The tutorial's wire, byte for byte: client.py sends b'Hello' to the video port first, then
 * connects TCP, and never says anything again; the server pairs the two by IP address, oldest
 * first. Each datagram is one base64 JPEG (no PTS, no sequence number), each TCP message a u64le
 * length and pickle(bytes) of PCM. There is no end-of-stream message: a client leaves when its TCP
 * connection closes or a send fails.
 */
import { decodeTutorialFrame, encodeTutorialAudio, encodeTutorialFrame, TUTORIAL_HELLO, TutorialAudioDeframer } from '../protocol/tutorial/index.ts';
import { CHANNELS, pcmDurationUs, SAMPLE_RATE } from './audio-format.ts';
import { hostKey, MAX_PENDING, removeWhere, sameUdp, type AudioPeer, type Registration, type UdpAddress } from './registration.ts';
import type { StreamEvent, Wire } from './wire.ts';

/** client.py opens PyAudio with rate=44100, channels=2, 16-bit: the wire carries no format. */
const TUTORIAL_AUDIO = { sampleRate: SAMPLE_RATE, channels: CHANNELS } as const;

/** A tutorial hello waits this long for its TCP connection (and a connection for its hello) before it is forgotten. */
export const TUTORIAL_PAIRING_TIMEOUT_MS = 5000;

interface PendingHello {
  readonly udp: UdpAddress;
  readonly atMs: number;
}

function addressPairing<P extends AudioPeer>(): Registration<P> {
  let pendingHellos: PendingHello[] = [];
  return {
    token: () => 0,
    connected(client) {
      // Paired at once with the oldest unpaired hello from the same host, if any.
      const host = hostKey(client.peer.remoteAddress);
      const i = pendingHellos.findIndex((h) => hostKey(h.udp.address) === host);
      if (i < 0) return false;
      client.udp = pendingHellos[i]!.udp;
      client.lastHelloMs = pendingHellos[i]!.atMs;
      pendingHellos.splice(i, 1);
      return true;
    },
    hello(table, from, _token, nowMs) {
      // server.py takes any datagram as the hello; a repeated one from an address already playing changes nothing.
      const known = table.all().find((c) => sameUdp(c.udp, from));
      if (known) {
        known.lastHelloMs = nowMs;
        return { client: known, joined: false };
      }
      const host = hostKey(from.address);
      const waiting = table.all().find((c) => c.udp === undefined && hostKey(c.peer.remoteAddress) === host);
      if (waiting) {
        waiting.udp = { address: from.address, port: from.port };
        waiting.lastHelloMs = nowMs;
        return { client: waiting, joined: true };
      }
      if (!pendingHellos.some((h) => sameUdp(h.udp, from))) {
        pendingHellos.push({ udp: { address: from.address, port: from.port }, atMs: nowMs });
        // Bounded: a flood from many source addresses forgets the oldest unpaired hellos first.
        if (pendingHellos.length > MAX_PENDING) pendingHellos.shift();
      }
      return undefined;
    },
    expire(table, nowMs) {
      pendingHellos = pendingHellos.filter((h) => nowMs - h.atMs < TUTORIAL_PAIRING_TIMEOUT_MS);
      // client.py sends its hello before it connects: a connection still unpaired after the pairing
      // timeout is not a tutorial client (a port scan, a stray connection) and must not be kept forever.
      return removeWhere(table, (client) =>
        client.udp === undefined && nowMs - client.connectedMs >= TUTORIAL_PAIRING_TIMEOUT_MS ? 'no hello after connecting' : undefined,
      );
    },
  };
}

export const tutorialWire: Wire = {
  name: 'tutorial',
  numbersFrames: false,

  newRegistration: addressPairing,
  greeting: () => undefined,
  readHello: () => ({ token: undefined }),
  newFramePacker: () => ({ pack: (frame) => [encodeTutorialFrame(frame.jpeg)] }),
  newAudioPacker: () => ({ pack: (_ptsUs, pcm) => encodeTutorialAudio(pcm) }),
  endOfStream: () => undefined,

  async register(link) {
    // client.py: sendto(b'Hello') first, then the TCP connection.
    link.sendHello(TUTORIAL_HELLO);
    await link.connect();
    return { handshake: undefined, frameDurationUs: undefined, audio: TUTORIAL_AUDIO, hello: TUTORIAL_HELLO };
  },
  helloBeforeConnect: true,
  hello: () => TUTORIAL_HELLO,
  // client.py sends its hello once; repeat it only until video flows, in case the first was lost.
  helloNeeded: (videoStarted) => !videoStarted,
  fixedAudioFormat: TUTORIAL_AUDIO,
  newVideoReader() {
    return {
      push(datagram) {
        let jpeg: Buffer;
        try {
          jpeg = decodeTutorialFrame(datagram);
        } catch (error) {
          return { garbage: (error as Error).message };
        }
        // Base64 of anything decodes: only a JPEG's start-of-image marker makes it a picture.
        if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return { garbage: 'tutorial frame: base64, but not a JPEG' };
        return { frame: { jpeg } };
      },
      counts: () => ({ framesDropped: 0, datagramsLost: null }),
    };
  },
  newStreamReader(limits = {}) {
    const deframer = new TutorialAudioDeframer(limits);
    let ptsUs = 0; // no timestamps on this wire: the sound's own length is its clock
    return {
      push(chunk) {
        const { messages, error } = deframer.push(chunk);
        const events: StreamEvent[] = messages.map((pcm) => {
          const event: StreamEvent = { type: 'audio', ptsUs, pcm };
          ptsUs += pcmDurationUs(pcm.length, SAMPLE_RATE, CHANNELS);
          return event;
        });
        return error ? { events, error } : { events };
      },
    };
  },
  connectionClosed: { code: 1, reason: 'the server closed the audio connection (the tutorial wire has no end-of-stream message)', playOutMs: 1000 },
  newFrameTagger() {
    // One datagram is one frame, numbered here in the order sent (the wire numbers nothing).
    let next = 0;
    return () => {
      const part = { frameId: next, index: 0, count: 1 };
      next = (next + 1) >>> 0;
      return part;
    };
  },
  hints: {
    noGreeting: '',
    badGreeting: '',
    corruptStream: '; is the server using --wire tutorial too?',
  },
};
