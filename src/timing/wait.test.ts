import { describe, expect, it } from 'vitest';
import { settlesWithin, sleep } from './wait.ts';

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
