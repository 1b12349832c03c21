/**
 * EndOfStream (TCP, server → client): the programme is over; the server closes after it.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+---------------+---------------+
 *   |          magic "AV"           |  version = 1  |  type = 0x13  |  0
 *   +-------------------------------+---------------+---------------+
 *   |                 body length (u32) = 8                         |  4
 *   +---------------------------------------------------------------+
 *   |                                                               |  8
 *   +        ptsUs (u64; end of the programme on the shared timeline)
 *   |                                                               | 12
 *   +---------------------------------------------------------------+ 16
 */
import { ByteReader, ByteWriter } from '../bytes.ts';
import { MAGIC, TYPE_EOS, VERSION } from './header.ts';

export const OFF_PTS = 8;
export const EOS_BYTES = 16;

export interface EndOfStream {
  type: 'eos';
  ptsUs: number;
}

export function encodeEndOfStream(e: Omit<EndOfStream, 'type'>): Buffer {
  const w = new ByteWriter(EOS_BYTES);
  w.u16be(MAGIC)
    .u8(VERSION)
    .u8(TYPE_EOS)
    .u32be(EOS_BYTES - 8)
    .u64be(e.ptsUs, 'ptsUs');
  return w.finish();
}

export function decodeEndOfStreamBody(r: ByteReader): EndOfStream {
  const ptsUs = r.u64be('ptsUs');
  r.expectEnd();
  return { type: 'eos', ptsUs };
}
