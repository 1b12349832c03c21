/**
 * Handshake (TCP, server → client): the first message on the audio connection.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+---------------+---------------+
 *   |          magic "AV"           |  version = 1  |  type = 0x11  |  0
 *   +-------------------------------+---------------+---------------+
 *   |                  body length (u32) = 40                       |  4
 *   +---------------------------------------------------------------+
 *   |         token (u32; the client echoes it in UDP Hello)        |  8
 *   +---------------------------------------------------------------+
 *   |                 fpsNum (u32)   fps = fpsNum / fpsDen          | 12
 *   +---------------------------------------------------------------+
 *   |                 fpsDen (u32)   e.g. 24000/1001 stays exact    | 16
 *   +---------------------------------------------------------------+
 *   |                 width (u32, pixels after scaling; 0 = unknown)| 20
 *   +---------------------------------------------------------------+
 *   |                 height (u32, pixels; 0 = unknown)             | 24
 *   +---------------------------------------------------------------+
 *   |                 sampleRate (u32, Hz)                          | 28
 *   +---------------------------------------------------------------+
 *   |                 chunkFrames (u32, sample frames per AudioChunk)| 32
 *   +-------------------------------+-------------------------------+
 *   |       channels (u16)          |  flags (u16): bit 0 hasAudio  | 36
 *   +-------------------------------+-------------------------------+
 *   |                                                               | 40
 *   +               durationUs (u64; 0 = unknown/live)              +
 *   |                                                               | 44
 *   +---------------------------------------------------------------+ 48
 *
 * Audio is always PCM s16le interleaved. Without audio, sampleRate/channels/chunkFrames may be 0.
 */
import { ByteReader, ByteWriter } from '../bytes.ts';
import { DecodeError, EncodeError } from '../errors.ts';
import { MAGIC, TYPE_HANDSHAKE, VERSION } from './header.ts';

export const OFF_LENGTH = 4;
export const STREAM_HEADER_BYTES = 8;
export const OFF_TOKEN = 8;
export const OFF_FPS_NUM = 12;
export const OFF_FPS_DEN = 16;
export const OFF_WIDTH = 20;
export const OFF_HEIGHT = 24;
export const OFF_SAMPLE_RATE = 28;
export const OFF_CHUNK_FRAMES = 32;
export const OFF_CHANNELS = 36;
export const OFF_FLAGS = 38;
export const OFF_DURATION = 40;
export const HANDSHAKE_BYTES = 48;
export const HANDSHAKE_BODY_BYTES = HANDSHAKE_BYTES - STREAM_HEADER_BYTES;
export const FLAG_HAS_AUDIO = 0x0001;

export interface Handshake {
  type: 'handshake';
  /** u32, the client echoes it in Hello. */
  token: number;
  fpsNum: number;
  fpsDen: number;
  width: number;
  height: number;
  durationUs: number;
  sampleRate: number;
  channels: number;
  chunkFrames: number;
  hasAudio: boolean;
}

function validate(h: Omit<Handshake, 'type'>, fail: (msg: string) => Error): void {
  if (h.fpsNum < 1 || h.fpsDen < 1) throw fail(`handshake fps ${h.fpsNum}/${h.fpsDen}: numerator and denominator must be ≥ 1`);
  if (h.hasAudio && (h.sampleRate < 1 || h.channels < 1 || h.chunkFrames < 1)) {
    throw fail(`handshake with audio needs sampleRate, channels and chunkFrames ≥ 1, got ${h.sampleRate}, ${h.channels}, ${h.chunkFrames}`);
  }
}

export function encodeHandshake(h: Omit<Handshake, 'type'>): Buffer {
  validate(h, (m) => new EncodeError(m));
  const w = new ByteWriter(HANDSHAKE_BYTES);
  w.u16be(MAGIC).u8(VERSION).u8(TYPE_HANDSHAKE).u32be(HANDSHAKE_BODY_BYTES);
  w.u32be(h.token, 'token').u32be(h.fpsNum, 'fpsNum').u32be(h.fpsDen, 'fpsDen');
  w.u32be(h.width, 'width').u32be(h.height, 'height');
  w.u32be(h.sampleRate, 'sampleRate').u32be(h.chunkFrames, 'chunkFrames');
  w.u16be(h.channels, 'channels').u16be(h.hasAudio ? FLAG_HAS_AUDIO : 0);
  w.u64be(h.durationUs, 'durationUs');
  return w.finish();
}

/** Decodes the body (the reader stands at OFF_TOKEN and holds exactly this message). */
export function decodeHandshakeBody(r: ByteReader): Handshake {
  const token = r.u32be('token');
  const fpsNum = r.u32be('fpsNum');
  const fpsDen = r.u32be('fpsDen');
  const width = r.u32be('width');
  const height = r.u32be('height');
  const sampleRate = r.u32be('sampleRate');
  const chunkFrames = r.u32be('chunkFrames');
  const channels = r.u16be('channels');
  const flags = r.u16be('flags');
  const durationUs = r.u64be('durationUs');
  r.expectEnd();
  if ((flags & ~FLAG_HAS_AUDIO) !== 0) throw new DecodeError(`${r.what}: unknown handshake flags 0x${flags.toString(16)}`);
  const h: Handshake = {
    type: 'handshake',
    token,
    fpsNum,
    fpsDen,
    width,
    height,
    durationUs,
    sampleRate,
    channels,
    chunkFrames,
    hasAudio: (flags & FLAG_HAS_AUDIO) !== 0,
  };
  validate(h, (m) => new DecodeError(`${r.what}: ${m}`));
  return h;
}
