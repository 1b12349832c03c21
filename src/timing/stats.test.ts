import { describe, expect, it } from 'vitest';
import { FpsMeter, InterarrivalJitter, Summary, detectFreezes, percentile } from './stats.ts';

describe('InterarrivalJitter (RFC 3550 A.8)', () => {
  it('is 0 when every item arrives exactly pts after the first', () => {
    const j = new InterarrivalJitter();
    for (let n = 0; n < 100; n++) j.observe(5000 + n * 33.3, n * 33_300);
    expect(j.jitterMs).toBeCloseTo(0, 9);
  });

  it('follows J += (|D| − J)/16', () => {
    const j = new InterarrivalJitter();
    j.observe(0, 0);
    j.observe(42, 33_000); // D = 9
    expect(j.jitterMs).toBeCloseTo(9 / 16, 12);
    j.observe(66, 66_000); // transit 0, D = −9
    expect(j.jitterMs).toBeCloseTo(9 / 16 + (9 - 9 / 16) / 16, 12);
  });

  it('converges to the mean |D| of alternating ±1 ms arrivals', () => {
    const j = new InterarrivalJitter();
    for (let n = 0; n < 1000; n++) j.observe(n * 10 + (n % 2), n * 10_000);
    expect(j.jitterMs).toBeCloseTo(1, 3);
  });
});

describe('FpsMeter', () => {
  it('measures a steady 23.976 fps exactly', () => {
    const m = new FpsMeter(1000);
    const dt = 1001 / 24;
    let t = 0;
    for (let n = 0; n < 200; n++) m.tick((t = n * dt));
    expect(m.fps(t)).toBeCloseTo(24000 / 1001, 6);
  });

  it('drops to 0 when the ticks stop', () => {
    const m = new FpsMeter(1000);
    for (let n = 0; n < 30; n++) m.tick(n * 33);
    expect(m.fps(5000)).toBe(0);
  });
});

describe('percentile', () => {
  it('interpolates as numpy does', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5, 1, 3], 0)).toBe(1);
    expect(percentile([5, 1, 3], 100)).toBe(5);
    expect(percentile([0, 10], 99)).toBeCloseTo(9.9, 12);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('detectFreezes (W3C webrtc-stats)', () => {
  it('counts a gap ≥ max(3 × mean, mean + 150 ms)', () => {
    const times = [0, 33, 66, 99, 132, 400, 433, 466]; // 268 ms gap: ≥ 33+150 and ≥ 99
    expect(detectFreezes(times)).toEqual({ count: 1, totalMs: 268 });
  });

  it('does not count a gap under mean + 150 ms at high frame rates', () => {
    const times = [0, 16, 32, 48, 64, 200, 216]; // 136 ms < 16 + 150
    expect(detectFreezes(times).count).toBe(0);
  });

  it('needs 3 × mean at low frame rates', () => {
    const times = [0, 200, 400, 600, 1100, 1300]; // 500 ms: ≥ 350 but < 600
    expect(detectFreezes(times).count).toBe(0);
  });
});

describe('Summary', () => {
  it('tracks count, mean, min, max and max |x|', () => {
    const s = new Summary();
    expect(s.mean).toBeNaN();
    for (const x of [3, -7, 4]) s.add(x);
    expect(s.count).toBe(3);
    expect(s.mean).toBe(0);
    expect(s.min).toBe(-7);
    expect(s.max).toBe(4);
    expect(s.maxAbs).toBe(7);
  });
});
