/**
 * The 4 bytes every framed message starts with, on UDP and on TCP alike.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+---------------+---------------+
 *   |     magic 0x41 0x56 ("AV")    |  version = 1  |     type      |
 *   +-------------------------------+---------------+---------------+
 *
 * All multi-byte fields of the framed wire are big-endian (network byte order).
 * The magic lets a receiver tell a framed peer from a tutorial-wire peer at the first byte:
 * tutorial datagrams are base64 text that starts with "/9j/" (a JPEG's FF D8 FF), and tutorial
 * TCP messages start with a little-endian u64 length.
 */
import { ByteReader } from '../bytes.ts';
import { DecodeError } from '../errors.ts';

export const MAGIC = 0x4156; // "AV"
export const VERSION = 1;

export const OFF_MAGIC = 0;
export const OFF_VERSION = 2;
export const OFF_TYPE = 3;
export const COMMON_HEADER_BYTES = 4;

/** Message types. UDP ones are 0x0_, TCP ones 0x1_, so a message on the wrong socket is caught. */
export const TYPE_FRAGMENT = 0x01;
export const TYPE_HELLO = 0x02;
export const TYPE_HANDSHAKE = 0x11;
export const TYPE_AUDIO = 0x12;
export const TYPE_EOS = 0x13;

/** UDP payload budget: 1400 bytes stays under a 1500-byte Ethernet MTU with IPv4/IPv6 + UDP headers and VPN overhead. */
export const MAX_FRAMED_DATAGRAM = 1400;
/** The largest UDP payload over IPv4 (65535 − 8 UDP − 20 IP). */
export const MAX_UDP_PAYLOAD = 65507;

/** Reads magic, version and type; returns the type. Errors say what the bytes look like instead. */
export function readCommonHeader(r: ByteReader): number {
  if (r.remaining < COMMON_HEADER_BYTES) {
    throw new DecodeError(`${r.what}: ${r.remaining} byte(s) is shorter than the ${COMMON_HEADER_BYTES}-byte framed header`);
  }
  const magic = r.u16be('magic');
  if (magic !== MAGIC) {
    throw new DecodeError(
      `${r.what}: bad magic 0x${magic.toString(16).padStart(4, '0')} (framed wire starts with 0x4156 "AV"); is the peer using --wire tutorial?`,
      'E_WIRE_MISMATCH',
    );
  }
  const version = r.u8('version');
  if (version !== VERSION) {
    throw new DecodeError(
      `${r.what}: framed wire version ${version}, this build speaks version ${VERSION}; run the same avsock version on both ends`,
      'E_WIRE_VERSION',
    );
  }
  return r.u8('type');
}

export function typeName(type: number): string {
  return `0x${type.toString(16).padStart(2, '0')}`;
}
