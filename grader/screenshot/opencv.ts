/**
 * The tutorial's OpenCV windows, grabbed from the grader's virtual screen (xvfb.ts): server.py moves
 * TRANSMITTING VIDEO to (10,30) and client.py RECEIVING VIDEO to (10,360); both show frames resized
 * to 400 px wide (imutils.resize(frame, width=400): height int(h · 400 / w)) — or wherever and
 * however wide the student's own scripts say (read from their syntax tree, python-adapt.ts). With no window manager
 * each picture starts exactly there. Two screen grabs apart in time: a window whose crop is one
 * colour is blank, one whose crop did not change is frozen — both refused.
 */
import sharp from 'sharp';
import { BLANK_STDEV, imagesDiffer, pictureStdev } from './compose.ts';
import { grabScreen, SCREEN } from './xvfb.ts';
import { sleep } from '../../src/timing/wait.ts';

export interface WindowRegion {
  title: string;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The tutorial's picture width (imutils.resize(frame, width=400)) and window positions (cv2.moveWindow). */
export const TUTORIAL_WINDOWS = { width: 400, server: { x: 10, y: 30 }, client: { x: 10, y: 360 } } as const;

export interface WindowLayout {
  /** Width of the pictures shown (the server's resize width). */
  width: number;
  server: { x: number; y: number };
  client: { x: number; y: number };
}

/**
 * Where the tutorial's windows are, for a clip of `frameW`×`frameH` and the layout the scripts
 * ask for (default: the tutorial's); each band ends where the next window starts, so they never overlap.
 */
export function tutorialWindowRegions(frameW: number, frameH: number, layout: WindowLayout = TUTORIAL_WINDOWS): WindowRegion[] {
  const w = Math.max(1, Math.min(layout.width, SCREEN.width));
  const h = frameW > 0 && frameH > 0 ? Math.floor((frameH * w) / frameW) : Math.round((w * 3) / 4);
  const [first, second] = layout.server.y <= layout.client.y ? [layout.server, layout.client] : [layout.client, layout.server];
  const bandEnd = (p: { y: number }): number => (p === first ? second.y : SCREEN.height);
  const region = (title: string, p: { x: number; y: number }): WindowRegion => ({
    title,
    left: p.x,
    top: p.y,
    width: Math.min(w, SCREEN.width - p.x),
    height: Math.max(1, Math.min(h, bandEnd(p) - p.y)),
  });
  return [region('TRANSMITTING VIDEO', layout.server), region('RECEIVING VIDEO', layout.client)];
}

/**
 * Where the picture really is inside a window's band of the screen. GTK builds of OpenCV draw it at
 * the window's origin; Qt builds (Debian's python3-opencv) add a toolbar above and a status bar
 * below and centre the picture in a window as wide as the toolbar (often wider than the screen).
 * The root window is black (Xvfb -br): a window no wider than the picture is GTK-style, else the
 * picture is the run of rows whose non-grey pixels (grey = Qt's background, read left of the
 * picture) span about the picture's width.
 */
export async function locatePicture(screen: Buffer, r: WindowRegion, bandBottom: number): Promise<WindowRegion> {
  const { data, info } = await sharp(screen).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  const ch = info.channels;
  const px = (x: number, y: number): [number, number, number] => {
    const i = (y * w + x) * ch;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
  const y1 = Math.min(info.height, bandBottom);
  let minX = w;
  let maxX = -1;
  let minY = y1;
  let maxY = -1;
  for (let y = r.top; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const [a, b, c] = px(x, y);
      if (a > 8 || b > 8 || c > 8) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  const clampTo = (q: WindowRegion): WindowRegion => {
    const left = Math.max(0, Math.min(q.left, w - 1));
    const top = Math.max(0, Math.min(q.top, info.height - 1));
    return { ...q, left, top, width: Math.max(1, Math.min(q.width, w - left)), height: Math.max(1, Math.min(q.height, info.height - top)) };
  };
  if (maxX < 0 || maxX - minX + 1 <= r.width + 4) return clampTo(r);
  const grey = px(minX + 1, Math.floor((minY + maxY) / 2));
  const isGrey = (x: number, y: number): boolean => {
    const p = px(x, y);
    return Math.abs(p[0] - grey[0]) <= 6 && Math.abs(p[1] - grey[1]) <= 6 && Math.abs(p[2] - grey[2]) <= 6;
  };
  let pl = w;
  let pr = -1;
  let pt = -1;
  let pb = -1;
  for (let y = minY; y <= maxY; y++) {
    let l = -1;
    let rr = -1;
    for (let x = minX; x <= maxX; x++) {
      if (!isGrey(x, y)) {
        if (l < 0) l = x;
        rr = x;
      }
    }
    const span = l < 0 ? 0 : rr - l + 1;
    if (span >= r.width - 40 && span <= r.width + 4) {
      if (pt < 0) pt = y;
      pb = y;
      pl = Math.min(pl, l);
      pr = Math.max(pr, rr);
    }
  }
  // No picture rows: a grey patch where it should be, which the blank check then refuses.
  if (pt < 0) return clampTo({ ...r, left: Math.floor((minX + maxX - r.width) / 2), top: Math.floor((minY + maxY - r.height) / 2) });
  return clampTo({ ...r, left: pl, top: pt, width: pr - pl + 1, height: pb - pt + 1 });
}

export async function cropRegion(screen: Buffer, r: WindowRegion): Promise<Buffer> {
  return sharp(screen).extract({ left: r.left, top: r.top, width: r.width, height: r.height }).png().toBuffer();
}

export interface WindowGrab {
  title: string;
  /** Where the picture was found on the screen. */
  region?: WindowRegion;
  png?: Buffer;
  live: boolean;
  problem?: string;
}

/**
 * Grabs the screen twice `gapMs` apart until every region is live (not blank, changed) or the
 * deadline passes; returns the last grab of each window with what was wrong with it.
 */
export async function grabLiveWindows(
  display: string,
  regions: WindowRegion[],
  opts: { timeoutMs?: number; gapMs?: number; stop?: () => string | undefined } = {},
): Promise<WindowGrab[]> {
  const gapMs = opts.gapMs ?? 700;
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let result: WindowGrab[] = regions.map((r) => ({ title: r.title, live: false, problem: `${r.title} window: not grabbed` }));
  for (;;) {
    const one = await grabScreen(display);
    await sleep(gapMs);
    const two = await grabScreen(display);
    result = await Promise.all(
      regions.map(async (band, i): Promise<WindowGrab> => {
        const r = await locatePicture(two, band, regions[i + 1]?.top ?? SCREEN.height);
        const a = await cropRegion(one, r);
        const b = await cropRegion(two, r);
        const stdev = await pictureStdev(b);
        if (stdev < BLANK_STDEV)
          return {
            title: r.title,
            region: r,
            png: b,
            live: false,
            problem: `${r.title} window is blank (stdev ${stdev.toFixed(2)} < ${BLANK_STDEV}) at (${r.left},${r.top}) on the grader's screen: no picture was shown`,
          };
        if (!(await imagesDiffer(a, b)))
          return { title: r.title, region: r, png: b, live: false, problem: `${r.title} picture did not change in ${gapMs / 1000} s (frozen)` };
        return { title: r.title, region: r, png: b, live: true };
      }),
    );
    if (result.every((g) => g.live)) return result;
    const stopped = opts.stop?.();
    if (stopped) {
      for (const g of result) if (!g.live) g.problem = `${g.problem}; ${stopped}`;
      return result;
    }
    if (Date.now() + 2 * gapMs > deadline) return result;
    await sleep(300);
  }
}
