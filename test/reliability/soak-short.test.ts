/**
 * The short soak (the long one is `npm run soak`): 15 s of a looping clip with three clients —
 * RSS, open fds and child processes flat — and every way the server ends (end of file, q in its
 * page, Ctrl+C, SIGTERM, an uncaught error) leaves no ffmpeg behind, alive or unreaped.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestClip } from '../../src/media/index.ts';
import { stopAll, tempDir, type TempDir } from '../support/processes.ts';
import { expectFileRate } from '../support/rate.ts';
import { EXIT_PATHS, exitPath, formatExit, formatSoak, soak } from './soak-lib.ts';

let dir: TempDir;
let clip: string;

beforeAll(async () => {
  dir = tempDir();
  clip = await makeTestClip(join(dir.path, 'c30.mp4'), { fps: '30', seconds: 3 });
});
afterAll(async () => {
  await stopAll();
  dir?.remove();
});

describe.sequential('long runs, short version', () => {
  it('15 s, 3 clients: memory, fds and children flat, nothing lost', async () => {
    const r = await soak({ clip, seconds: 15, clients: 3, statsDir: dir.path });
    console.info(`figures soak 15 s:\n${formatSoak(r)}`);
    expect(r.server.end.rssKb - r.server.start.rssKb).toBeLessThan(30 * 1024);
    expect(r.server.end.fds - r.server.start.fds).toBeLessThanOrEqual(4);
    // ffmpeg for video and audio, and the next loop's pair while it is pre-opened.
    expect(r.server.end.children).toBeLessThanOrEqual(4);
    for (const c of r.clients) {
      expect(c.end.fds - c.start.fds).toBeLessThanOrEqual(4);
      expect(c.end.children).toBe(0);
      expect(c.end.rssKb - c.start.rssKb).toBeLessThan(30 * 1024);
      expect(c.framesLost).toBe(0);
      // The server's pace as each client received it; how many of those frames a client then showed
      // in time depends on the machine's load (the display drops late frames to keep A/V in sync).
      expectFileRate(c.arrivalFps!, 30, 'arrivalFps');
      expect(c.exitCode).toBe(0);
    }
    expect(r.stderrLines).toBeLessThan(40); // not a line per frame or per client event storm
  });

  it.each(EXIT_PATHS)('ending by %s reaps every ffmpeg child', async (path) => {
    const e = await exitPath(path, clip);
    console.info(`figures exit: ${formatExit(e)}`);
    expect(e.ffmpegSeen).toBeGreaterThanOrEqual(1);
    expect(e.ffmpegLeft).toBe(0);
    expect(e.stackTrace).toBe(false);
    if (typeof e.exit !== 'string') {
      expect(e.exit.signal).toBeNull();
      expect(e.exit.code).toBe(path === 'uncaught error' ? 1 : 0);
    }
  });
});
