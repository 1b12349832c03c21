/** Dispatch for UDP datagrams of the framed wire: VideoFragment (0x01) or Hello (0x02). */
import { ByteReader } from '../bytes.ts';
import { DecodeError } from '../errors.ts';
import { readCommonHeader, TYPE_FRAGMENT, TYPE_HELLO, typeName } from './header.ts';
import { decodeFragmentBody, type VideoFragment } from './video-fragment.ts';
import { decodeHelloBody, type Hello } from './hello.ts';

export type FramedDatagram = VideoFragment | Hello;

const TUTORIAL_HELLO = Buffer.from('Hello');

/** Decodes one datagram; throws DecodeError. A fragment's payload is a view into buf (no copy). */
export function decodeDatagram(buf: Buffer): FramedDatagram {
  if (buf.equals(TUTORIAL_HELLO)) {
    throw new DecodeError('datagram is the tutorial client\'s b"Hello"; run this end with --wire tutorial', 'E_WIRE_MISMATCH');
  }
  const r = new ByteReader(buf, 'framed datagram');
  const type = readCommonHeader(r);
  switch (type) {
    case TYPE_FRAGMENT:
      return decodeFragmentBody(r);
    case TYPE_HELLO:
      return decodeHelloBody(r);
    default:
      throw new DecodeError(`framed datagram: unknown message type ${typeName(type)} (UDP carries 0x01 fragment, 0x02 hello)`);
  }
}
