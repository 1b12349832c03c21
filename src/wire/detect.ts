/**
 * Telling the wire from what a server sends, for a peer that is not told which (the grader's probe
 * with --wire auto, the relay in front of someone else's server). The first decisive bytes decide;
 * only a tutorial server sends video before a client has registered by its token.
 */
import { StreamDeframer } from '../protocol/framed/index.ts';
import { decodeTutorialFrame } from '../protocol/tutorial/index.ts';
import { framedWire } from './framed.ts';
import { tutorialWire } from './tutorial.ts';
import type { FrameTagger, WireName } from './wire.ts';

/** 'tutorial' when the datagram is a base64 JPEG; undefined when it cannot be one. */
export function wireFromDatagram(datagram: Buffer): WireName | undefined {
  try {
    decodeTutorialFrame(datagram);
    return 'tutorial';
  } catch {
    return undefined;
  }
}

/** A framed stream opens with its Handshake, which fits in this many bytes. */
const GREETING_BOUND_BYTES = 64;

/**
 * From the first bytes of the audio connection: a framed Handshake means framed; anything else a
 * framed reader refuses, or 64 bytes without a handshake, means tutorial; fewer bytes: not yet known.
 */
export function wireFromStream(bytes: Buffer, maxMessageBytes?: number): WireName | undefined {
  const probe = new StreamDeframer(maxMessageBytes === undefined ? {} : { maxMessageBytes }).push(bytes);
  if (probe.messages[0]?.type === 'handshake') return 'framed';
  if (probe.error || bytes.length >= GREETING_BOUND_BYTES) return 'tutorial';
  return undefined;
}

/**
 * A frame tagger for a stream of either wire: the first video datagram decides — a framed
 * fragment decodes as one; anything else is the tutorial's one-datagram frame.
 */
export function newDetectingFrameTagger(): FrameTagger {
  let tag: FrameTagger | undefined;
  return (datagram) => {
    if (!tag) {
      const framed = framedWire.newFrameTagger();
      tag = framed(datagram) ? framed : tutorialWire.newFrameTagger();
    }
    return tag(datagram);
  };
}
