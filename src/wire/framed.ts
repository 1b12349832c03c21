/**
 * avsock's own wire: a TCP connection gets a random token in its Handshake; the client's UDP
 * Hello{token} names its UDP address and, repeated every second, keeps it alive. Five seconds
 * without a Hello (or never one after connecting) drops the client. Frames are fragmented with
 * sequence numbers and PTS; audio chunks carry their PTS; the file's end is an EndOfStream message.
 */
import {
  decodeDatagram,
  peekFragment,
  encodeHello,
  encodeStreamMessage,
  fragmentFrame,
  FrameReassembler,
  SequenceTracker,
  StreamDeframer,
  type Handshake,
} from '../protocol/framed/index.ts';
import { removeWhere, type AudioPeer, type Registration } from './registration.ts';
import type { StreamEvent, Wire } from './wire.ts';

/** Framed clients send Hello every 1 s; five missed in a row means gone. */
export const KEEPALIVE_TIMEOUT_MS = 5000;

function tokenRegistration<P extends AudioPeer>(): Registration<P> {
  return {
    token(fresh, used) {
      let token: number;
      do token = fresh() >>> 0;
      while (token === 0 || used.has(token));
      return token;
    },
    connected: () => false,
    hello(table, from, token, nowMs) {
      if (token === undefined) return undefined;
      const client = table.all().find((c) => c.token === token >>> 0);
      if (!client) return undefined;
      const joined = client.udp === undefined;
      client.udp = { address: from.address, port: from.port }; // follows a NAT rebinding
      client.lastHelloMs = nowMs;
      return { client, joined };
    },
    expire: (table, nowMs) =>
      removeWhere(table, (client) => {
        if (nowMs - (client.lastHelloMs ?? client.connectedMs) < KEEPALIVE_TIMEOUT_MS) return undefined;
        return client.lastHelloMs === undefined ? 'no hello after connecting' : 'keepalive timeout';
      }),
  };
}

export const framedWire: Wire = {
  name: 'framed',
  numbersFrames: true,

  newRegistration: tokenRegistration,
  greeting: (token, stream) => encodeStreamMessage({ type: 'handshake', token, ...stream }),
  readHello(datagram) {
    try {
      const msg = decodeDatagram(datagram);
      return msg.type === 'hello' ? { token: msg.token } : undefined;
    } catch {
      return undefined;
    }
  },
  newFramePacker() {
    let seq = 0;
    return {
      pack(frame) {
        const datagrams = fragmentFrame(frame, seq);
        seq = (seq + datagrams.length) >>> 0;
        return datagrams;
      },
    };
  },
  newAudioPacker() {
    let seq = 0;
    return {
      pack(ptsUs, pcm) {
        const message = encodeStreamMessage({ type: 'audio', seq, ptsUs, pcm });
        seq = (seq + 1) >>> 0;
        return message;
      },
    };
  },
  endOfStream: (ptsUs) => encodeStreamMessage({ type: 'eos', ptsUs }),

  async register(link) {
    await link.connect();
    const handshake: Handshake = await link.greeting();
    return {
      handshake,
      frameDurationUs: (1e6 * handshake.fpsDen) / handshake.fpsNum,
      audio: handshake.hasAudio ? { sampleRate: handshake.sampleRate, channels: handshake.channels } : undefined,
      hello: encodeHello(handshake.token),
    };
  },
  helloBeforeConnect: false,
  hello: (greeting) => (greeting ? encodeHello(greeting.token) : undefined),
  helloNeeded: () => true, // registration and keepalive
  fixedAudioFormat: undefined,
  newVideoReader() {
    const reassembler = new FrameReassembler();
    const sequence = new SequenceTracker();
    return {
      push(datagram) {
        let message;
        try {
          message = decodeDatagram(datagram);
        } catch (error) {
          return { garbage: (error as Error).message };
        }
        if (message.type !== 'fragment') return { garbage: `a ${message.type} datagram from the server` };
        sequence.observe(message.seq);
        const frame = reassembler.push(message);
        return frame ? { frame: { jpeg: frame.jpeg, ptsUs: frame.ptsUs, frameId: frame.frameId } } : {};
      },
      counts: () => ({ framesDropped: reassembler.stats.framesDropped, datagramsLost: sequence.lost }),
    };
  },
  newStreamReader(limits = {}) {
    const deframer = new StreamDeframer(limits);
    return {
      push(chunk) {
        const { messages, error } = deframer.push(chunk);
        const events: StreamEvent[] = messages.map((m) => {
          if (m.type === 'handshake') return { type: 'greeting', handshake: m };
          if (m.type === 'audio') return { type: 'audio', ptsUs: m.ptsUs, pcm: m.pcm };
          return { type: 'end', ptsUs: m.ptsUs };
        });
        return error ? { events, error } : { events };
      },
    };
  },
  connectionClosed: { code: 1, reason: 'the server closed the connection without end-of-stream: the server is gone', playOutMs: undefined },
  newFrameTagger: () => peekFragment,
  hints: {
    noGreeting: 'is it an avsock server in framed wire? (a tutorial-wire server needs --wire tutorial)',
    badGreeting: 'try --wire tutorial',
    corruptStream: '',
  },
};
