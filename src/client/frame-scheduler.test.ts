import { describe, expect, it } from 'vitest';
import { FrameScheduler, MasterClock, type TimedFrame } from './frame-scheduler.ts';

const F = 33_333;
const frame = (n: number): TimedFrame => ({ frameId: n, ptsUs: n * F, jpeg: Buffer.from([n]), arrivalMs: 0 });

describe('FrameScheduler', () => {
  it('holds an early frame until the clock reaches its pts', () => {
    const s = new FrameScheduler({ frameDurationUs: F });
    s.push(frame(3));
    expect(s.poll(2 * F)).toBeUndefined();
    expect(s.untilNextUs(2 * F)).toBe(F - 1000);
    expect(s.poll(3 * F)?.frameId).toBe(3);
    expect(s.framesLate).toBe(0);
  });

  it('drops a frame more than one frame behind the clock and counts it late', () => {
    const s = new FrameScheduler({ frameDurationUs: F });
    s.push(frame(1));
    expect(s.poll(1 * F + F + 1)).toBeUndefined();
    expect(s.framesLate).toBe(1);
  });

  it('shows the newest due frame and counts the superseded one late', () => {
    const s = new FrameScheduler({ frameDurationUs: F });
    s.push(frame(2));
    s.push(frame(1));
    expect(s.poll(2 * F)?.frameId).toBe(2);
    expect(s.framesLate).toBe(1);
  });

  it('refuses a frame older than one already shown', () => {
    const s = new FrameScheduler({ frameDurationUs: F });
    s.push(frame(5));
    expect(s.poll(5 * F)?.frameId).toBe(5);
    expect(s.push(frame(4))).toBe(false);
    expect(s.framesLate).toBe(1);
  });

  it('bounds the queue when the clock stalls', () => {
    const s = new FrameScheduler({ frameDurationUs: F, maxQueued: 3 });
    for (let n = 10; n < 15; n++) s.push(frame(n));
    expect(s.queued).toBe(3);
    expect(s.framesLate).toBe(2);
  });
});

describe('MasterClock', () => {
  it('is undefined until anchored, then runs free from the first frame', () => {
    const c = new MasterClock();
    expect(c.read(0)).toBeUndefined();
    c.anchor(1_000_000, 100);
    expect(c.read(150)).toBe(1_050_000);
    expect(c.source).toBe('free');
  });

  it('follows the audio clock and advances between its readings', () => {
    let audio: number | undefined;
    const c = new MasterClock({ audioPtsUs: () => audio });
    c.anchor(0, 0);
    audio = 500_000;
    expect(c.read(10)).toBe(500_000);
    expect(c.source).toBe('audio');
    expect(c.read(20)).toBe(510_000); // same reading: extrapolated
    audio = 520_000;
    expect(c.read(30)).toBe(520_000);
  });
});
