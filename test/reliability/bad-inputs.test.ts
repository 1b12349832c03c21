/**
 * Bad files and arguments, table-driven: each either fails with ONE line on stderr and the
 * right exit code (2 = usage, 1 = anything else), or streams with a clear warning — checked by a
 * real client. Clips are generated here with ffmpeg, small.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from '../../src/media/ffmpeg.ts';
import { makeTestClip, makeVfrClip } from '../../src/media/index.ts';
import { readStats, run, stop, startClient, startServer, stopAll, tempDir, type TempDir } from '../support/processes.ts';
import { stackLines } from './helpers.ts';

let dir: TempDir;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  const p = (name: string): string => join(dir.path, name);
  mkdirSync(p('a-directory.mp4'));
  files.directory = p('a-directory.mp4');
  writeFileSync(p('notes.mp4'), 'this is a text file, not a video\n');
  files.text = p('notes.mp4');
  files.missing = p('missing.mp4');
  const [good] = await Promise.all([
    makeTestClip(p('good.mp4'), { fps: '30', seconds: 1 }),
    makeTestClip(p('video-only.mp4'), { fps: '30', seconds: 1, audio: false }).then((f) => (files.videoOnly = f)),
    makeTestClip(p('audio-only.m4a'), { fps: '30', seconds: 1, video: false }).then((f) => (files.audioOnly = f)),
    makeTestClip(p('one-frame.mp4'), { fps: '30', seconds: 1 / 30 }).then((f) => (files.oneFrame = f)),
    makeTestClip(p('odd.mp4'), { fps: '30', seconds: 1, width: 1919, height: 1079 }).then((f) => (files.odd = f)),
    makeTestClip(p('fast.mp4'), { fps: '120', seconds: 1 }).then((f) => (files.fps120 = f)),
    // No stream at all: what `ffmpeg -t 0` writes.
    runFfmpeg({
      name: 'ffmpeg (0 s)',
      inputs: [{ source: 'testsrc2=s=320x240:r=30:d=0', options: ['-f', 'lavfi'] }],
      outputOptions: ['-c:v', 'libx264', '-t', '0', '-y'],
      output: p('zero.mp4'),
    }).then(() => (files.zero = p('zero.mp4'))),
    // Variable frame rate: 30 frames at 30 fps, then 30 at 10 fps.
    makeVfrClip(p('vfr.mp4'), {
      segments: [
        { frames: 30, fps: 30 },
        { frames: 30, fps: 10 },
      ],
    }).then((f) => (files.vfr = f)),
  ]);
  files.good = good;
  // Truncated: the first third of a file whose index (moov) is at its end.
  const bytes = readFileSync(good);
  writeFileSync(p('truncated.mp4'), bytes.subarray(0, Math.floor(bytes.length / 3)));
  files.truncated = p('truncated.mp4');
});
// Not afterEach: the concurrent tests below would stop each other's processes.
afterAll(async () => {
  await stopAll();
  dir?.remove();
});

/** stderr lines that are not status lines. */
function lines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

const FAILS: Array<[string, 'server' | 'client', () => string[], number, RegExp]> = [
  ['a missing file', 'server', () => ['--file', files.missing!], 1, /^server: no such file: .*missing\.mp4; pass --file/],
  ['a directory', 'server', () => ['--file', files.directory!], 1, /^server: .*a-directory\.mp4 is a directory/],
  ['a text file named .mp4', 'server', () => ['--file', files.text!], 1, /^server: .*notes\.mp4 is not a video ffprobe can read/],
  ['a truncated MP4', 'server', () => ['--file', files.truncated!], 1, /^server: .*truncated\.mp4 is not a video ffprobe can read/],
  ['an audio-only file', 'server', () => ['--file', files.audioOnly!], 1, /^server: .*audio-only\.m4a has audio but no video stream/],
  ['a 0-second clip (no streams)', 'server', () => ['--file', files.zero!], 1, /^server: .*zero\.mp4 has no video stream/],
  ['a huge --width', 'server', () => ['--width', '100000'], 2, /^server: --width must be between 16 and 7680, got 100000$/],
  ['an odd --width', 'server', () => ['--width', '401'], 2, /^server: --width must be an even number/],
  ['an unknown flag (server)', 'server', () => ['--colour', 'red'], 2, /^server: Unknown option '--colour'; see npm run server -- --help$/],
  ['a non-numeric --port', 'server', () => ['--port', 'abc'], 2, /^server: --port must be a number, got "abc"$/],
  ['an unknown flag (client)', 'client', () => ['--fast'], 2, /^client: Unknown option '--fast'; see npm run client -- --help$/],
  ['a non-numeric --duration', 'client', () => ['--duration', '5s'], 2, /^client: --duration must be a number, got "5s"$/],
  ['no server listening', 'client', () => ['--port', '9', '--audio-port', '8', '--no-window', '--audio', 'null'], 1, /^client: No server at 127\.0\.0\.1:8/],
];

describe.concurrent('bad files and arguments: one line, the right exit code', () => {
  it.each(FAILS)('%s', async (_what, command, args, exitCode, message) => {
    const p = run(command, `src/cli/${command}.ts`, [...(command === 'server' ? ['--no-window', '--port', '0'] : []), ...args()]);
    const { code } = await p.exited;
    expect(code, p.stderr).toBe(exitCode);
    expect(lines(p.stderr), p.stderr).toHaveLength(1);
    expect(lines(p.stderr)[0]).toMatch(message);
    expect(stackLines(p.stderr)).toEqual([]);
  });
});

const STREAMS: Array<[string, () => string, number, RegExp | undefined]> = [
  ['a video-only file streams with a warning', () => files.videoOnly!, 30, /warning: .*has no audio track: streaming video only/],
  ['a 1-frame clip streams its one frame and ends', () => files.oneFrame!, 1, undefined],
  ['an odd size (1919x1079) is scaled to an even height', () => files.odd!, 30, undefined],
  ['120 fps streams at 120 fps', () => files.fps120!, 120, undefined],
  ['a variable-frame-rate file is re-timed to a constant rate', () => files.vfr!, -1, /variable frame rate/],
];

describe.sequential('odd but valid files: a working stream (with a warning where it matters)', () => {
  it.each(STREAMS)('%s', async (what, file, frames, warning) => {
    const server = await startServer(['--file', file()]);
    const statsFile = join(dir.path, `${what.replace(/\W+/g, '-')}.json`);
    const client = startClient(server, ['--stats', statsFile, '--duration', '12']);
    const { code } = await client.exited;
    await stop(server.proc);
    const stats = readStats(statsFile);
    expect(code, client.stderr).toBe(0);
    expect(stats.endReason).toBe('end of stream');
    if (frames > 0) expect(stats.framesReceived).toBe(frames);
    else expect(stats.framesReceived).toBeGreaterThan(20);
    expect(stats.framesLost).toBe(0);
    if (warning) expect(server.proc.stderr).toMatch(warning);
    expect(stackLines(server.proc.stderr + client.stderr)).toEqual([]);
  });
});
