import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fragmentFrame } from '../protocol/framed/index.ts';
import { encodeTutorialFrame } from '../protocol/tutorial/index.ts';
import { FrameTooLargeError } from '../protocol/errors.ts';
import { ringLayout, slotBytesFor, writeDatagrams } from './frame-ring.ts';
import type { SenderTrace } from './send-trace.ts';
import { VideoSender, type SentFrame } from './video-sender.ts';

function datagramsOf(slot: Buffer, c: { count: number; full: number; last: number }): Buffer[] {
  return Array.from({ length: c.count }, (_, i) => slot.subarray(i * c.full, i * c.full + (i === c.count - 1 ? c.last : c.full)));
}

describe('frame ring slots', () => {
  it("writeDatagrams() lays out any fragmentation so datagram i is at i × the first one's length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 9000 }), fc.integer({ min: 0, max: 0xffffffff }), (bytes, seq) => {
        const jpeg = Buffer.from(bytes);
        const slot = Buffer.alloc(20_000);
        const datagrams = fragmentFrame({ frameId: 7, ptsUs: 1234, jpeg }, seq);
        expect(datagramsOf(slot, writeDatagrams(slot, datagrams))).toEqual(datagrams);
      }),
      { numRuns: 200 },
    );
    const slot = Buffer.alloc(slotBytesFor(64, 64));
    const one = encodeTutorialFrame(Buffer.alloc(5000, 9));
    expect(datagramsOf(slot, writeDatagrams(slot, [one]))).toEqual([one]);
  });
  it('writeDatagrams() refuses what does not fit the slot, and uneven datagrams', () => {
    expect(() => writeDatagrams(Buffer.alloc(100), [Buffer.alloc(60), Buffer.alloc(60)])).toThrow(FrameTooLargeError);
    expect(() => writeDatagrams(Buffer.alloc(100), [Buffer.alloc(10), Buffer.alloc(20), Buffer.alloc(5)])).toThrow(/datagram 1/);
  });
  it('ringLayout() refuses slots that cannot hold one tutorial datagram', () => {
    expect(() => ringLayout(4, 1000)).toThrow(/65507/);
    expect(() => ringLayout(1, 70_000)).toThrow(/≥ 2/);
  });
});

async function receiver(): Promise<{ socket: Socket; port: number; next: () => Promise<Buffer> }> {
  const socket = createSocket('udp4');
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    socket,
    port: socket.address().port,
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))),
  };
}

