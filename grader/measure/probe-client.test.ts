/**
 * The probe as a process, against real servers on loopback: a flooding tutorial-format server
 * (its sound must be read no faster than a real-time player reads it), this repository's server
 * on both wires, and the tutorial's own server.py. Timing-sensitive: run under the CPU lock.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDemoClip } from '../../src/media/clips.ts';
import { encodeTutorialAudio, encodeTutorialFrame } from '../../src/protocol/tutorial/index.ts';
import { UI_LINE } from '../run/launch/launch.ts';
import { allocateStreamPorts, releasePorts } from '../run/launch/ports.ts';
import { launch } from '../run/launch/launch.ts';
import { probeServer } from './probe-client.ts';
import { need } from '../../test/support/requirements.ts';
import { startTutorialServer } from './tutorial-fixture.ts';

const BPS = 176_400;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const closers: Array<() => Promise<void>> = [];
const missing = await need('python-opencv', 'xvfb');
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

/** A tutorial-wire server that writes audio as fast as TCP lets it (like server.py) and sends a frame every 33 ms after Hello. */
async function floodingServer(): Promise<{ videoPort: number; audioPort: number; written: () => number; close: () => Promise<void> }> {
  const jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: 10, g: 10, b: 10 } } })
    .jpeg()
    .toBuffer();
  const frame = encodeTutorialFrame(jpeg);
  const message = encodeTutorialAudio(Buffer.alloc(4096, 1)); // 1024 stereo frames, like server.py's CHUNK
  let written = 0;
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    const pump = (): void => {
      // Bounded: at most 50 MB (5 minutes of sound) however fast the reader is.
      while (!s.destroyed && written < 50_000_000) {
        written += 4096;
        if (!s.write(message)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  let timer: NodeJS.Timeout | undefined;
  udp.on('message', (_m, from) => {
    timer ??= setInterval(() => udp.send(frame, from.port, from.address), 33);
  });
  return {
    videoPort: udp.address().port,
    audioPort: (tcp.address() as net.AddressInfo).port,
    written: () => written,
    close: async () => {
      if (timer) clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}

describe('probeServer (its own process, real-time audio consumer)', () => {
  it('reads a flooding server no faster than real time, holding it back through TCP', async () => {
    const server = await floodingServer();
    closers.push(server.close);
    const rec = await probeServer({
      host: '127.0.0.1',
      videoPort: server.videoPort,
      audioPort: server.audioPort,
      wire: 'tutorial',
      seconds: 3,
      audioReadAheadMs: 1000,
    });
    expect(rec.problem).toBeUndefined();
    expect(rec.frames.length).toBeGreaterThan(10);
    const first = rec.audio[0]!;
    let soundMs = 0;
    for (const a of rec.audio) {
      // Before each read, what was already read is at most the time elapsed plus the read-ahead,
      // plus one socket read (≤ 64 KiB = 0.37 s) that can land just before the player notices it is full.
      expect(soundMs).toBeLessThanOrEqual(a.arrivalMs - first.arrivalMs + 1000 + 400);
      soundMs += (a.bytes * 1000) / BPS;
    }
    const span = rec.endedMs - first.arrivalMs;
    expect(soundMs).toBeGreaterThan(span - 500); // and it did keep reading
    expect(rec.playout.heldBackMs).toBeGreaterThan(0.5 * span);
    expect(rec.playout.underruns).toBe(0);
    // The server itself was held back: a reader at TCP speed takes tens of MB in 4 s on loopback.
    expect(server.written()).toBeLessThan(((span + 1000) / 1000) * BPS + 16 * 1024 * 1024);
  });

  it("records this repository's server on both wires (wire detected, video and real-time audio)", async () => {
    const clip = await ensureDemoClip();
    for (const wire of ['framed', 'tutorial'] as const) {
      const ports = await allocateStreamPorts();
      const server = launch(
        'server',
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/server.ts',
          '--file',
          clip,
          '--wire',
          wire,
          '--port',
          String(ports.videoPort),
          '--audio-port',
          String(ports.audioPort),
          '--host',
          '127.0.0.1',
          '--no-window',
          '--ui-port',
          String(ports.uiPort),
        ],
        { cwd: REPO_ROOT },
      );
      try {
        expect(await server.out.waitForLine(UI_LINE, 40_000), server.out.tail(5)).toBeTruthy();
        const rec = await probeServer({ host: '127.0.0.1', videoPort: ports.videoPort, audioPort: ports.audioPort, wire: 'auto', seconds: 3 });
        expect(rec.problem).toBeUndefined();
        expect(rec.wire).toBe(wire);
        expect(rec.frames.length).toBeGreaterThan(60);
        expect(rec.frames.every((f) => f.jpeg && f.arrivalMs >= rec.startedMs && f.arrivalMs <= rec.endedMs)).toBe(true);
        // A paced server keeps a small lead: the player never fills, so it never holds the server back.
        expect(rec.playout.heldBackMs).toBe(0);
        expect(rec.audioBytes / BPS).toBeGreaterThan(2.5);
        if (wire === 'framed') expect(rec.handshake?.sampleRate).toBe(44_100);
      } finally {
        await server.handle.stop();
        releasePorts(ports);
      }
    }
  });

  it.skipIf(Boolean(missing))("records the tutorial's server.py without making it flood", async () => {
    const clip = await ensureDemoClip();
    const ports = await allocateStreamPorts();
    const server = await startTutorialServer({ videoPort: ports.videoPort, clip });
    try {
      const rec = await probeServer({
        host: '127.0.0.1',
        videoPort: ports.videoPort,
        audioPort: ports.videoPort - 1,
        wire: 'auto',
        seconds: 4,
        connectTimeoutMs: 30_000,
        firstFrameTimeoutMs: 20_000,
      });
      expect(rec.problem, server.launched.out.tail(10)).toBeUndefined();
      expect(rec.wire).toBe('tutorial');
      expect(rec.frames.length).toBeGreaterThan(60);
      // server.py sends audio as fast as its client reads (it relies on PyAudio's blocking write):
      // under a real-time consumer it is held back most of the time, and never reaches the end of
      // its file, where it would send pickle.dumps(b'') forever.
      const span = rec.endedMs - rec.audio[0]!.arrivalMs;
      expect(rec.playout.heldBackMs).toBeGreaterThan(0.5 * span);
      expect(rec.playout.emptyMessages).toBe(0);
      expect(Math.abs(rec.audioBytes / BPS - span / 1000)).toBeLessThan(1.5);
    } finally {
      await server.stop();
      releasePorts(ports);
    }
  });
});
