/** The wire formats behind one interface; `wireFor` is the one place that picks an implementation by name. */
import { framedWire } from './framed.ts';
import { tutorialWire } from './tutorial.ts';
import type { Wire, WireName } from './wire.ts';

export * from './wire.ts';
export * from './registration.ts';
export { KEEPALIVE_TIMEOUT_MS } from './framed.ts';
export { TUTORIAL_PAIRING_TIMEOUT_MS } from './tutorial.ts';

const WIRES: Readonly<Record<WireName, Wire>> = { framed: framedWire, tutorial: tutorialWire };

export function wireFor(name: WireName): Wire {
  return WIRES[name];
}
