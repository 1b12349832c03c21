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
    const writeAheadMs = 30;
    player = new AudioPlayer({ clock: monotonicClock, sink, sampleRate: 44100, channels: 2, leadMs: 50, writeAheadMs });
    const chunks = 43; // 1 s
    const chunkS = 1024 / 44100;
    const startMs = monotonicClock.now();
    for (let k = 0; k < chunks; k++) {
      player.enqueue({ ptsUs: Math.round((k * 1024 * 1e6) / 44100), pcm: Buffer.alloc(4096, k & 0x7f) });
    }
    type PageAudio = { audioSecondsScheduled: number; audioChunks: number; audioDropped: number };
    const pageAudio = (): Promise<PageAudio> =>
      page.evaluate(() => {
        const a = (window as unknown as { __avsock: PageAudio }).__avsock;
        return { audioSecondsScheduled: a.audioSecondsScheduled, audioChunks: a.audioChunks, audioDropped: a.audioDropped };
      });
    // Paced, not dumped: the player hands a chunk over writeAheadMs before it is due, and its
    // timeline only ever moves later (a stall re-anchors it), so whatever the load, what the page
    // holds at any moment is at most the time elapsed since the first enqueue plus one chunk and
    // the write-ahead. A player that dumped the queue would show the whole second at once.
    await expect.poll(async () => (await pageAudio()).audioChunks, { timeout: 10_000 }).toBeGreaterThan(0);
    const early = await pageAudio();
    const elapsedS = (monotonicClock.now() - startMs) / 1000;
    expect(early.audioSecondsScheduled).toBeLessThanOrEqual(elapsedS + writeAheadMs / 1000 + chunkS + 1e-6);
    await player.drain();
    expect(player.playedSeconds).toBeCloseTo(chunks * chunkS, 2);
    // Every chunk the player wrote is accounted for: scheduled by the page, or dropped by the page's
    // latency bound or the server's backlog bound (both by design: a headless Chromium's audio
    // clock can lag under load, and the page then keeps latency down rather than every sample).
    const settled = (a: PageAudio): number => a.audioChunks + a.audioDropped + server!.audioDropped;
    await expect.poll(async () => settled(await pageAudio()), { timeout: 10_000 }).toBe(chunks);
    const last = await pageAudio();
    expect(last.audioChunks).toBeGreaterThan(0);
    expect(last.audioSecondsScheduled).toBeCloseTo(last.audioChunks * chunkS, 6);
  });
});
