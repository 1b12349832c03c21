import { describe, expect, it } from 'vitest';
import { settlesWithin, sleep, waitWithin } from './wait.ts';

describe('settlesWithin()', () => {
  it('is true when the work resolves or rejects before the time is up', async () => {
    expect(await settlesWithin(Promise.resolve(1), 10_000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 10_000)).toBe(true);
  });

  it('is false when the time runs out first, and never rejects', async () => {
    const never = new Promise<void>(() => {});
    expect(await settlesWithin(never, 1)).toBe(false);
  });
});

describe('sleep()', () => {
  it('rejects with an AbortError when its signal is aborted', async () => {
    const abort = new AbortController();
    const slept = sleep(60_000, { signal: abort.signal });
    abort.abort(new Error('stop'));
    await expect(slept).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('waitWithin()', () => {
  it('takes a fractional time limit (a computed deadline) with or without keeping the process alive', async () => {
    const never = new Promise<void>(() => {});
    expect(await waitWithin(never, 1.5)).toEqual({ ok: false, reason: 'timeout' });
    expect(await waitWithin(never, 1.5, { keepAlive: false })).toEqual({ ok: false, reason: 'timeout' });
    expect(await waitWithin(Promise.resolve(7), 0.2, { keepAlive: false })).toEqual({ ok: true, value: 7 });
  });

  it('says aborted when its signal aborts first, and passes a rejection on', async () => {
    const abort = new AbortController();
    const waited = waitWithin(new Promise<void>(() => {}), 60_000, { signal: abort.signal });
    abort.abort();
    expect(await waited).toEqual({ ok: false, reason: 'aborted' });
    await expect(waitWithin(Promise.reject(new Error('boom')), 60_000)).rejects.toThrow('boom');
  });
});
