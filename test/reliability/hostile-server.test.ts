/**
 * Our client (the real command) against hostile servers written here, both wires: fragments whose
 * counts and indices lie, sequence numbers that jump and wrap, a 2^63 (tutorial) or 2^32 − 1
 * (framed) length prefix, an audio message dripped a byte at a time that never completes, a pickle
 * that calls os.system. The client keeps showing the valid frames, refuses what is bad with one line
 * and the right exit code, never runs foreign code, keeps its memory bounded, prints no stack trace.
 */
import { existsSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeStreamMessage, fragmentFrame } from '../../src/protocol/framed/index.ts';
import { encodeTutorialAudio, encodeTutorialFrame, pickleBytes } from '../../src/protocol/tutorial/index.ts';
import { readStats, run, stopAll, tempDir, type Proc, type TempDir } from '../support/processes.ts';
import { hostileDatagrams, hugeLengthPrefixLE } from './attack.ts';
import { expectFileRate } from '../support/rate.ts';
import { rng, rssKb, stackLines } from './helpers.ts';

let dir: TempDir;
let jpeg: Buffer;

beforeAll(async () => {
  dir = tempDir();
  jpeg = await sharp({ create: { width: 320, height: 180, channels: 3, background: { r: 20, g: 120, b: 60 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
});
afterEach(stopAll);
afterAll(() => dir?.remove());

type Wire = 'framed' | 'tutorial';

interface Behaviour {
  /** Extra datagrams sent (from the server's own port) after each valid frame. */
  junkPerFrame?: (rand: () => number, n: number) => Buffer[];
  /** Bytes written on the audio connection once (after the handshake in framed). */
  tcp?: Buffer;
  /** Dripped one byte per 50 ms on the audio connection. */
  drip?: Buffer;
}

/** A fake server: valid video at 30 fps (plus whatever `b` adds) from one UDP socket, TCP as told. */
async function hostileServer(wire: Wire, b: Behaviour): Promise<{ port: number; audioPort: number; close(): void; framesSent(): number }> {
  const udp = dgram.createSocket('udp4');
  udp.on('error', () => {});
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const sockets: net.Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  const rand = rng(7);
  let sent = 0;
  let seq = 0;
  const tcp = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    if (wire === 'framed') {
      s.write(
        encodeStreamMessage({
          type: 'handshake',
          token: 99,
          fpsNum: 30,
          fpsDen: 1,
          width: 320,
          height: 180,
          durationUs: 60e6,
          sampleRate: 44100,
          channels: 2,
          chunkFrames: 1024,
          hasAudio: false,
        }),
      );
    }
    if (b.tcp) s.write(b.tcp);
    if (b.drip) {
      let i = 0;
      const t = setInterval(() => {
        if (i < b.drip!.length && !s.destroyed) s.write(b.drip!.subarray(i, ++i));
      }, 50);
      timers.push(t);
    }
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  let started = false;
  udp.on('message', (_m, rinfo) => {
    if (started) return;
    started = true;
    const t0 = performance.now();
    const tick = (): void => {
      const n = sent;
      const datagrams = wire === 'framed' ? fragmentFrame({ frameId: n, ptsUs: Math.round((n * 1e6) / 30), jpeg }, seq) : [encodeTutorialFrame(jpeg)];
      seq = (seq + datagrams.length) >>> 0;
      for (const d of [...datagrams, ...(b.junkPerFrame?.(rand, n) ?? [])]) udp.send(d, rinfo.port, rinfo.address);
      sent += 1;
      timers.push(setTimeout(tick, Math.max(0, t0 + ((n + 1) * 1000) / 30 - performance.now())));
    };
    tick();
  });
  return {
    port: udp.address().port,
    audioPort: (tcp.address() as net.AddressInfo).port,
    framesSent: () => sent,
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      tcp.close();
      udp.close();
    },
  };
}

function client(server: { port: number; audioPort: number }, wire: Wire, statsFile: string, seconds: number): Proc {
  return run('client', 'src/cli/client.ts', [
    '--port',
    String(server.port),
    '--audio-port',
    String(server.audioPort),
    '--wire',
    wire,
    '--no-window',
    '--audio',
    'null',
    '--duration',
    String(seconds),
    '--stats',
    statsFile,
  ]);
}

/** The client's own lines on stderr (its status lines excluded). */
function errorLines(p: Proc): string[] {
  return p.stderr.split('\n').filter((l) => /^client: /.test(l) && !/frames shown at/.test(l));
}

// Protocol 0 pickle for os.system('touch MARKER'): CPython's pickle.loads would run it.
function evilPickle(marker: string): Buffer {
  return Buffer.from(`cposix\nsystem\n(S'touch ${marker}'\ntR.`, 'latin1');
}

describe.sequential('our client against hostile servers', () => {
  it('framed: lying fragment counts/indices, truncated/oversized fragments, jumping and wrapping seq numbers do not disturb the valid frames', async () => {
    const server = await hostileServer('framed', {
      junkPerFrame: (rand, n) => (n % 2 === 0 ? hostileDatagrams(rand, 12).slice(3) : []),
    });
    const statsFile = join(dir.path, 'lying.json');
    try {
      const c = client(server, 'framed', statsFile, 4);
      const { code } = await c.exited;
      const stats = readStats(statsFile);
      console.info(
        `figures lying fragments: shown ${stats.framesShown} of ${server.framesSent()} sent, garbage ${stats.garbage}, dropped ${stats.framesDropped}, lost ${stats.framesLost}, datagramsLost ${stats.datagramsLost}, RSS ${rssKb(c.pid) ?? 'exited'}`,
      );
      expect(code, c.stderr).toBe(0);
      expectFileRate(stats.arrivalFps!, 30, 'arrivalFps');
      expect(stats.framesShown).toBeGreaterThan(90);
      // Every forged datagram was rejected or ignored; no valid frame lost to it.
      expect(stats.framesLost).toBe(0);
      expect(stats.garbage).toBeGreaterThan(0);
      expect(stackLines(c.stderr)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it.each([
    ['tutorial', 'a 2^63 length prefix', hugeLengthPrefixLE(), /audio stream is corrupt.*(cap|large|limit)/i],
    ['framed', 'a 2^32 − 1 body length', Buffer.from([0x41, 0x56, 1, 0x12, 0xff, 0xff, 0xff, 0xff]), /audio stream is corrupt.*(cap|large|limit)/i],
  ] as const)('%s: %s is refused at once with one line, exit 1, nothing allocated', async (wire, _what, bytes, message) => {
    const server = await hostileServer(wire, { tcp: bytes });
    const statsFile = join(dir.path, `bomb-${wire}.json`);
    try {
      const t0 = Date.now();
      const c = client(server, wire, statsFile, 10);
      const { code } = await c.exited;
      expect(code, c.stderr).toBe(1);
      expect(Date.now() - t0).toBeLessThan(9000);
      const lines = errorLines(c);
      expect(lines.length, c.stderr).toBe(1);
      expect(lines[0]).toMatch(message);
      expect(stackLines(c.stderr)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it.each(['framed', 'tutorial'] as const)('%s: an audio message that never completes keeps the picture going and memory flat', async (wire) => {
    const partial =
      wire === 'framed' ? encodeStreamMessage({ type: 'audio', seq: 0, ptsUs: 0, pcm: Buffer.alloc(200_000) }) : encodeTutorialAudio(Buffer.alloc(200_000));
    const server = await hostileServer(wire, { drip: partial.subarray(0, partial.length - 1) });
    const statsFile = join(dir.path, `drip-${wire}.json`);
    try {
      const c = client(server, wire, statsFile, 4);
      const { code } = await c.exited;
      const stats = readStats(statsFile);
      expect(code, c.stderr).toBe(0);
      expect(stats.framesShown).toBeGreaterThan(90);
      expect(stackLines(c.stderr)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('tutorial: a pickle that calls os.system is refused; nothing runs', async () => {
    const marker = join(dir.path, 'PWNED');
    const evil = evilPickle(marker);
    const message = Buffer.alloc(8 + evil.length);
    message.writeBigUInt64LE(BigInt(evil.length));
    evil.copy(message, 8);
    // One good audio message first: the refusal must come from the allow-list, not from garbage.
    const server = await hostileServer('tutorial', { tcp: Buffer.concat([encodeTutorialAudio(Buffer.alloc(4096)), message]) });
    const statsFile = join(dir.path, 'evil.json');
    try {
      const c = client(server, 'tutorial', statsFile, 10);
      const { code } = await c.exited;
      expect(code, c.stderr).toBe(1);
      const lines = errorLines(c);
      expect(lines.length, c.stderr).toBe(1);
      expect(lines[0]).toMatch(/corrupt.*(opcode|GLOBAL|0x63|refus)/i);
      expect(existsSync(marker)).toBe(false);
      expect(stackLines(c.stderr)).toEqual([]);
      void pickleBytes;
    } finally {
      server.close();
    }
  });
});
