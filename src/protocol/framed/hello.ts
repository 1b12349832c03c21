/**
 * Hello (UDP, client → server): registration and keepalive, sent every 1 s to the video port.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+---------------+---------------+
 *   |          magic "AV"           |  version = 1  |  type = 0x02  |  0
 *   +-------------------------------+---------------+---------------+
 *   |          token (u32, copied from the TCP Handshake)           |  4
 *   +---------------------------------------------------------------+  8
 *
 * The token ties this UDP address to a TCP connection the server accepted: an 8-byte datagram
 * from a forged source address cannot make the server send video to a victim (no amplification).
 */
import { ByteReader, ByteWriter } from '../bytes.ts';
import { MAGIC, TYPE_HELLO, VERSION } from './header.ts';

export const OFF_TOKEN = 4;
export const HELLO_BYTES = 8;

export interface Hello {
  type: 'hello';
  /** u32 */
  token: number;
}

export function encodeHello(token: number): Buffer {
  return new ByteWriter(HELLO_BYTES).u16be(MAGIC).u8(VERSION).u8(TYPE_HELLO).u32be(token, 'token').finish();
}

/** Decodes the body after the common header (the reader stands at OFF_TOKEN). */
export function decodeHelloBody(r: ByteReader): Hello {
  const token = r.u32be('token');
  r.expectEnd();
  return { type: 'hello', token };
}
