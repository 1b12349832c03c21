import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { composeScreenshot, imagesDiffer, screenshotName, ScreenshotRefusedError, wrapCaption } from './compose.ts';

async function noisy(seed: number, width = 420, height = 320): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

async function flat(width = 420, height = 320): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 34, g: 34, b: 34 } } })
    .png()
    .toBuffer();
}

describe('composeScreenshot()', () => {
  it('puts TRANSMITTING above RECEIVING with titles and a caption, as one PNG', async () => {
    const png = await composeScreenshot(
      [
        { title: 'TRANSMITTING VIDEO', fps: 30, png: await noisy(1) },
        { title: 'RECEIVING VIDEO', fps: 29.9, png: await noisy(2) },
      ],
      ['avsock · 2025-01-01 · a very long caption line · that has to be wrapped to fit · the picture width without being cut off at the edge'],
    );
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(440);
    // two windows of 320 + two title bars + margins + at least 2 caption lines
    expect(meta.height).toBeGreaterThan(2 * 320 + 2 * 30 + 40);
    // The top window's pixels are where the layout says (below the first title bar).
    const crop = await sharp(png).extract({ left: 10, top: 40, width: 420, height: 320 }).png().toBuffer();
    expect(await imagesDiffer(crop, await noisy(1))).toBe(false);
  });

  it('refuses a blank window, naming it', async () => {
    const attempt = composeScreenshot(
      [
        { title: 'TRANSMITTING VIDEO', png: await noisy(3) },
        { title: 'RECEIVING VIDEO', png: await flat() },
      ],
      ['x'],
    );
    await expect(attempt).rejects.toBeInstanceOf(ScreenshotRefusedError);
    await expect(attempt).rejects.toThrow(/RECEIVING VIDEO window is blank/);
  });

  it('tells two identical grabs from two different ones (frozen detection)', async () => {
    expect(await imagesDiffer(await noisy(5), await noisy(5))).toBe(false);
    expect(await imagesDiffer(await noisy(5), await noisy(6))).toBe(true);
  });
});

describe('helpers', () => {
  it('names screenshots YYYY-MM-DD_HH-MM-SS.png', () => {
    expect(screenshotName(new Date(2024, 2, 7, 10, 46, 1))).toBe('2024-03-07_10-46-01.png');
  });
  it('wraps caption lines at the separator', () => {
    const lines = wrapCaption(['aaaa · bbbb · cccc'], 11);
    expect(lines).toEqual(['aaaa · bbbb', '  cccc']);
    expect(wrapCaption(['x'.repeat(30)], 10).every((l) => l.length <= 10)).toBe(true);
  });
});
