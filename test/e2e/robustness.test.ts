/**
 * What must never break the stream: garbage on either wire, a video-only file, looping, a stopped
 * (not closed) server, and Ctrl+C leaving nothing behind.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StreamClient } from '../../src/client/stream-client.ts';
import { encodeStreamMessage, fragmentFrame } from '../../src/protocol/framed/index.ts';
import { childProcesses, isRunning } from '../../src/platform/processes.ts';
import { makeClip } from '../support/fixture.ts';
import { expectFileRate } from '../support/rate.ts';
import { readStats, startClient, startServer, stopAll, tempDir, waitFor, type TempDir } from '../support/processes.ts';

let dir: TempDir;
let clip2: string;
let silent: string;

beforeAll(async () => {
  dir = tempDir();
  clip2 = await makeClip(dir, 'c2.mp4', { fps: '30', seconds: 2 });
  silent = await makeClip(dir, 'silent.mp4', { fps: '25', seconds: 3, audio: false });
});
afterEach(stopAll);
afterAll(() => dir?.remove());

/** The ffmpeg processes whose parent is `pid` (tsx's esbuild helper is not counted). */
async function ffmpegChildren(pid: number): Promise<number[]> {
  return (await childProcesses(pid, 'ffmpeg')).map((p) => p.pid);
}

describe('robustness', () => {
  it('the client counts garbage datagrams and still shows every valid frame', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const sockets: Socket[] = [];
    const tcp = createServer((s) => {
      sockets.push(s);
      s.write(
        encodeStreamMessage({
          type: 'handshake',
          token: 7,
          fpsNum: 30,
          fpsDen: 1,
          width: 4,
          height: 4,
          durationUs: 1e6,
          sampleRate: 44100,
          channels: 2,
          chunkFrames: 1024,
          hasAudio: false,
        }),
      );
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    let client: StreamClient | undefined;
    try {
      udp.once('message', (_m, rinfo) => {
        for (let n = 0; n < 10; n++) {
          udp.send(Buffer.from('garbage that is no avsock datagram'), rinfo.port, rinfo.address);
          udp.send(Buffer.alloc(0), rinfo.port, rinfo.address);
          for (const d of fragmentFrame({ frameId: n, ptsUs: n * 33_333, jpeg: Buffer.alloc(3000, n) }, n * 3)) udp.send(d, rinfo.port, rinfo.address);
        }
        setTimeout(() => sockets.forEach((s) => s.write(encodeStreamMessage({ type: 'eos', ptsUs: 333_333 }))), 300);
      });
      client = await StreamClient.start({ host: '127.0.0.1', port: udp.address().port, audioPort: (tcp.address() as { port: number }).port, wire: 'framed' });
      const end = await client.ended;
      const stats = await client.close();
      expect(end.code).toBe(0);
      expect(stats.garbage).toBe(20);
      expect(stats.framesReceived).toBe(10);
      expect(stats.framesLost).toBe(0);
    } finally {
      await client?.close();
      udp.close();
      sockets.forEach((s) => s.destroy());
      tcp.close();
    }
  });

  it('the server ignores garbage on its UDP port and keeps streaming', async () => {
    const server = await startServer(['--file', clip2]);
    const junk = createSocket('udp4');
    try {
      for (let i = 0; i < 50; i++) junk.send(Buffer.from(`junk ${i}`), server.port, '127.0.0.1');
      const statsFile = join(dir.path, 'after-junk.json');
      const client = startClient(server, ['--stats', statsFile, '--duration', '10']);
      expect((await client.exited).code, client.stderr).toBe(0);
      expect(readStats(statsFile).framesReceived).toBe(60);
    } finally {
      junk.close();
    }
  });

  it('a video-only file streams with a warning; the picture follows a monotonic clock', async () => {
    const server = await startServer(['--file', silent]);
    expect(server.proc.stderr).toMatch(/no audio track: streaming video only/);
    const statsFile = join(dir.path, 'silent.json');
    const client = startClient(server, ['--stats', statsFile, '--duration', '10']);
    expect((await client.exited).code, client.stderr).toBe(0);
    const stats = readStats(statsFile);
    expect(stats.framesReceived).toBe(75);
    // Most frames are shown on time: with a wrong clock (waiting for audio that never comes) none
    // would be. A few are late when a busy core stalls the client (6 of 75 measured with one core kept busy).
    expect(stats.framesLate).toBeLessThan(stats.framesReceived * 0.2);
    expect(stats.audioSeconds).toBe(0);
    // This is about the clock choice (25 fps, not the 30 of a wrong default): see rate.ts for the band.
    expectFileRate(stats.fps, 25);
  });

  it('--loop repeats the file with increasing timestamps, without loss', async () => {
    const server = await startServer(['--file', clip2, '--loop']);
    const statsFile = join(dir.path, 'loop.json');
    const client = startClient(server, ['--stats', statsFile, '--duration', '5']);
    expect((await client.exited).code, client.stderr).toBe(0);
    const stats = readStats(statsFile);
    expect(stats.framesReceived).toBeGreaterThan(60); // past one loop of 60 frames
    expect(stats.framesLost).toBe(0);
    expect(stats.framesLate).toBeLessThan(stats.framesReceived * 0.2); // a busy core stalls the client now and then
    expectFileRate(stats.arrivalFps!, 30, 'arrivalFps');
  });

  it('a client notices a server that stops sending (no datagram for 2 s) and exits non-zero', async () => {
    const server = await startServer(['--file', clip2, '--loop']);
    const client = startClient(server, ['--duration', '30']);
    await waitFor('the first picture', () => (/first picture/.test(client.stderr) ? true : undefined));
    const pausedAt = Date.now();
    process.kill(server.proc.child.pid!, 'SIGSTOP'); // TCP stays open: only the silence tells
    try {
      const { code } = await client.exited;
      expect(code).toBe(1);
      expect(client.stderr).toMatch(/no video .* for 2 s/);
      expect(Date.now() - pausedAt).toBeLessThan(4000);
    } finally {
      process.kill(server.proc.child.pid!, 'SIGCONT');
    }
  });

  it('Ctrl+C stops the server cleanly: exit 0, no ffmpeg left behind', async () => {
    const server = await startServer(['--file', clip2, '--loop']);
    const client = startClient(server, ['--duration', '30']);
    const pid = server.proc.child.pid!;
    // Signal only once the stream is playing (the client showed a picture): before that, the ffmpeg
    // children seen may be fluent-ffmpeg's capability probes, and a SIGINT that lands while they
    // run lets the clean stop wait on them past the 5 s grace (exit 130) on a loaded machine.
    await waitFor('the first picture', () => (/first picture/.test(client.stderr) ? true : undefined), 40_000);
    // One or two (separate video and audio decoders, or one ffmpeg with two outputs).
    const ffmpegs = await vi.waitFor(
      async () => {
        const found = await ffmpegChildren(pid);
        if (found.length === 0) throw new Error(`no ffmpeg child of the server (pid ${pid}) yet`);
        return found;
      },
      { timeout: 20_000, interval: 50 },
    );
    server.proc.child.kill('SIGINT');
    const { code } = await server.proc.exited;
    expect(code).toBe(0);
    const running = await Promise.all(ffmpegs.map((p) => isRunning(p)));
    expect(ffmpegs.filter((_, i) => running[i])).toEqual([]);
    const end = await client.exited;
    expect(end.code).toBe(1); // its server went away
  });
});
