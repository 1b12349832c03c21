import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import sharp from 'sharp';
import { request } from 'node:http';
import { CHROMIUM_ARGS, resolveChromium } from '../platform/tools.ts';
import { startWindowServer, type WindowServer } from './window-server.ts';
import { need } from '../../test/support/requirements.ts';

const noBrowser = await need('browser');

/** A real JPEG of one flat colour, as ffmpeg would hand us (400 wide like the tutorial). */
async function solidJpeg(r: number, g: number, b: number, width = 400, height = 226): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

interface AvsockState {
  framesShown: number;
  fps: number;
  fpsText: string;
  title: string;
  lastFrameAt: number;
  connected: boolean;
  stats: Record<string, unknown>;
  audioState: string;
  audioSecondsScheduled: number;
  audioQueuedMaxS: number;
  audioDropped: number;
  width: number;
}

const state = (page: Page): Promise<AvsockState> => page.evaluate(() => (window as unknown as { __avsock: AvsockState }).__avsock);

let browser: Browser;
let server: WindowServer | undefined;
let page: Page | undefined;

beforeAll(async () => {
  if (noBrowser) return;
  const chromium = await resolveChromium();
  browser = await puppeteer.launch({
    executablePath: chromium.path,
    args: [...CHROMIUM_ARGS],
    headless: true,
  });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await page?.close().catch(() => {});
  page = undefined;
  await server?.close();
  server = undefined;
});

async function openPage(s: WindowServer): Promise<Page> {
  page = await browser.newPage();
  await page.goto(s.url, { waitUntil: 'domcontentloaded' });
  await expect.poll(() => s.viewers, { timeout: 10_000 }).toBe(1);
  return page;
}

