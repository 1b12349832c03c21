/** Choosing the wire once: by name, or from the first bytes a server sends (--wire auto). */
import { StreamDeframer } from '../../../src/protocol/framed/index.ts';
import { decodeTutorialFrame } from '../../../src/protocol/tutorial/index.ts';
import { framedWire } from './framed.ts';
import { tutorialWire } from './tutorial.ts';
import { MAX_MESSAGE_BYTES, type ProbeWire, type Wire } from './types.ts';

export * from './types.ts';

export function probeWire(name: Wire): ProbeWire {
  return name === 'framed' ? framedWire : tutorialWire;
}

/** Only the tutorial server sends video before a framed registration: a base64 JPEG datagram decides. */
export function wireFromDatagram(datagram: Buffer): Wire | undefined {
  try {
    decodeTutorialFrame(datagram);
    return 'tutorial';
  } catch {
    return undefined;
  }
}

/**
 * From the first TCP bytes: a framed Handshake means framed; anything else that a framed deframer
 * refuses, or 64 bytes without a handshake, means tutorial; fewer bytes: not yet known.
 */
export function wireFromStream(bytes: Buffer): Wire | undefined {
  const probe = new StreamDeframer({ maxMessageBytes: MAX_MESSAGE_BYTES }).push(bytes);
  if (probe.messages[0]?.type === 'handshake') return 'framed';
  if (probe.error || bytes.length >= 64) return 'tutorial';
  return undefined;
}
