import { afterEach, describe, expect, it } from 'vitest';
import puppeteer, { type Browser } from 'puppeteer';
import { CHROMIUM_ARGS, resolveChromium } from '../platform/tools.ts';
import { monotonicClock } from '../timing/monotonic-clock.ts';
import { startWindowServer, type WindowServer } from '../ui/window-server.ts';
import { AudioPlayer } from './player.ts';
import { openAudioSink } from './sinks.ts';
import { need } from '../../test/support/requirements.ts';

const noBrowser = await need('browser');

let browser: Browser | undefined;
let server: WindowServer | undefined;
let player: AudioPlayer | undefined;

afterEach(async () => {
  await player?.close();
  await browser?.close();
  await server?.close();
  player = browser = server = undefined;
});

describe.skipIf(noBrowser)('browser sink end to end', () => {
  it('AudioPlayer → browser sink → the RECEIVING page schedules the sound at the pace of the clock', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO' });
    browser = await puppeteer.launch({ executablePath: (await resolveChromium()).path, args: [...CHROMIUM_ARGS], headless: true });
    const page = await browser.newPage();
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    await expect.poll(() => server!.audioListeners, { timeout: 10_000 }).toBe(1);

    const { sink, reason } = await openAudioSink({ sampleRate: 44100, channels: 2, browser: server, prefer: 'browser' });
    expect(sink.kind).toBe('browser');
    expect(reason).toContain('RECEIVING VIDEO window');
    player = new AudioPlayer({ clock: monotonicClock, sink, sampleRate: 44100, channels: 2 });
    const chunks = 43; // 1 s
    for (let k = 0; k < chunks; k++) {
      player.enqueue({ ptsUs: Math.round((k * 1024 * 1e6) / 44100), pcm: Buffer.alloc(4096, k & 0x7f) });
    }
    const scheduled = (): Promise<number> =>
      page.evaluate(() => (window as unknown as { __avsock: { audioSecondsScheduled: number } }).__avsock.audioSecondsScheduled);
    // Paced, not dumped: shortly after the start only the first part has been sent.
    await expect.poll(scheduled, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(await scheduled()).toBeLessThan(0.8);
    await player.drain();
    await expect.poll(scheduled, { timeout: 5_000 }).toBeCloseTo((chunks * 1024) / 44100, 3);
    expect(player.playedSeconds).toBeCloseTo((chunks * 1024) / 44100, 2);
  });
});
