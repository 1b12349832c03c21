/**
 * Tutorial video datagram (UDP, server → client): the whole JPEG, base64-encoded, nothing else.
 *
 *   +--------------------------------------------------------------+
 *   | base64(JPEG) as ASCII: "/9j/4AAQ..."  (≤ 65507 bytes)        |
 *   +--------------------------------------------------------------+
 *
 * server.py: `message = base64.b64encode(buffer); server_socket.sendto(message, client_addr)`
 * client.py: `data = base64.b64decode(packet, ' /')`. No header, no sequence number, no timestamp:
 * loss, reordering and frame boundaries are invisible, and base64 costs 33 % more bytes. One frame
 * must fit one datagram: 65507 bytes is the IPv4 UDP maximum (65535 − 20 IP − 8 UDP).
 */
import { DecodeError, EncodeError, FrameTooLargeError } from '../errors.ts';

export const MAX_TUTORIAL_DATAGRAM = 65507;

/** What the tutorial's client.py sends to register: `client_socket.sendto(b'Hello', ...)`. */
export const TUTORIAL_HELLO: Buffer = Buffer.from('Hello');

export const TUTORIAL_FRAME_HINT = 'use --wire framed or a lower --quality/--width';

/** base64 length of an n-byte input. */
function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** The largest JPEG that fits: 65507 / 4 · 3 rounded down to whole base64 quanta = 49128 bytes. */
export const MAX_TUTORIAL_JPEG = Math.floor(MAX_TUTORIAL_DATAGRAM / 4) * 3;

export function encodeTutorialFrame(jpeg: Buffer): Buffer {
  if (jpeg.length === 0) throw new EncodeError('tutorial frame: the JPEG is empty');
  const size = base64Length(jpeg.length);
  if (size > MAX_TUTORIAL_DATAGRAM) {
    throw new FrameTooLargeError(
      size,
      MAX_TUTORIAL_DATAGRAM,
      `the ${jpeg.length}-byte JPEG is ${size} bytes in base64 (tutorial wire); ${TUTORIAL_FRAME_HINT}`,
    );
  }
  return Buffer.from(jpeg.toString('base64'), 'latin1');
}

// 1 for the 64 characters of the standard alphabet (RFC 4648 §4).
const ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;
const PAD = 0x3d; // '='

/**
 * Strict RFC 4648 base64 → JPEG bytes: length a multiple of 4, only the standard alphabet, "="
 * only as final padding, and canonical (unused bits zero), so decode ∘ encode is the identity.
 * Node's Buffer.from(s, 'base64') silently skips bad characters; we refuse them instead.
 */
export function decodeTutorialFrame(datagram: Buffer): Buffer {
  const n = datagram.length;
  if (n === 0) throw new DecodeError('tutorial frame: empty datagram');
  if (n > MAX_TUTORIAL_DATAGRAM) throw new DecodeError(`tutorial frame: ${n} bytes is above the ${MAX_TUTORIAL_DATAGRAM}-byte UDP maximum`);
  if (n % 4 !== 0) {
    const hint = datagram.equals(TUTORIAL_HELLO) ? ' (it is the tutorial client\'s b"Hello")' : '';
    throw new DecodeError(`tutorial frame: ${n} bytes is not a multiple of 4, so not base64${hint}`);
  }
  let pads = 0;
  if (datagram[n - 1] === PAD) pads = datagram[n - 2] === PAD ? 2 : 1;
  for (let i = 0; i < n - pads; i++) {
    const b = datagram[i]!;
    if (ALPHABET[b] !== 1) {
      throw new DecodeError(`tutorial frame: byte 0x${b.toString(16).padStart(2, '0')} at offset ${i} is not base64`);
    }
  }
  const text = datagram.toString('latin1');
  const jpeg = Buffer.from(text, 'base64');
  if (jpeg.length === 0 || jpeg.toString('base64') !== text) {
    throw new DecodeError('tutorial frame: non-canonical base64 (padding bits not zero)');
  }
  return jpeg;
}