describe('VideoSender (worker thread, real UDP on loopback)', () => {
  it('sends queued frames in order to every client, passes hellos on, and reports each frame sent', async () => {
    const hellos: string[] = [];
    const sent: SentFrame[] = [];
    let helloSeen!: () => void;
    const helloArrived = new Promise<void>((r) => (helloSeen = r));
    const sender = await VideoSender.start({
      host: '127.0.0.1',
      port: 0,
      slotBytes: slotBytesFor(64, 64),
      slots: 3,
      sendBufferBytes: 1 << 20,
      burstDatagrams: 64,
      onDatagram: (data, from) => {
        hellos.push(`${data.toString()} from ${from.port}`);
        helloSeen();
      },
      onSent: (f) => sent.push(f),
    });
    const a = await receiver();
    const b = await receiver();
    try {
      const port = sender.address().port;
      expect(port).toBeGreaterThan(0);
      a.socket.send(Buffer.from('hi'), port, '127.0.0.1');
      await helloArrived;
      expect(hellos).toEqual([`hi from ${a.port}`]);
      sender.setClients([
        { address: '127.0.0.1', port: a.port },
        { address: '127.0.0.1', port: b.port },
      ]);
      const jpegs = [Buffer.alloc(3000, 1), Buffer.alloc(10, 2), Buffer.alloc(1500, 3), Buffer.alloc(7, 4), Buffer.alloc(5000, 5)];
      let seq = 0;
      const expected: Buffer[] = [];
      const t0 = performance.now();
      for (const [i, jpeg] of jpegs.entries()) {
        const d = fragmentFrame({ frameId: i, ptsUs: i * 1000, jpeg }, seq);
        const first = seq;
        seq += d.length;
        expected.push(...d);
        // More frames than slots: enqueue() waits for the worker to free one.
        await sender.enqueue(t0 + i, i * 1000, jpeg, (slot) => writeDatagrams(slot, fragmentFrame({ frameId: i, ptsUs: i * 1000, jpeg }, first)));
      }
      await sender.drain();
      for (const r of [a, b]) {
        const got: Buffer[] = [];
        for (let k = 0; k < expected.length; k++) got.push(await r.next());
        expect(got).toEqual(expected);
      }
      expect(sent.map((f) => f.ptsUs)).toEqual([0, 1000, 2000, 3000, 4000]);
      expect(sent.every((f) => f.clients === 2)).toBe(true);
    } finally {
      await sender.close();
      a.socket.close();
      b.socket.close();
    }
    await sender.close(); // idempotent
  });

  it('drops queued frames on flush() and keeps sending what comes after', async () => {
    const sender = await VideoSender.start({
      host: '127.0.0.1',
      port: 0,
      slotBytes: slotBytesFor(64, 64),
      sendBufferBytes: 1 << 20,
      burstDatagrams: 64,
      onDatagram: () => {},
    });
    const r = await receiver();
    try {
      sender.setClients([{ address: '127.0.0.1', port: r.port }]);
      const far = performance.now() + 60_000;
      await sender.enqueue(far, 0, Buffer.from('dropped'), (slot) => writeDatagrams(slot, [encodeTutorialFrame(Buffer.from('dropped'))]));
      sender.flush();
      await sender.enqueue(performance.now(), 1, Buffer.from('kept'), (slot) => writeDatagrams(slot, [encodeTutorialFrame(Buffer.from('kept'))]));
      await sender.drain();
      expect((await r.next()).toString()).toBe(Buffer.from('kept').toString('base64'));
    } finally {
      await sender.close();
      r.socket.close();
    }
  });

  it("with a trace file, close() writes each frame's publish, deadline, wake-up and send times, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'avsock-trace-'));
    const traceFile = join(dir, 'trace.json');
    const sender = await VideoSender.start({
      host: '127.0.0.1',
      port: 0,
      slotBytes: slotBytesFor(64, 64),
      sendBufferBytes: 1 << 20,
      burstDatagrams: 64,
      onDatagram: () => {},
      traceFile,
    });
    const r = await receiver();
    try {
      sender.setClients([{ address: '127.0.0.1', port: r.port }]);
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) {
        const jpeg = Buffer.from(`frame ${i}`);
        await sender.enqueue(t0 + i * 5, i * 1000, jpeg, (slot) => writeDatagrams(slot, [encodeTutorialFrame(jpeg)]));
      }
      await sender.drain();
      for (let i = 0; i < 3; i++) await r.next();
    } finally {
      await sender.close();
      r.socket.close();
    }
    const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as SenderTrace;
    rmSync(dir, { recursive: true, force: true });
    expect(trace.frames.map((f) => [f.ptsUs, f.datagrams, f.dropped])).toEqual([
      [0, 1, false],
      [1000, 1, false],
      [2000, 1, false],
    ]);
    for (const f of trace.frames) {
      // The main thread publishes the slot; the sender thread sleeps to the deadline, then sends.
      expect(f.sendStartMs).toBeGreaterThanOrEqual(f.publishedMs);
      expect(f.sendStartMs).toBeGreaterThanOrEqual(f.wokeMs);
      expect(f.sendEndMs).toBeGreaterThanOrEqual(f.sendStartMs);
    }
    expect(trace.timeOrigin).toBeCloseTo(performance.timeOrigin, 3);
    expect(Number.isFinite(trace.mainLoopDelay.max)).toBe(true);
  });

  it('rejects with the errno code when the port is taken (the server turns it into E_PORT_IN_USE)', async () => {
    const r = await receiver();
    try {
      await expect(
        VideoSender.start({
          host: '127.0.0.1',
          port: r.port,
          slotBytes: slotBytesFor(64, 64),
          sendBufferBytes: 1 << 20,
          burstDatagrams: 64,
          onDatagram: () => {},
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      r.socket.close();
    }
  });
});
