/**
 * One interface for the two wire formats (docs/PROTOCOL.md): avsock's own binary format ("framed")
 * and the tutorial's bytes ("tutorial"). Each implementation says how a client registers, what a
 * hello looks like, how a frame and an audio chunk are packed and read back, and what its streams
 * can be counted for. The server and the client pick one from the config (wireFor) and never ask
 * which it is.
 */
import type { DecodeError } from '../protocol/errors.ts';
import type { Handshake } from '../protocol/framed/index.ts';
import type { AudioPeer, Registration } from './registration.ts';

export type WireName = 'framed' | 'tutorial';

export const WIRE_NAMES: readonly WireName[] = ['framed', 'tutorial'];

/** What the server announces about its stream (the framed Handshake minus the client's token). */
export type StreamDescription = Omit<Handshake, 'type' | 'token'>;

/** One encoded picture on its way out. */
export interface OutgoingFrame {
  /** Counts up by one per frame sent (u32, wraps). */
  readonly frameId: number;
  readonly ptsUs: number;
  readonly jpeg: Buffer;
}

/** Turns frames into the datagrams that carry them; keeps its own sequence numbers. */
export interface FramePacker {
  /** Throws FrameTooLargeError when the wire cannot carry this frame (the caller skips it). */
  pack(frame: OutgoingFrame): Buffer[];
}

/** Turns PCM chunks into audio-connection messages; keeps its own sequence numbers. */
export interface AudioPacker {
  pack(ptsUs: number, pcm: Buffer): Buffer;
}

/** A picture as a client received it. Timestamps and ids only where the wire carries them. */
export interface ReceivedFrame {
  readonly jpeg: Buffer;
  readonly ptsUs?: number;
  readonly frameId?: number;
}

/** Reads the server's datagrams back into pictures (reassembling fragments where the wire has them). */
export interface VideoReader {
  /** `frame` when a picture completed; `garbage`, saying why, when the datagram was not one of ours. */
  push(datagram: Buffer): { frame?: ReceivedFrame; garbage?: string };
  /** Incomplete frames given up, and datagrams known lost (null when the wire cannot tell). */
  counts(): { framesDropped: number; datagramsLost: number | null };
}

/** A video datagram's place in its frame, as an observer on the path reads it. frameId counts up by one per frame (u32, wraps). */
export interface FramePart {
  readonly frameId: number;
  readonly index: number;
  readonly count: number;
}

/** Reads the server's datagrams one by one in the order sent; undefined for a datagram that is not video of this wire. */
export type FrameTagger = (datagram: Buffer) => FramePart | undefined;

/** What the audio connection carries, as a client reads it. */
export type StreamEvent =
  | { readonly type: 'greeting'; readonly handshake: Handshake }
  | { readonly type: 'audio'; readonly ptsUs: number; readonly pcm: Buffer }
  | { readonly type: 'end'; readonly ptsUs: number };

/** A sans-IO reader of the audio connection: bytes in, events out; once failed it stays failed. */
export interface StreamReader {
  push(chunk: Buffer): { events: StreamEvent[]; error?: DecodeError };
}

/** Caps a reader applies before it allocates (a hostile server must not make it hold more). */
export interface ReaderLimits {
  /** Largest audio-connection message accepted, bytes (default: the protocol module's). */
  readonly maxMessageBytes?: number;
}

/** A sound format: 16-bit signed little-endian samples, interleaved. */
export interface PcmFormat {
  readonly sampleRate: number;
  readonly channels: number;
}

/** What the client needs from its sockets while it registers (the order is the wire's). */
export interface ClientLink {
  /** Sends one datagram to the server's video port. */
  sendHello(datagram: Buffer): void;
  /** Opens the TCP audio connection. */
  connect(): Promise<void>;
  /** Waits for the server's greeting on the audio connection (throws a one-line EnvironmentError). */
  greeting(): Promise<Handshake>;
}

/** A registered client's view of its stream. */
export interface ClientSession {
  /** The greeting as received; undefined on a wire without one. */
  readonly handshake: Handshake | undefined;
  /** Frame duration (µs) the server announced; undefined when the wire does not say (frames are shown as they arrive). */
  readonly frameDurationUs: number | undefined;
  /** The sound's format; undefined when the stream has none. */
  readonly audio: PcmFormat | undefined;
  /** The datagram that registers this client and keeps it alive. */
  readonly hello: Buffer;
}

/** What a closed audio connection without an end-of-stream message means on this wire. */
export interface ConnectionClosed {
  readonly code: 0 | 1;
  readonly reason: string;
  /** Play out what is buffered for at most this long (ms) first; undefined: end at once. */
  readonly playOutMs: number | undefined;
}

/** Sentences a client adds to its errors so the user learns which flag fixes them. */
export interface WireHints {
  /** After "No handshake from H:P within N s: ". */
  readonly noGreeting: string;
  /** After "Not an avsock <wire>-wire server at H:P (why); ". */
  readonly badGreeting: string;
  /** Appended to "the audio stream is corrupt (why)". */
  readonly corruptStream: string;
}

export interface Wire {
  readonly name: WireName;
  /** Frames carry an id counting up by one, so a receiver can count the ones that never came. */
  readonly numbersFrames: boolean;

  // ---- server side
  /** Fresh registration rules for one server. */
  newRegistration<P extends AudioPeer>(): Registration<P>;
  /** Bytes the server writes first on a new audio connection; undefined when the wire has none. */
  greeting(token: number, stream: StreamDescription): Buffer | undefined;
  /** A client's datagram read as a hello (with its token where the wire has tokens); undefined when it is not one. */
  readHello(datagram: Buffer): { token: number | undefined } | undefined;
  newFramePacker(): FramePacker;
  newAudioPacker(): AudioPacker;
  /** Bytes that tell a client the file has ended; undefined when the wire has no such message. */
  endOfStream(ptsUs: number): Buffer | undefined;

  // ---- client side
  /** Registers over `link` in this wire's order and says what the stream is. */
  register(link: ClientLink): Promise<ClientSession>;
  /**
   * Whether the hello goes out before the audio connection is opened (the tutorial: the server
   * pairs them by address); otherwise it needs the greeting's token and follows it.
   */
  readonly helloBeforeConnect: boolean;
  /** The datagram that registers a client and keeps it alive; undefined while the token it needs is unknown. */
  hello(greeting: { readonly token: number } | undefined): Buffer | undefined;
  /** Whether the client still sends its hello once a second (video started or not). */
  helloNeeded(videoStarted: boolean): boolean;
  /** The sound's format when the wire fixes it (the tutorial: what client.py opens PyAudio with); else the greeting says. */
  readonly fixedAudioFormat: PcmFormat | undefined;
  newVideoReader(): VideoReader;
  newStreamReader(limits?: ReaderLimits): StreamReader;
  readonly connectionClosed: ConnectionClosed;
  readonly hints: WireHints;

  // ---- on the path
  /** A fresh tagger for one server → client stream (the impairment relay counts frames with it). */
  newFrameTagger(): FrameTagger;
}
