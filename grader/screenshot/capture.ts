/**
 * Grabs both windows' pages (the `ui: http://…` URLs the programs print) in headless Chromium at a
 * fixed size, once each shows live frames (window.__avsock.framesShown keeps increasing).
 * Two grabs per window, apart in time: identical grabs mean a frozen picture.
 */
import puppeteer, { type Browser } from 'puppeteer';
import { CHROMIUM_ARGS, resolveChromium } from '../../src/platform/tools.ts';
import { imagesDiffer } from './compose.ts';
import { sleep } from '../../src/timing/wait.ts';

export interface PageGrab {
  url: string;
  title: string;
  png?: Buffer;
  fps?: number;
  framesShown: number;
  live: boolean;
  frozen: boolean;
  problem?: string;
}

/** The page: its title line, the picture (400 px wide, the tutorial's imutils.resize(width=400)) and the stats, in a 420-px body. */
export const VIEWPORT = { width: 420, height: 336 } as const;

interface AvsockState {
  framesShown?: number;
  fps?: number;
}

export async function grabPages(pages: Array<{ url: string; title: string }>, opts: { liveTimeoutMs?: number; gapMs?: number } = {}): Promise<PageGrab[]> {
  const liveTimeoutMs = opts.liveTimeoutMs ?? 12_000;
  const chromium = await resolveChromium();
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      executablePath: chromium.path,
      headless: true,
      args: [...CHROMIUM_ARGS],
      defaultViewport: VIEWPORT,
      timeout: 20_000,
      protocolTimeout: 20_000,
    });
    const b = browser;
    return await Promise.all(
      pages.map(async ({ url, title }): Promise<PageGrab> => {
        const grab: PageGrab = { url, title, framesShown: 0, live: false, frozen: false };
        const page = await b.newPage();
        try {
          await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 10_000 });
          const state = (): Promise<AvsockState> => page.evaluate(() => (window as unknown as { __avsock?: AvsockState }).__avsock ?? {});
          const deadline = Date.now() + liveTimeoutMs;
          let first: number | undefined;
          while (Date.now() < deadline) {
            const s = await state();
            const shown = s.framesShown ?? 0;
            // Live = at least 5 more frames shown since we first looked, after the first one.
            if (shown > 0 && first === undefined) first = shown;
            if (first !== undefined && shown >= first + 5) {
              grab.live = true;
              break;
            }
            await sleep(200);
          }
          if (!grab.live) {
            grab.problem =
              first === undefined
                ? `${title} page showed no frame in ${liveTimeoutMs / 1000} s (window.__avsock.framesShown stayed 0)`
                : `${title} page stopped showing frames`;
          }
          const one = Buffer.from(await page.screenshot({ type: 'png' }));
          await sleep(opts.gapMs ?? 700);
          const two = Buffer.from(await page.screenshot({ type: 'png' }));
          const s = await state();
          grab.framesShown = s.framesShown ?? 0;
          if (typeof s.fps === 'number') grab.fps = s.fps;
          grab.png = two;
          if (!(await imagesDiffer(one, two))) {
            grab.frozen = true;
            grab.problem ??= `${title} picture did not change in ${(opts.gapMs ?? 700) / 1000} s (frozen)`;
          }
        } catch (error) {
          grab.problem = `${title} page ${url}: ${(error as Error).message.split('\n')[0]}`;
        } finally {
          await page.close().catch(() => {});
        }
        return grab;
      }),
    );
  } finally {
    await browser?.close().catch(() => {});
  }
}
