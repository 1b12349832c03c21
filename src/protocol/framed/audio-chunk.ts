/**
 * AudioChunk (TCP, server → client): PCM s16le interleaved, normally chunkFrames sample frames.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+---------------+---------------+
 *   |          magic "AV"           |  version = 1  |  type = 0x12  |  0
 *   +-------------------------------+---------------+---------------+
 *   |                 body length (u32) = 12 + pcm bytes            |  4
 *   +---------------------------------------------------------------+
 *   |                 seq (u32, one per chunk, wraps)               |  8
 *   +---------------------------------------------------------------+
 *   |                                                               | 12
 *   +      ptsUs (u64; chunk k = round(k·chunkFrames·1e6/rate))     +
 *   |                                                               | 16
 *   +---------------------------------------------------------------+
 *   |                 pcm (≥ 1 byte; 4096 B for 1024 stereo frames) | 20
 *   :                                                               :
 *   +---------------------------------------------------------------+
 */
import { ByteReader, ByteWriter } from '../bytes.ts';
import { DecodeError, EncodeError } from '../errors.ts';
import { MAGIC, TYPE_AUDIO, VERSION } from './header.ts';
import { STREAM_HEADER_BYTES } from './handshake.ts';

export const OFF_SEQ = 8;
export const OFF_PTS = 12;
export const OFF_PCM = 20;
export const AUDIO_HEADER_BYTES = OFF_PCM;

export interface AudioChunk {
  type: 'audio';
  seq: number;
  ptsUs: number;
  /** s16le interleaved */
  pcm: Buffer;
}

export function encodeAudioChunk(a: Omit<AudioChunk, 'type'>): Buffer {
  if (a.pcm.length === 0) throw new EncodeError('audio chunk pcm must not be empty');
  const w = new ByteWriter(OFF_PCM + a.pcm.length);
  w.u16be(MAGIC)
    .u8(VERSION)
    .u8(TYPE_AUDIO)
    .u32be(OFF_PCM - STREAM_HEADER_BYTES + a.pcm.length, 'body length');
  w.u32be(a.seq, 'seq').u64be(a.ptsUs, 'ptsUs').bytes(a.pcm);
  return w.finish();
}

/** Decodes the body (the reader stands at OFF_SEQ and holds exactly this message). pcm is a view. */
export function decodeAudioChunkBody(r: ByteReader): AudioChunk {
  const seq = r.u32be('seq');
  const ptsUs = r.u64be('ptsUs');
  if (r.remaining === 0) throw new DecodeError(`${r.what}: audio chunk has no pcm`);
  return { type: 'audio', seq, ptsUs, pcm: r.rest() };
}
