/**
 * The probe's view of a wire: how to register, how to turn datagrams into frames and the TCP byte
 * stream into sound. One implementation per wire (framed.ts, tutorial.ts), chosen once, so the
 * recorder, the audio worker and the analysis never ask "which wire?" themselves.
 */
import type { Handshake } from '../../../src/protocol/framed/index.ts';
import type { WireName as Wire } from '../../../src/wire/index.ts';

export type { Wire };

export type HandshakeInfo = Omit<Handshake, 'type'>;

export interface DecodedFrame {
  jpeg: Buffer;
  /** Presentation time from the wire, µs (framed only). */
  ptsUs?: number;
  frameId?: number;
}

export interface VideoDecoder {
  /** One datagram in; a complete frame out when this datagram finished one, or why it was garbage. */
  push(datagram: Buffer): { frame?: DecodedFrame; garbage?: string };
  /** Loss the wire itself can count (RFC 3550 A.3 on sequence numbers); undefined when it cannot. */
  loss(): { datagramsLost: number; framesIncomplete: number } | undefined;
}

export interface AudioMessage {
  /** s16le interleaved; may be empty (the tutorial's server sends pickle.dumps(b'') at end of file). */
  pcm: Buffer;
  ptsUs?: number;
}

export interface AudioDecoder {
  push(chunk: Buffer): { messages: AudioMessage[]; handshake?: HandshakeInfo; eos?: boolean; error?: string };
}

export interface ProbeWire {
  readonly name: Wire;
  /**
   * 'keepalive': Hello every second for the whole recording, and only after the TCP handshake
   * (framed: the token comes from it). 'until-first-frame': Hello at once and every second until a
   * frame arrives (tutorial: client.py sends one Hello before connecting TCP; repeats cover a
   * server that had not bound its port yet).
   */
  readonly registration: 'keepalive' | 'until-first-frame';
  /** PCM bytes per second when the wire fixes the format (tutorial: 44.1 kHz stereo s16); else the handshake says. */
  readonly audioBytesPerSecond?: number;
  /** The registration datagram; framed needs the handshake's token. */
  hello(handshake?: HandshakeInfo): Buffer | undefined;
  video(): VideoDecoder;
  audio(): AudioDecoder;
}

/** Caps for what a hostile server can make the probe allocate. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
