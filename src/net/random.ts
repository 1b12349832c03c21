/**
 * The relay's source of chance: a seeded generator, so a run can be replayed exactly and a test can
 * count what it did. mulberry32 (Tommy Ettinger, public domain): 32 bits of state, period 2^32,
 * passes gjrand's and PractRand's basic batteries — plenty for deciding which datagram to drop.
 */
export type Random = () => number;

/** A generator of numbers in [0, 1) that repeats for the same seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
