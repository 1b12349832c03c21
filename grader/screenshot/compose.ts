/**
 * One PNG with both windows, as the tutorial's screenshot: `TRANSMITTING VIDEO` above
 * `RECEIVING VIDEO` (the tutorial places them at (10,30) and (10,360)), each titled with its FPS,
 * and a caption (date, commit, measured figures) drawn as SVG text by sharp.
 *
 * A picture that is blank (one colour) is refused: it proves nothing. Frozen pictures are caught by
 * the caller with imagesDiffer() on two grabs taken apart in time.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { AvsockError } from '../../src/errors.ts';

export class ScreenshotRefusedError extends AvsockError {
  constructor(message: string) {
    super('E_SCREENSHOT_REFUSED', message);
  }
}

export interface WindowShot {
  title: string;
  fps?: number;
  png: Buffer;
}

function svgEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Standard deviation of the picture's luminance-ish channels (max over R, G, B). */
export async function pictureStdev(png: Buffer): Promise<number> {
  const stats = await sharp(png).removeAlpha().stats();
  return Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev));
}

/** Mean absolute difference per channel between two same-size pictures (0 = identical). */
export async function imageDifference(a: Buffer, b: Buffer): Promise<number> {
  const ra = await sharp(a).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rb = await sharp(b).removeAlpha().resize(ra.info.width, ra.info.height, { fit: 'fill' }).raw().toBuffer();
  let sum = 0;
  const n = Math.min(ra.data.length, rb.length);
  for (let i = 0; i < n; i++) sum += Math.abs(ra.data[i]! - rb[i]!);
  return n ? sum / n : 0;
}

export async function imagesDiffer(a: Buffer, b: Buffer): Promise<boolean> {
  return (await imageDifference(a, b)) > 0;
}

/** Below this (max channel stdev, 0..255) a window is taken as blank. */
export const BLANK_STDEV = 3;

const MARGIN = 10;
const TITLE_H = 30;
const LINE_H = 20;
/** Advance of one 13 px DejaVu Sans Mono character (0.602 em). */
const CHAR_W = 7.9;

/** Breaks caption lines at ' · ' (else at spaces) so none is wider than `maxChars`. */
export function wrapCaption(lines: string[], maxChars: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const parts = line.split(' · ');
    let cur = '';
    for (const part of parts) {
      const joined = cur ? `${cur} · ${part}` : part;
      if (joined.length <= maxChars || !cur) cur = joined;
      else {
        out.push(cur);
        cur = `  ${part}`;
      }
    }
    while (cur.length > maxChars) {
      const cut = cur.lastIndexOf(' ', maxChars) > maxChars / 2 ? cur.lastIndexOf(' ', maxChars) : maxChars;
      out.push(cur.slice(0, cut));
      cur = `  ${cur.slice(cut).trimStart()}`;
    }
    out.push(cur);
  }
  return out;
}

export async function composeScreenshot(windows: WindowShot[], caption: string[]): Promise<Buffer> {
  if (windows.length === 0) throw new ScreenshotRefusedError('no window to put in the screenshot');
  const metas: Array<{ width: number; height: number }> = [];
  for (const w of windows) {
    const stdev = await pictureStdev(w.png);
    if (stdev < BLANK_STDEV) {
      throw new ScreenshotRefusedError(`${w.title} window is blank (stdev ${stdev.toFixed(2)} < ${BLANK_STDEV}): no picture was shown`);
    }
    const m = await sharp(w.png).metadata();
    metas.push({ width: m.width ?? 0, height: m.height ?? 0 });
  }
  const width = Math.max(...metas.map((m) => m.width)) + 2 * MARGIN;
  caption = wrapCaption(caption, Math.floor((width - 2 * MARGIN) / CHAR_W));
  const captionH = caption.length * LINE_H + MARGIN;
  const height = metas.reduce((s, m) => s + TITLE_H + m.height + MARGIN, MARGIN) + captionH;
  const layers: OverlayOptions[] = [];
  let y = MARGIN;
  windows.forEach((w, i) => {
    const m = metas[i]!;
    const title = `${w.title}${w.fps !== undefined && Number.isFinite(w.fps) ? `   FPS: ${w.fps.toFixed(1)}` : ''}`;
    const bar = `<svg xmlns="http://www.w3.org/2000/svg" width="${m.width}" height="${TITLE_H}">
      <rect width="100%" height="100%" fill="#2b2b2b"/>
      <text x="8" y="20" font-family="DejaVu Sans, Arial, sans-serif" font-size="15" font-weight="bold" fill="#ffffff">${svgEscape(title)}</text></svg>`;
    layers.push({ input: Buffer.from(bar), left: MARGIN, top: y });
    layers.push({ input: w.png, left: MARGIN, top: y + TITLE_H });
    y += TITLE_H + m.height + MARGIN;
  });
  const text = caption
    .map(
      (line, i) => `<text x="0" y="${(i + 1) * LINE_H - 5}" font-family="DejaVu Sans Mono, monospace" font-size="13" fill="#e0e0e0">${svgEscape(line)}</text>`,
    )
    .join('');
  layers.push({
    input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width - 2 * MARGIN}" height="${captionH}">${text}</svg>`),
    left: MARGIN,
    top: y,
  });
  return sharp({ create: { width, height, channels: 3, background: { r: 17, g: 17, b: 17 } } })
    .composite(layers)
    .png()
    .toBuffer();
}

/** screenshots/YYYY-MM-DD_HH-MM-SS.png, local time (the tutorial's own screenshot names). */
export function screenshotName(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}.png`;
}
