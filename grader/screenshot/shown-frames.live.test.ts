/**
 * The window recorder against an independent count: a copy of the tutorial's client.py that logs
 * every cv2.imshow (CLOCK_MONOTONIC) is pointed at the reference server on the grader's Xvfb, and
 * the share of sent frames the recorder saw in its window must match the share client.py says it
 * showed over the same seconds — at full rate (waitKey(1)) and at two thirds of it (waitKey(50)).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { need } from '../../test/support/requirements.ts';
import { DEMO_CLIP, ensureDemoClip } from '../../src/media/clips.ts';
import { allocateStreamPorts, releasePorts } from '../run/launch/ports.ts';
import { startReferenceServer } from '../run/reference.ts';
import { launch, type Launched } from '../run/launch/launch.ts';
import { NULL_ALSA_CONF, pythonCommand } from '../run/python/python.ts';
import { until } from '../run/launch/watch.ts';
import { grabLiveWindows, tutorialWindowRegions } from './opencv.ts';
import { recordShownFrames } from './shown-frames.ts';
import { startXvfb } from './xvfb.ts';

const missing = await need('python-opencv', 'xvfb', 'ffmpeg');
const TUTORIAL_CLIENT = new URL('../../test/fixtures/tutorial/client.py', import.meta.url);
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const monotonicS = (): number => Number(process.hrtime.bigint()) / 1e9;

/** client.py pointed at `port`, waiting `waitMs` per frame, printing `shown <monotonic s>` at each imshow. */
async function loggingClient(dir: string, port: number, waitMs: number): Promise<string> {
  const replace = (text: string, from: string, to: string): string => {
    if (!text.includes(from)) throw new Error(`client.py no longer contains ${from}`);
    return text.replace(from, to);
  };
  let src = await readFile(TUTORIAL_CLIENT, 'utf8');
  src = replace(src, "host_ip = '192.168.1.21'", "host_ip = '127.0.0.1'");
  src = replace(src, 'port = 9688', `port = ${port}`);
  src = replace(src, 'import time, os', 'import time, os, sys');
  src = replace(
    src,
    'key = cv2.waitKey(1) & 0xFF',
    `sys.stderr.write('shown %.4f\\n' % time.monotonic()); sys.stderr.flush()\n\t\tkey = cv2.waitKey(${waitMs}) & 0xFF`,
  );
  const file = join(dir, 'client.py');
  await writeFile(file, src);
  return file;
}

describe.skipIf(missing)('the window recorder against client.py counting its own imshow calls', () => {
  it.each([1, 50])(
    'waitKey(%i): the recorder sees the share of frames client.py showed',
    async (waitMs) => {
      const dir = await mkdtemp(join(tmpdir(), 'avsock-shown-'));
      dirs.push(dir);
      const started: Launched[] = [];
      const ports = await allocateStreamPorts();
      const display = await startXvfb();
      try {
        expect(display, 'Xvfb did not start').toBeDefined();
        started.push(display!.xvfb);
        const ref = await startReferenceServer(await ensureDemoClip(), ports, 'tutorial', 40_000);
        started.push(ref.launched);
        const { command, args } = pythonCommand(await loggingClient(dir, ports.videoPort, waitMs), {
          display: display!.display,
          env: { ALSA_CONFIG_PATH: NULL_ALSA_CONF },
        });
        const client = launch('client.py', command, args, { cwd: dir, maxOutputBytes: 1 << 20 });
        started.push(client);
        const first = await until(
          40_000,
          () => (/shown /.test(client.out.text) ? true : undefined),
          () => (client.exit ? client.out.tail(3) : undefined),
        );
        expect(first, 'client.py showed no frame').toBe(true);
        const band = tutorialWindowRegions(DEMO_CLIP.width, DEMO_CLIP.height)[1]!;
        const [grab] = await grabLiveWindows(display!.display, [band], { timeoutMs: 15_000 });
        expect(grab?.live, grab?.problem).toBe(true);
        const from = monotonicS();
        const recorded = await recordShownFrames(display!.display, grab!.region!, { seconds: 5 });
        const to = monotonicS();
        const calls = [...client.out.text.matchAll(/shown ([\d.]+)/g)].map((m) => Number(m[1])).filter((t) => t >= from && t <= to).length;
        // The reference server sends the clip's rate to within 0.1 %; its frames over the same seconds.
        const sent = (to - from) * DEMO_CLIP.fps;
        const ownShare = calls / sent;
        expect(recorded.sent - recorded.unseen).toBeGreaterThan(100);
        // Both count over ~5 s (≈ 150 frames); ffmpeg's start and a frame at each end move either by ~2 %.
        expect(Math.abs(recorded.shownRatio - ownShare), `recorder ${recorded.shownRatio.toFixed(3)} vs client.py ${ownShare.toFixed(3)}`).toBeLessThan(0.05);
        if (waitMs === 50) expect(ownShare).toBeLessThan(0.8);
      } finally {
        await Promise.all(started.reverse().map((l) => l.handle.stop()));
        releasePorts(ports);
      }
    },
    120_000,
  );
});
