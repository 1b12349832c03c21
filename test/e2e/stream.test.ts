/**
 * End to end, both wires: a real server and client (child processes, real ffmpeg on a small clip
 * made here, loopback sockets). Tight timing figures are the benchmark's job; here the figures must
 * simply be right: paced at the file's rate as received (support/rate.ts), every frame, no loss, all of the
 * sound, A/V within ±30 ms on average and no frame shown further off than the client's late threshold.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../support/fixture.ts';
import { expectFileRate } from '../support/rate.ts';
import { readStats, startClient, startServer, stopAll, tempDir, type TempDir } from '../support/processes.ts';

const SECONDS = 3;
let dir: TempDir;
const clips: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  clips['30'] = await makeClip(dir, 'c30.mp4', { fps: '30', seconds: SECONDS });
  clips['24000/1001'] = await makeClip(dir, 'c23976.mp4', { fps: '24000/1001', seconds: SECONDS });
});
afterEach(stopAll);
afterAll(() => dir?.remove());

describe.each([
  ['framed', '30', 30],
  ['framed', '24000/1001', 24000 / 1001],
  ['tutorial', '30', 30],
] as const)('%s wire, %s fps', (wire, rate, fps) => {
  it('plays the whole file at its own frame rate, without loss, with all of its sound', async () => {
    const server = await startServer(['--file', clips[rate]!, '--wire', wire]);
    const statsFile = join(dir.path, `stats-${wire}-${fps.toFixed(0)}.json`);
    const client = startClient(server, ['--wire', wire, '--stats', statsFile, '--duration', String(SECONDS + 8)]);
    const { code } = await client.exited;
    const stats = readStats(statsFile);
    const frames = Math.round(SECONDS * fps);
    // framed ends with EndOfStream (exit 0); the tutorial wire can only see the connection close.
    expect(code, client.stderr).toBe(wire === 'framed' ? 0 : 1);
    expect(stats.wire).toBe(wire);
    expect(stats.framesReceived).toBe(frames);
    // Paced at the file's rate as received; the share of them shown in time is the machine's load
    // (a late frame is dropped, and counted: see framesLate below), which the bench measures.
    expectFileRate(stats.arrivalFps!, fps, 'arrivalFps');
    expect(stats.audioSeconds).toBeGreaterThan(SECONDS - 0.15);
    expect(stats.audioSeconds).toBeLessThan(SECONDS + 0.15);
    expect(stats.garbage).toBe(0);
    if (wire === 'framed') {
      expect(stats.sourceFps).toBeCloseTo(fps, 3);
      expect(stats.sourceFpsEstimated).toBe(false); // from the handshake
      expect(stats.framesLost).toBe(0);
      // Every frame is shown or dropped as late, none lost in between.
      expect(stats.framesShown + stats.framesLate).toBe(frames);
      expect(stats.avOffsetMs.maxAbs).not.toBeNull();
      expect(Math.abs(stats.avOffsetMs.mean!)).toBeLessThanOrEqual(30);
      // A frame due while the machine stalls is still shown up to one frame behind the audio clock
      // (the scheduler's late threshold; later ones are dropped as late): none may be further off.
      expect(stats.avOffsetMs.maxAbs!).toBeLessThanOrEqual(1000 / fps + 1);
    } else {
      expect(stats.framesLost).toBeNull(); // the tutorial wire carries no sequence numbers
      expect(stats.sourceFpsEstimated).toBe(true); // no handshake: the rate is read from the arrivals checked above
    }
  });
});
