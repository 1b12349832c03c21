import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { formatSpec, NO_IMPAIRMENT, parseNet, parseSpec, PROFILE_NAMES, PROFILES, type NetSpec } from './spec.ts';

describe('net spec', () => {
  it('parseSpec() reads the example spec field by field', () => {
    const s = parseSpec('loss=2%,burst=4,delay=40ms,jitter=15ms,rate=3mbit,mtu=1500');
    expect(s).toEqual({ ...NO_IMPAIRMENT, lossPct: 2, burst: 4, delayMs: 40, jitterMs: 15, rateBps: 3_000_000, mtu: 1500 });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('parseSpec() takes tc units: s and us, kbit and gbit, kb = 1024 bytes, spaces around items', () => {
    expect(parseSpec(' delay=1s , jitter=500us,rate=640kbit,queue=64kb,overtake=yes,dup=1%,truncate=0.5%,reorder=3%,seed=9 ')).toEqual({
      ...NO_IMPAIRMENT,
      delayMs: 1000,
      jitterMs: 0.5,
      rateBps: 640_000,
      queueBytes: 65_536,
      overtake: true,
      duplicatePct: 1,
      truncatePct: 0.5,
      reorderPct: 3,
      seed: 9,
    });
    expect(parseSpec('')).toEqual(NO_IMPAIRMENT);
  });

  it('a bad field is one line naming the field and its range', () => {
    const cases: Array<[string, RegExp]> = [
      ['loss=150%', /^--net: loss must be a percentage from 0% to 100%, got "150%"$/],
      ['loss=2', /^--net: loss must be a percentage/],
      ['delay=40parsecs', /^--net: delay must be a time from 0ms to 10s/],
      ['rate=3mbps', /^--net: rate must be a rate from 8kbit to 100gbit/],
      ['mtu=100', /^--net: mtu must be a whole number of bytes from 576 to 65535, or 0 for none, got "100"$/],
      ['burst=0.5', /^--net: burst must be a mean loss-run length from 1 to 1000 packets/],
      ['overtake=maybe', /^--net: overtake must be yes or no/],
      ['los=2%', /^--net: unknown field "los" in "los=2%"; fields are loss, burst, delay/],
      ['loss', /^--net: loss needs a value/],
      ['loss=1%,loss=2%', /^--net: loss is given twice/],
      ['loss=60%,burst=1.2', /^--net: burst must be at least 2 packets with loss=60%/],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseSpec(text);
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(UsageError);
      expect((caught as Error).message, text).toMatch(message);
      expect((caught as Error).message).not.toContain('\n');
    }
  });

  it('every profile parses, and its text form parses back to it', () => {
    expect(PROFILE_NAMES).toEqual(['lan', 'wifi', 'mobile', 'lossy', 'congested']);
    for (const p of PROFILES) {
      expect(parseSpec(formatSpec(p.down))).toEqual(p.down);
      expect(p.source.length).toBeGreaterThan(20);
    }
  });

  it('parseNet() takes a profile, a profile with overrides, or a spec; the upstream keeps only the delay', () => {
    const lossy = parseNet('lossy');
    expect(lossy.label).toBe('lossy');
    expect(lossy.down.lossPct).toBe(5);
    expect(lossy.up).toMatchObject({ lossPct: 0, delayMs: lossy.down.delayMs, rateBps: 0 });
    const seeded = parseNet('lossy,seed=7,loss=1%');
    expect(seeded.label).toBe('lossy,seed=7,loss=1%');
    expect(seeded.down).toMatchObject({ lossPct: 1, seed: 7, mtu: 1500 });
    expect(parseNet('loss=2%,delay=40ms').label).toBe('loss=2%,delay=40ms');
    expect(() => parseNet('wify')).toThrow(/^--net: unknown profile "wify"; profiles are lan, wifi, mobile, lossy, congested/);
    expect(() => parseNet('')).toThrow(/^--net: needs a profile/);
    expect(() => parseNet('lossy,burst=0')).toThrow(/burst must be/);
  });

  const validSpec: fc.Arbitrary<NetSpec> = fc
    .record({
      lossPct: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
      burst: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 1000, noNaN: true })),
      delayMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
      jitterMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
      overtake: fc.boolean(),
      reorderPct: fc.double({ min: 0, max: 100, noNaN: true }),
      duplicatePct: fc.double({ min: 0, max: 100, noNaN: true }),
      truncatePct: fc.double({ min: 0, max: 100, noNaN: true }),
      rateBps: fc.oneof(fc.constant(0), fc.integer({ min: 8000, max: 100e9 })),
      queueBytes: fc.oneof(fc.constant(0), fc.integer({ min: 2048, max: 64 * 1024 * 1024 })),
      mtu: fc.oneof(fc.constant(0), fc.integer({ min: 576, max: 65535 })),
      seed: fc.integer({ min: 0, max: 0xffff_ffff }),
    })
    .filter((s) => s.burst === 1 || s.lossPct === 0 || s.lossPct / (100 - s.lossPct) / s.burst <= 1);

  it('round trip: parseSpec(formatSpec(s)) equals s for random valid specs', () => {
    fc.assert(
      fc.property(validSpec, (s) => {
        expect(parseSpec(formatSpec(s))).toEqual(s);
      }),
      { numRuns: 500, seed: 22 },
    );
  });

  it('random text: only a one-line UsageError escapes, and a valid spec still parses afterwards', () => {
    const alphabet = fc.constantFrom(...'loss=burst,delay%jitter.0123456789msmbitkbMTU -e_yesno'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (text) => {
        try {
          parseNet(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as Error).message).toMatch(/^--net: /);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
    expect(parseNet('wifi').down.burst).toBe(3);
  });
});
