import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.ts';
import { DeadlinePacer, TutorialPacer, createPacer } from './pacer.ts';

/** Lets pending promise callbacks run (ManualClock resolves sleepers synchronously). */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('DeadlinePacer', () => {
  it('resolves each item at t0 + pts, and not before', async () => {
    const clock = new ManualClock(1000);
    const pacer = new DeadlinePacer(clock);
    pacer.start(1000);
    let done = false;
    const p = pacer.waitFor(33_333).then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    clock.advance(33);
    await flush();
    expect(done).toBe(false);
    clock.advance(0.4);
    await p;
    expect(clock.now()).toBeCloseTo(1033.4, 6);
  });

  it('never accumulates lateness: after a late frame the next deadlines stay on t0 + pts', async () => {
    const clock = new ManualClock(0);
    const pacer = new DeadlinePacer(clock);
    pacer.start(0);
    const frameUs = 1e6 / 30;
    const sendTimes: number[] = [];
    for (let n = 0; n < 10; n++) {
      const p = pacer.waitFor(n * frameUs);
      await flush();
      if (n === 3)
        clock.advance(50); // a hiccup: frame 3 is handled 50 ms late...
      else clock.set(Math.max(clock.now(), (n * frameUs) / 1000));
      await p;
      sendTimes.push(clock.now());
    }
    expect(sendTimes[3]).toBeGreaterThan((3 * frameUs) / 1000 + 10);
    // ...frame 4 is already overdue, so it goes at once (a delay ≤ 0 means now)...
    // ...and from frame 5 on every frame is exactly on its deadline again.
    for (let n = 5; n < 10; n++) expect(sendTimes[n]).toBeCloseTo((n * frameUs) / 1000, 9);
  });

  it('a deadline in the past resolves at once', async () => {
    const clock = new ManualClock(500);
    const pacer = new DeadlinePacer(clock);
    pacer.start(0);
    await pacer.waitFor(0);
    expect(pacer.lastLatenessMs).toBe(500);
  });

  it('refuses waitFor() before start()', async () => {
    const pacer = new DeadlinePacer(new ManualClock());
    await expect(pacer.waitFor(0)).rejects.toThrow(/start/);
  });

  it('honours an AbortSignal', async () => {
    const clock = new ManualClock(0);
    const pacer = new DeadlinePacer(clock);
    pacer.start(0);
    const ac = new AbortController();
    const p = pacer.waitFor(1e6, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});

describe('TutorialPacer', () => {
  it('starts with TS = 0.5/FPS and moves it by exactly ±1 ms per frame toward FPS', async () => {
    const clock = new ManualClock(10_000);
    const pacer = new TutorialPacer(clock, 30);
    expect(pacer.tsSeconds).toBeCloseTo(0.5 / 30, 12);
    pacer.start(clock.now());
    await pacer.waitFor(0); // frame 0: sent at once
    // after frame 0: cnt is 0, no measurement yet; sleep int(16.67) = 16 ms
    let p = pacer.waitFor(1);
    await flush();
    expect(pacer.tsSeconds).toBeCloseTo(0.5 / 30, 12);
    clock.advance(16);
    await p;
    // after frame 1: first measurement against st = 0 → fps ≈ 0 < 30 → TS −= 1 ms; sleep 15 ms
    p = pacer.waitFor(2);
    await flush();
    expect(pacer.tsSeconds).toBeCloseTo(0.5 / 30 - 0.001, 12);
    clock.advance(15);
    await p;
    // after frame 2: one frame took 15 ms → 66.7 fps > 30 → TS += 1 ms
    p = pacer.waitFor(3);
    await flush();
    expect(pacer.measuredFps).toBeCloseTo(1000 / 15, 6);
    expect(pacer.tsSeconds).toBeCloseTo(0.5 / 30, 12);
    clock.advance(16);
    await p;
    // after frame 3, 100 ms later (slow): 1/(0.116 s) < 30 → TS −= 1 ms
    clock.advance(100);
    p = pacer.waitFor(4);
    await flush();
    expect(pacer.tsSeconds).toBeCloseTo(0.5 / 30 - 0.001, 12);
    clock.advance(15);
    await p;
  });

  it('sleeps int(1000*TS) whole milliseconds, truncated as the tutorial does', async () => {
    const clock = new ManualClock(0);
    const pacer = new TutorialPacer(clock, 24000 / 1001); // TS = 20.85 ms → int() = 20
    await pacer.waitFor(0);
    let done = false;
    void pacer.waitFor(1).then(() => (done = true));
    clock.advance(19);
    await flush();
    expect(done).toBe(false);
    clock.advance(1);
    await flush();
    expect(done).toBe(true);
  });

  it('createPacer picks the kind', () => {
    const clock = new ManualClock();
    expect(createPacer('deadline', clock, 30)).toBeInstanceOf(DeadlinePacer);
    expect(createPacer('tutorial', clock, 30)).toBeInstanceOf(TutorialPacer);
  });
});
