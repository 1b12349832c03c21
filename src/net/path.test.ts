import { describe, expect, it } from 'vitest';
import { Bottleneck, DatagramPath, fragmentCount, LossChain, StreamPath, TCP_RTO_MIN_MS } from './path.ts';
import { seededRandom, type Random } from './random.ts';
import { NO_IMPAIRMENT, parseSpec } from './spec.ts';

/** A Random that must not be called: the effect it would serve is off. */
const noDraws: Random = () => {
  throw new Error('drew a random number for an effect that is off');
};

/** Replays fixed draws, then fails. */
function draws(...values: number[]): Random {
  return () => {
    const v = values.shift();
    if (v === undefined) throw new Error('more draws than scripted');
    return v;
  };
}

describe('DatagramPath', () => {
  it('with no impairment passes every datagram at once, whole, drawing nothing', () => {
    const path = new DatagramPath(NO_IMPAIRMENT, noDraws);
    for (let i = 0; i < 100; i++) expect(path.decide(i, 1000 + i, i * 10)).toEqual({ departures: [{ id: i, atMs: i * 10, length: 1000 + i }] });
    expect(path.counters).toMatchObject({ datagrams: 100, forwarded: 100, dropped: { loss: 0, fragment: 0, queue: 0 } });
  });

  it('independent loss drops exactly the datagrams whose draw falls below the loss (seeded)', () => {
    const path = new DatagramPath(parseSpec('loss=3%'), seededRandom(42));
    const replay = seededRandom(42);
    const expectedLost: number[] = [];
    const lost: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (replay() < 0.03) expectedLost.push(i);
      if (path.decide(i, 1400, 0).dropped === 'loss') lost.push(i);
    }
    expect(lost).toEqual(expectedLost);
    const expected = expectedLost.length;
    expect(path.counters.dropped.loss).toBe(expected);
    expect(expected).toBe(546); // this seed's count: a change in the draws shows here
  });

  it('Gilbert–Elliott keeps the mean loss and makes runs of the mean burst length', () => {
    const chain = new LossChain({ lossPct: 5, burst: 4 }, seededRandom(3));
    let lost = 0;
    let runs = 0;
    let previous = false;
    const n = 400_000;
    for (let i = 0; i < n; i++) {
      const l = chain.lose();
      if (l) lost += 1;
      if (l && !previous) runs += 1;
      previous = l;
    }
    expect(lost / n).toBeGreaterThan(0.047);
    expect(lost / n).toBeLessThan(0.053);
    expect(lost / runs).toBeGreaterThan(3.8);
    expect(lost / runs).toBeLessThan(4.2);
  });

  it('a datagram above the MTU is its IP fragments, lost if any one is', () => {
    expect(fragmentCount(1400, 1500)).toBe(1); // a framed fragment fits
    expect(fragmentCount(1472, 1500)).toBe(1); // 1472 + 8 = 1480, one full fragment
    expect(fragmentCount(1473, 1500)).toBe(2);
    expect(fragmentCount(20_000, 1500)).toBe(14); // a tutorial frame
    expect(fragmentCount(20_000, 0)).toBe(1);
    // 14 draws for 14 fragments; the 7th loses: the whole datagram is gone.
    const path = new DatagramPath(parseSpec('loss=10%,mtu=1500'), draws(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.05, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5));
    expect(path.decide(0, 20_000, 0)).toEqual({ dropped: 'fragment', departures: [] });
    expect(path.counters).toMatchObject({ fragmented: 1, dropped: { fragment: 1, loss: 0 } });
  });

  it('the rate cap serialises at the rate and its queue drops at the tail', () => {
    // 8 Mbit/s = 1000 bytes per ms; each 972-byte datagram is 1000 bytes with its UDP and IP headers.
    const path = new DatagramPath(parseSpec('rate=8mbit,queue=8kb'), noDraws);
    const verdicts = Array.from({ length: 12 }, (_, i) => path.decide(i, 972, 0));
    expect(verdicts.slice(0, 8).map((v) => v.departures[0]!.atMs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(verdicts.slice(8).every((v) => v.dropped === 'queue')).toBe(true); // 8192-byte queue holds 8
    expect(path.counters.dropped.queue).toBe(4);
    expect(path.counters.queuePeakBytes).toBe(8000);
    // The queue drains at the rate: 3 ms later there is room for 3 again.
    expect(path.decide(12, 972, 3).departures[0]!.atMs).toBe(9);
  });

  it('jitter keeps the order unless overtaking is allowed', () => {
    const fifo = new DatagramPath(parseSpec('delay=40ms,jitter=15ms'), seededRandom(5));
    const free = new DatagramPath(parseSpec('delay=40ms,jitter=15ms,overtake=yes'), seededRandom(5));
    let last = -Infinity;
    const freeTimes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const at = fifo.decide(i, 1000, i).departures[0]!.atMs;
      expect(at).toBeGreaterThanOrEqual(last);
      last = at;
      const t = free.decide(i, 1000, i).departures[0]!.atMs;
      expect(t - i).toBeGreaterThanOrEqual(25);
      expect(t - i).toBeLessThanOrEqual(55);
      freeTimes.push(t);
    }
    expect(fifo.counters.overtaken).toBe(0);
    const overtaken = freeTimes.filter((t, i) => t < Math.max(...freeTimes.slice(0, i), -Infinity)).length;
    expect(free.counters.overtaken).toBe(overtaken);
    expect(overtaken).toBeGreaterThan(100);
  });

  it('reorder holds a datagram back and sends it right after the next one', () => {
    // draws: reorder for #0 (held), then #1 skips the reorder draw while one is held.
    const path = new DatagramPath(parseSpec('reorder=50%'), draws(0.1));
    expect(path.decide(0, 100, 0)).toEqual({ departures: [] });
    expect(path.decide(1, 200, 5)).toEqual({
      departures: [
        { id: 1, atMs: 5, length: 200 },
        { id: 0, atMs: 5, length: 100 },
      ],
    });
    expect(path.counters).toMatchObject({ reordered: 1, forwarded: 2 });
    expect(path.flush(6)).toEqual([]);
  });

  it('duplicates send two copies; truncation cuts to a random shorter length', () => {
    const path = new DatagramPath(parseSpec('dup=10%,truncate=10%'), draws(0.05, 0.5, 0.5, 0.05, 0.25));
    expect(path.decide(0, 1000, 0).departures).toEqual([
      { id: 0, atMs: 0, length: 1000 },
      { id: 0, atMs: 0, length: 1000 },
    ]);
    expect(path.decide(1, 1001, 0).departures).toEqual([{ id: 1, atMs: 0, length: 251 }]);
    expect(path.counters).toMatchObject({ duplicated: 1, truncated: 1, forwarded: 2 });
  });

  it('retune() changes the impairment and keeps the counters', () => {
    const path = new DatagramPath(parseSpec('loss=100%'), seededRandom(1));
    path.decide(0, 10, 0);
    path.retune(NO_IMPAIRMENT);
    expect(path.decide(1, 10, 0).departures).toHaveLength(1);
    expect(path.counters).toMatchObject({ datagrams: 2, forwarded: 1, dropped: { loss: 1 } });
  });
});

