/**
 * The wire formats behind one interface; `wireFor` is the one place that picks an implementation by name.
 *
 * Folder src/wire/: the Wire interface and one implementation per wire, shared by the server and
 * the client. May import: src/protocol/ only.
 */
import { framedWire } from './framed.ts';
import { tutorialWire } from './tutorial.ts';
import type { FrameTagger, Wire, WireName } from './wire.ts';

export * from './wire.ts';
export * from './registration.ts';
export { KEEPALIVE_TIMEOUT_MS } from './framed.ts';
export { TUTORIAL_PAIRING_TIMEOUT_MS } from './tutorial.ts';

const WIRES: Readonly<Record<WireName, Wire>> = { framed: framedWire, tutorial: tutorialWire };

export function wireFor(name: WireName): Wire {
  return WIRES[name];
}

/**
 * A frame tagger for a stream of either wire, for an observer that is not told which (the relay in
 * front of someone else's server): the first video datagram decides — a framed fragment decodes as
 * one; anything else is the tutorial's one-datagram frame.
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
