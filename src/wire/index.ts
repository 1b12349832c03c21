/**
 * The wire formats behind one interface; `wireFor` is the one place that picks an implementation by name.
 *
 * Folder src/wire/: the Wire interface and one implementation per wire, shared by the server, the
 * client, the relay and the grader's probe, and detect.ts, which tells the wire from a server's
 * bytes. May import: src/protocol/ only.
 */
import { framedWire } from './framed.ts';
import { tutorialWire } from './tutorial.ts';
import type { Wire, WireName } from './wire.ts';

export * from './wire.ts';
export * from './registration.ts';
export { KEEPALIVE_TIMEOUT_MS } from './framed.ts';
export { TUTORIAL_PAIRING_TIMEOUT_MS } from './tutorial.ts';
export { newDetectingFrameTagger, wireFromDatagram, wireFromStream } from './detect.ts';

const WIRES: Readonly<Record<WireName, Wire>> = { framed: framedWire, tutorial: tutorialWire };

export function wireFor(name: WireName): Wire {
  return WIRES[name];
}