describe('StreamPath', () => {
  it('delays every chunk, in order, and never loses one', () => {
    const path = new StreamPath(parseSpec('delay=40ms,jitter=15ms'), seededRandom(9));
    let last = 0;
    for (let i = 0; i < 500; i++) {
      const at = path.release(4096, i * 2);
      expect(at).toBeGreaterThanOrEqual(last);
      expect(at - i * 2).toBeGreaterThanOrEqual(25);
      last = at;
    }
    expect(path.counters).toMatchObject({ chunks: 500, bytes: 500 * 4096, retransmits: 0 });
  });

  it('a lost segment holds its chunk and everything behind it for a retransmission timeout', () => {
    // One segment: draw 0.01 < 5 % loses it.
    const path = new StreamPath(parseSpec('loss=5%,delay=10ms'), draws(0.01, 0.9));
    expect(path.release(1000, 0)).toBe(10 + TCP_RTO_MIN_MS + 20);
    expect(path.release(1000, 1)).toBe(230); // in order behind it
    expect(path.counters).toMatchObject({ retransmits: 1, maxDelayMs: 230 });
  });

  it('a rate cap spreads a burst over the time the bytes take', () => {
    const link = new Bottleneck(parseSpec('rate=8mbit'));
    const path = new StreamPath(parseSpec('rate=8mbit'), noDraws, link);
    // 100 000 bytes + 70 segments × 52 header bytes at 1000 bytes/ms.
    expect(path.release(100_000, 0)).toBeCloseTo(103.64, 6);
    expect(link.backlogBytes(3.64)).toBeCloseTo(100_000, 6);
  });
});
