/**
 * The relay's sockets on loopback: a UDP echo of numbered datagrams through loss and delay, counted
 * exactly against the verdicts; a TCP stream through a slow path arrives whole, in order, late, with
 * the relay's buffer bounded.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { ImpairmentRelay, STREAM_BUFFER_BYTES } from './impairment-relay.ts';
import { NO_IMPAIRMENT, parseNet, parseSpec } from './spec.ts';
import type { FramePart } from '../wire/wire.ts';

async function udpSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

describe('ImpairmentRelay', () => {
  it("UDP: the server's datagrams reach the client from the relay's port, minus exactly the ones it dropped, late by the delay", async () => {
    const server = await udpSocket();
    const client = await udpSocket();
    // The "server" answers a hello with 200 numbered datagrams, 2 per frame.
    server.on('message', (_msg, rinfo) => {
      for (let i = 0; i < 200; i++) {
        const d = Buffer.alloc(100);
        d.writeUInt32BE(i);
        server.send(d, rinfo.port, rinfo.address);
      }
    });
    const dropped: number[] = [];
    const relay = await ImpairmentRelay.start({
      videoPort: 0,
      serverHost: '127.0.0.1',
      serverVideoPort: server.address().port,
      net: { label: 'test', down: parseSpec('loss=20%,delay=30ms,seed=4'), up: NO_IMPAIRMENT },
      newFrameTagger:
        () =>
        (d): FramePart => ({ frameId: d.readUInt32BE(0) >> 1, index: d.readUInt32BE(0) & 1, count: 2 }),
      onVideoVerdict: (d, v) => {
        if (v.dropped) dropped.push(d.readUInt32BE(0));
      },
    });
    const got: Array<{ n: number; atMs: number; port: number }> = [];
    client.on('message', (d, rinfo) => got.push({ n: d.readUInt32BE(0), atMs: performance.now(), port: rinfo.port }));
    try {
      const sentAt = performance.now();
      client.send(Buffer.from('hello'), relay.videoPort, '127.0.0.1');
      await vi.waitFor(() => expect(got.length + dropped.length).toBe(200), { timeout: 5000 });
      await relay.stopVideo();
      const report = relay.report();
      expect(got.map((g) => g.n)).toEqual([...Array(200).keys()].filter((n) => !dropped.includes(n)));
      expect(got.every((g) => g.port === relay.videoPort)).toBe(true);
      expect(Math.min(...got.map((g) => g.atMs - sentAt))).toBeGreaterThanOrEqual(29);
      expect(report.video.down).toMatchObject({ datagrams: 200, forwarded: 200 - dropped.length, dropped: { loss: dropped.length } });
      expect(dropped.length).toBeGreaterThan(20);
      // The server's sending span, from its first datagram to its last: inside the test's own span.
      expect(report.offeredSpanMs).toBeGreaterThanOrEqual(0);
      expect(report.offeredSpanMs).toBeLessThanOrEqual(Math.max(...got.map((g) => g.atMs)) - sentAt);
      const framesHit = new Set(dropped.map((n) => n >> 1)).size;
      expect(report.frames).toMatchObject({ frames: 100, whole: 100 - framesHit, incomplete: framesHit });
    } finally {
      await relay.close();
      server.close();
      client.close();
    }
  });

  it('TCP: a 2 MB stream through a 40 Mbit/s, 20 ms path arrives whole and in order, the relay holding at most its buffer', async () => {
    const payload = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
    const server = net.createServer((socket) => socket.end(payload));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const relay = await ImpairmentRelay.start({
      videoPort: 0,
      audioPort: 0,
      serverHost: '127.0.0.1',
      serverVideoPort: 9,
      serverAudioPort: (server.address() as net.AddressInfo).port,
      net: parseNet('delay=20ms,rate=40mbit'),
    });
    try {
      const started = performance.now();
      const received = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = net.connect(relay.audioPort, '127.0.0.1');
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => resolve(Buffer.concat(chunks)));
        socket.on('error', reject);
      });
      const elapsedMs = performance.now() - started;
      expect(received.equals(payload)).toBe(true);
      // 2 MiB at 40 Mbit/s is ≈ 420 ms on the wire, plus the delay.
      expect(elapsedMs).toBeGreaterThan(400);
      const report = relay.report();
      expect(report.audio.down.bytes).toBe(payload.length);
      expect(report.audio.peakBufferedBytes).toBeLessThanOrEqual(STREAM_BUFFER_BYTES + 64 * 1024);
      expect(report.audio.pauses).toBeGreaterThan(0);
    } finally {
      await relay.close();
      server.close();
    }
  });

  it('TCP: a client that connects before its server listens is held, not closed, and served once the server is up', async () => {
    // A port that was just free: the server comes up on it only after the client has connected.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const relay = await ImpairmentRelay.start({
      videoPort: 0,
      audioPort: 0,
      serverHost: '127.0.0.1',
      serverVideoPort: 9,
      serverAudioPort: port,
      net: parseNet('delay=1ms'),
      // The server comes up once the relay has been refused: the client's connection must outlive that.
      log: (line) => {
        if (/refused the audio connection/.test(line)) server.listen(port, '127.0.0.1');
      },
    });
    const server = net.createServer((socket) => socket.end('hello from the server'));
    try {
      const received = new Promise<string>((resolve, reject) => {
        const socket = net.connect(relay.audioPort, '127.0.0.1');
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(await received).toBe('hello from the server');
    } finally {
      await relay.close();
      server.close();
    }
  });
});