describe.skipIf(noBrowser)('startWindowServer()', () => {
  it('serves a page with the window title on a loopback port chosen by the OS', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const p = await openPage(server);
    expect(await p.title()).toBe('RECEIVING VIDEO');
    expect((await state(p)).title).toBe('RECEIVING VIDEO');
  });

  it('shows pushed JPEG frames with the FPS figure drawn in red at the top left', async () => {
    server = await startWindowServer({ title: 'TRANSMITTING VIDEO', audio: false });
    const p = await openPage(server);
    const grey = await solidJpeg(128, 128, 128);
    server.showFrame(grey, 29.4);
    await expect.poll(async () => (await state(p)).framesShown, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) server.showFrame(grey, 30);
    await expect.poll(async () => (await state(p)).fpsText, { timeout: 10_000 }).toBe('FPS: 30.0');
    const s = await state(p);
    expect(s.fps).toBe(30);
    expect(s.width).toBe(400);
    expect(s.lastFrameAt).toBeGreaterThan(Date.now() - 60_000);
    // The text is really on the picture: red pixels where putText draws, plain grey elsewhere.
    const pixels = await p.evaluate(() => {
      const c = document.getElementById('pic') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let redInText = 0;
      let redElsewhere = 0;
      for (let y = 0; y < c.height; y++) {
        for (let x = 0; x < c.width; x++) {
          const i = (y * c.width + x) * 4;
          const red = d[i]! > 200 && d[i + 1]! < 80 && d[i + 2]! < 80;
          if (!red) continue;
          if (x < 150 && y < 50) redInText++;
          else redElsewhere++;
        }
      }
      return { redInText, redElsewhere };
    });
    expect(pixels.redInText).toBeGreaterThan(50);
    expect(pixels.redElsewhere).toBe(0);
  });

  it('frames keep flowing: framesShown grows as frames are pushed', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO', audio: false });
    const p = await openPage(server);
    const frames = [await solidJpeg(200, 30, 30), await solidJpeg(30, 200, 30)];
    let n = 0;
    const timer = setInterval(() => server?.showFrame(frames[n++ % 2]!, 25), 20);
    try {
      await expect.poll(async () => (await state(p)).framesShown, { timeout: 15_000 }).toBeGreaterThanOrEqual(20);
    } finally {
      clearInterval(timer);
    }
  });

  it('a page that connects late gets the last frame and stats at once', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO', audio: false });
    server.showFrame(await solidJpeg(10, 10, 200), 12.5);
    server.setStats({ fps: '12.5', lost: 0 });
    const p = await openPage(server);
    await expect.poll(async () => (await state(p)).fpsText, { timeout: 10_000 }).toBe('FPS: 12.5');
    await expect.poll(async () => (await state(p)).stats, { timeout: 10_000 }).toEqual({ fps: '12.5', lost: 0 });
  });

  it('renders the stats table below the picture', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO', audio: false });
    const p = await openPage(server);
    server.setStats({ jitter: '0.4 ms', lost: 3 });
    await expect.poll(() => p.evaluate(() => document.getElementById('stats')!.textContent), { timeout: 10_000 }).toBe('jitter0.4 mslost3');
  });

  it('pressing q in the page calls the onQuit handlers', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO', audio: false });
    const p = await openPage(server);
    let quits = 0;
    server.onQuit(() => quits++);
    await p.keyboard.press('q');
    await expect.poll(() => quits, { timeout: 10_000 }).toBe(1);
  });

  it('close() returns promptly with a page still connected', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO' });
    await openPage(server);
    server.showFrame(await solidJpeg(1, 2, 3), 30);
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(server.closed).toBe(true);
    expect(() => server!.showFrame(Buffer.from([1]), 1)).not.toThrow(); // a late frame is ignored
    expect(server.viewers).toBe(0);
  });

  it('drops frames for a page that does not read instead of buffering them', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO', audio: false });
    const port = Number(new URL(server.url).port);
    // A raw HTTP client that never reads the body: the socket fills, later frames must be dropped.
    const req = request({ host: '127.0.0.1', port, path: '/stream' });
    req.end();
    const res = await new Promise<import('node:http').IncomingMessage>((r) => req.on('response', r));
    res.pause();
    try {
      await expect.poll(() => server!.viewers).toBe(1);
      const big = Buffer.alloc(200_000, 7);
      for (let i = 0; i < 200; i++) server.showFrame(big, 30);
      expect(server.framesDropped).toBeGreaterThan(150);
    } finally {
      req.destroy();
    }
  });

  it('refuses requests for another Host (DNS rebinding)', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO' });
    const port = Number(new URL(server.url).port);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/quit', method: 'POST', headers: { Host: 'evil.example' } });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('sendAudio() reaches a page whose Web Audio is running, and it schedules the sound', async () => {
    server = await startWindowServer({ title: 'RECEIVING VIDEO' });
    const p = await openPage(server);
    await expect.poll(() => server!.audioListeners, { timeout: 10_000 }).toBe(1);
    expect((await state(p)).audioState).toBe('running');
    // 0.19 s of a 440 Hz tone in 1024-frame chunks, s16le stereo, as the client would forward them.
    const rate = 44100;
    const tone = (k: number): Buffer => {
      const pcm = Buffer.alloc(1024 * 4);
      for (let i = 0; i < 1024; i++) {
        const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * 1024 + i)) / rate));
        pcm.writeInt16LE(v, i * 4);
        pcm.writeInt16LE(v, i * 4 + 2);
      }
      return pcm;
    };
    for (let k = 0; k < 8; k++) server.sendAudio(tone(k), rate, 2);
    await expect.poll(async () => (await state(p)).audioSecondsScheduled, { timeout: 10_000 }).toBeCloseTo((8 * 1024) / rate, 3);
    // Dumped far ahead of real time (not what the clock-paced player does), the page keeps its
    // latency bounded by dropping instead of queueing seconds of sound: never more than its 0.25 s
    // limit plus the chunk that crossed it queued ahead of the audio clock, however slowly (on a
    // busy machine) the 1.2 s of chunks arrive.
    for (let k = 8; k < 60; k++) server.sendAudio(tone(k), rate, 2);
    await expect.poll(async () => (await state(p)).audioDropped, { timeout: 10_000 }).toBeGreaterThan(0);
    const after = await state(p);
    expect(after.audioQueuedMaxS).toBeGreaterThan(0.2);
    expect(after.audioQueuedMaxS).toBeLessThanOrEqual(0.25 + 1024 / rate + 1e-6);
    expect(after.audioSecondsScheduled).toBeLessThan((60 * 1024) / rate);
  });
});
