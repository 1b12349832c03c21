/**
 * Test helper, run under `xvfb-run` by windows.test.ts: opens one window like `npm start` does,
 * pushes a flat magenta picture, grabs the X screen with ffmpeg x11grab until the picture shows at
 * the window's place, then closes. Prints one JSON line: { ok, pixel, elapsedMs, profilesLeft }.
 * Then opens a second window and kills its browser, as a user closing it would end it, and reports
 * whether `closed` resolved by itself (userClosed).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { resolveFfmpeg } from '../../platform/tools.ts';
import { startWindowServer } from '../window-server.ts';
import { openWindows } from '../windows.ts';
import { sleep, waitWithin } from '../../timing/wait.ts';

const X = 10;
const Y = 30;

async function grabPixel(x: number, y: number): Promise<[number, number, number] | undefined> {
  const r = spawnSync(
    resolveFfmpeg().path,
    [
      '-v',
      'error',
      '-f',
      'x11grab',
      '-video_size',
      '640x480',
      '-i',
      `${process.env.DISPLAY}+0,0`,
      '-frames:v',
      '1',
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      'pipe:1',
    ],
    { timeout: 10_000, maxBuffer: 16 << 20 },
  );
  if (r.status !== 0 || !r.stdout?.length) return undefined;
  const { data, info } = await sharp(r.stdout).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * 3;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

const profilesNow = (): number => readdirSync(tmpdir()).filter((n) => n.startsWith('avsock-window-')).length;

const t0 = Date.now();
const before = profilesNow();
const server = await startWindowServer({ title: 'RECEIVING VIDEO', audio: false });
const jpeg = await sharp({ create: { width: 400, height: 226, channels: 3, background: { r: 200, g: 30, b: 200 } } })
  .jpeg()
  .toBuffer();
const timer = setInterval(() => server.showFrame(jpeg, 30), 40);
let ok = false;
let pixel: [number, number, number] | undefined;
let closedResolved = false;
try {
  const win = await openWindows([{ url: server.url, title: server.title, x: X, y: Y }]);
  void win.closed.then(() => (closedResolved = true));
  try {
    const deadline = Date.now() + 20_000;
    while (!ok && Date.now() < deadline) {
      // Middle of the 400x226 picture, below the window's own title bar.
      pixel = await grabPixel(X + 210, Y + 170);
      ok = !!pixel && pixel[0] > 150 && pixel[1] < 90 && pixel[2] > 150;
      if (!ok) await sleep(250);
    }
  } finally {
    await win.close();
  }
  await sleep(50);
} finally {
  clearInterval(timer);
  await server.close();
}

// The user closes the window (here: its browser goes away): `closed` must resolve without close().
const server2 = await startWindowServer({ title: 'TRANSMITTING VIDEO', audio: false });
let userClosed = false;
try {
  const win2 = await openWindows([{ url: server2.url, title: server2.title, x: X, y: Y }]);
  try {
    for (const pid of win2.pids) process.kill(pid, 'SIGTERM');
    userClosed = (await waitWithin(win2.closed, 10_000)).ok;
  } finally {
    await win2.close();
  }
} finally {
  await server2.close();
}
console.log(JSON.stringify({ ok, pixel, closedResolved, userClosed, elapsedMs: Date.now() - t0, profilesLeft: profilesNow() - before }));
