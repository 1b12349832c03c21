import { describe, expect, it } from 'vitest';
import { PlayoutBuffer } from './playout.ts';

const BPS = 176_400; // 44.1 kHz stereo s16
const chunk = 4096; // 1024 frames = 23.22 ms

describe('PlayoutBuffer', () => {
  it('plays a message on arrival when the player is idle, then back to back', () => {
    const p = new PlayoutBuffer({ bytesPerSecond: BPS });
    expect(p.push(100, BPS)).toBe(100); // 1 s of sound at t = 100 ms
    expect(p.push(150, BPS)).toBe(1100); // queued behind it
    expect(p.aheadMs(150)).toBeCloseTo(1950, 6);
    expect(p.stats.underruns).toBe(0);
  });

  it('is full above maxAheadMs and resumes when drained to resumeAheadMs', () => {
    const p = new PlayoutBuffer({ bytesPerSecond: BPS, maxAheadMs: 1000, resumeAheadMs: 750 });
    let t = 0;
    let pushed = 0;
    while (!p.full(t)) {
      p.push(t, chunk); // a server dumping at once
      pushed += 1;
    }
    expect(pushed).toBe(Math.floor((1000 * BPS) / 1000 / chunk) + 1); // 44 chunks fit in 1 s, the 44th tips it over
    expect(p.resumeAtMs()).toBeCloseTo((pushed * chunk * 1000) / BPS - 750, 6);
    t = p.resumeAtMs();
    expect(p.full(t)).toBe(false);
    expect(p.aheadMs(t)).toBeCloseTo(750, 6);
  });

  it('counts an audible gap as an underrun, scheduling noise not', () => {
    const p = new PlayoutBuffer({ bytesPerSecond: BPS, underrunMinMs: 20 });
    p.push(0, chunk); // ends at 23.2 ms
    p.push(30, chunk); // 6.8 ms late: noise
    expect(p.stats.underruns).toBe(0);
    p.push(200, chunk); // ~146 ms of silence
    expect(p.stats.underruns).toBe(1);
    expect(p.stats.underrunMs).toBeCloseTo(200 - (30 + (chunk * 1000) / BPS), 6);
  });

  it('an empty message (pickle of b"") plays nothing and takes no time', () => {
    const p = new PlayoutBuffer({ bytesPerSecond: BPS });
    p.push(0, chunk);
    for (let i = 0; i < 1000; i++) p.push(1, 0);
    expect(p.aheadMs(1)).toBeCloseTo((chunk * 1000) / BPS - 1, 6);
    expect(p.stats.soundSeconds).toBeCloseTo(chunk / BPS, 9);
  });

  it('refuses a non-positive byte rate', () => {
    expect(() => new PlayoutBuffer({ bytesPerSecond: 0 })).toThrow(/bytesPerSecond must be > 0/);
  });
});
