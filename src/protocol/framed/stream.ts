/**
 * The TCP (audio port) side of the framed wire: length-prefixed messages, server → client, in
 * this order: one Handshake, then AudioChunk*, then EndOfStream.
 *
 *   +------------------+---------+--------+-----------------+----------------------+
 *   | magic "AV" (u16) | ver u8  | type u8| body length u32 | body (length bytes)  |
 *   +------------------+---------+--------+-----------------+----------------------+
 *   0                  2         3        4                 8
 *
 * The body length is checked against its type (Handshake 40, EndOfStream 8, AudioChunk
 * 13..cap) before a single body byte is buffered, so a lying length cannot make us allocate.
 */
import { ByteReader } from '../bytes.ts';
import { LengthPrefixedDeframer } from '../deframer.ts';
import { DecodeError } from '../errors.ts';
import { readCommonHeader, TYPE_AUDIO, TYPE_EOS, TYPE_HANDSHAKE, typeName } from './header.ts';
import { decodeHandshakeBody, encodeHandshake, HANDSHAKE_BODY_BYTES, OFF_LENGTH, STREAM_HEADER_BYTES, type Handshake } from './handshake.ts';
import { decodeAudioChunkBody, encodeAudioChunk, OFF_PCM, type AudioChunk } from './audio-chunk.ts';
import { decodeEndOfStreamBody, encodeEndOfStream, EOS_BYTES, type EndOfStream } from './end-of-stream.ts';

export type StreamMessage = Handshake | AudioChunk | EndOfStream;

/** 1 MiB: a 1024-frame stereo s16 chunk is 4 KiB; this leaves room for 48 kHz 8-channel 16k-frame chunks. */
export const DEFAULT_MAX_STREAM_MESSAGE = 1 << 20;

export function encodeStreamMessage(msg: StreamMessage): Buffer {
  switch (msg.type) {
    case 'handshake':
      return encodeHandshake(msg);
    case 'audio':
      return encodeAudioChunk(msg);
    case 'eos':
      return encodeEndOfStream(msg);
  }
}

/**
 * Checks a header's type and body length; returns the body length.
 * `header` holds at least STREAM_HEADER_BYTES bytes.
 */
function checkStreamHeader(header: Buffer, maxMessageBytes: number): { type: number; bodyLength: number } {
  const r = new ByteReader(header, 'framed stream message');
  const type = readCommonHeader(r);
  const bodyLength = r.u32be('body length');
  const total = STREAM_HEADER_BYTES + bodyLength;
  switch (type) {
    case TYPE_HANDSHAKE:
      if (bodyLength !== HANDSHAKE_BODY_BYTES) throw new DecodeError(`framed stream: handshake body length ${bodyLength}, expected ${HANDSHAKE_BODY_BYTES}`);
      break;
    case TYPE_EOS:
      if (bodyLength !== EOS_BYTES - STREAM_HEADER_BYTES)
        throw new DecodeError(`framed stream: end-of-stream body length ${bodyLength}, expected ${EOS_BYTES - STREAM_HEADER_BYTES}`);
      break;
    case TYPE_AUDIO:
      if (total <= OFF_PCM)
        throw new DecodeError(`framed stream: audio chunk body length ${bodyLength} leaves no pcm (minimum ${OFF_PCM - STREAM_HEADER_BYTES + 1})`);
      if (total > maxMessageBytes) {
        throw new DecodeError(
          `framed stream: audio message of ${total} bytes is above the ${maxMessageBytes}-byte cap; raise maxMessageBytes if the sender really uses chunks this large`,
          'E_TOO_LARGE',
        );
      }
      break;
    default:
      throw new DecodeError(`framed stream: unknown message type ${typeName(type)} (TCP carries 0x11 handshake, 0x12 audio, 0x13 end-of-stream)`);
  }
  return { type, bodyLength };
}

/** Decodes exactly one complete message (header + body). Payload buffers are views into buf. */
export function decodeStreamMessage(buf: Buffer, maxMessageBytes = DEFAULT_MAX_STREAM_MESSAGE): StreamMessage {
  if (buf.length < STREAM_HEADER_BYTES)
    throw new DecodeError(`framed stream message: ${buf.length} byte(s) is shorter than the ${STREAM_HEADER_BYTES}-byte header`);
  const { type, bodyLength } = checkStreamHeader(buf, maxMessageBytes);
  if (buf.length !== STREAM_HEADER_BYTES + bodyLength) {
    throw new DecodeError(`framed stream message: header says ${STREAM_HEADER_BYTES + bodyLength} bytes, got ${buf.length}`);
  }
  const r = new ByteReader(buf, 'framed stream message', STREAM_HEADER_BYTES);
  switch (type) {
    case TYPE_HANDSHAKE:
      return decodeHandshakeBody(r);
    case TYPE_AUDIO:
      return decodeAudioChunkBody(r);
    default:
      return decodeEndOfStreamBody(r);
  }
}

export interface StreamDeframerOptions {
  /** Largest whole message accepted (header included); default 1 MiB. */
  maxMessageBytes?: number;
  /** Enforce Handshake → AudioChunk* → EndOfStream (default true); also checks pcm length against channels. */
  enforceOrder?: boolean;
}

/**
 * Pure TCP de-framer: `push(chunk) → { messages, error? }`; sticky errors, payloads that own their
 * memory and the cap checked from the header alone come from LengthPrefixedDeframer.
 */
export class StreamDeframer extends LengthPrefixedDeframer<StreamMessage> {
  readonly enforceOrder: boolean;
  #state: 'start' | 'streaming' | 'ended' = 'start';
  #handshake: Handshake | undefined;

  constructor(opts: StreamDeframerOptions = {}) {
    super('framed stream', STREAM_HEADER_BYTES, opts.maxMessageBytes ?? DEFAULT_MAX_STREAM_MESSAGE);
    this.enforceOrder = opts.enforceOrder ?? true;
  }

  protected override messageLength(header: Buffer): number {
    return STREAM_HEADER_BYTES + checkStreamHeader(header, this.maxMessageBytes).bodyLength;
  }

  protected override decode(message: Buffer): StreamMessage {
    const msg = decodeStreamMessage(message, this.maxMessageBytes);
    if (this.enforceOrder) this.#checkOrder(msg);
    return msg;
  }

  #checkOrder(msg: StreamMessage): void {
    if (this.#state === 'ended') throw new DecodeError(`framed stream: ${msg.type} message after end-of-stream`);
    if (msg.type === 'handshake') {
      if (this.#state !== 'start') throw new DecodeError('framed stream: a second handshake on one connection');
      this.#handshake = msg;
      this.#state = 'streaming';
      return;
    }
    if (this.#state === 'start') throw new DecodeError(`framed stream: ${msg.type} message before the handshake`);
    if (msg.type === 'eos') {
      this.#state = 'ended';
      return;
    }
    const h = this.#handshake!;
    if (!h.hasAudio) throw new DecodeError('framed stream: audio chunk although the handshake said hasAudio = false');
    const frameBytes = 2 * h.channels;
    if (msg.pcm.length % frameBytes !== 0) {
      throw new DecodeError(`framed stream: audio chunk of ${msg.pcm.length} bytes is not whole s16 frames of ${h.channels} channel(s)`);
    }
  }
}

export { OFF_LENGTH, STREAM_HEADER_BYTES };
