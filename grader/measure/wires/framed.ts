/** avsock's framed wire, probe side: TCP Handshake → UDP Hello{token} every 1 s (docs/PROTOCOL.md). */
import {
  FrameReassembler,
  SequenceTracker,
  StreamDeframer,
  decodeDatagram,
  encodeHello,
} from '../../../src/protocol/framed/index.ts';
import { MAX_MESSAGE_BYTES, type AudioDecoder, type ProbeWire, type VideoDecoder } from './types.ts';

function framedVideo(): VideoDecoder {
  const reassembler = new FrameReassembler({ maxFramesInFlight: 8, maxFrameBytes: MAX_MESSAGE_BYTES });
  const seq = new SequenceTracker();
  return {
    push(datagram) {
      try {
        const d = decodeDatagram(datagram);
        if (d.type !== 'fragment') return { garbage: `unexpected ${d.type} datagram from the server` };
        seq.observe(d.seq);
        const done = reassembler.push(d);
        return done ? { frame: { jpeg: done.jpeg, ptsUs: done.ptsUs, frameId: done.frameId } } : {};
      } catch (error) {
        return { garbage: `framed datagram: ${(error as Error).message}` };
      }
    },
    loss: () => ({ datagramsLost: Math.max(0, seq.lost), framesIncomplete: reassembler.stats.framesDropped }),
  };
}

function framedAudio(): AudioDecoder {
  const deframer = new StreamDeframer({ maxMessageBytes: MAX_MESSAGE_BYTES });
  return {
    push(chunk) {
      const out: ReturnType<AudioDecoder['push']> = { messages: [] };
      const { messages, error } = deframer.push(chunk);
      for (const m of messages) {
        if (m.type === 'handshake') {
          const { type: _type, ...h } = m;
          out.handshake = h;
        } else if (m.type === 'audio') out.messages.push({ pcm: m.pcm, ptsUs: m.ptsUs });
        else out.eos = true;
      }
      if (error) out.error = `framed audio stream: ${error.message}`;
      return out;
    },
  };
}

export const framedWire: ProbeWire = {
  name: 'framed',
  registration: 'keepalive',
  hello: (handshake) => (handshake ? encodeHello(handshake.token) : undefined),
  video: framedVideo,
  audio: framedAudio,
};
