/**
 * Hostile traffic for the reliability tests, every loop bounded: random and mutated datagrams of
 * every size up to the UDP maximum, forged framed fragments whose counts, indices and sequence
 * numbers lie, junk TCP connections held open, a 2^63 length prefix, a message that never completes.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { encodeHello, fragmentFrame } from '../../src/protocol/framed/index.ts';
import { OFF_COUNT, OFF_FRAME_ID, OFF_INDEX, OFF_SEQ } from '../../src/protocol/framed/video-fragment.ts';
import { sleep } from '../support/processes.ts';

export const MAX_UDP = 65507;

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/**
 * `count` datagrams: sizes sweep 0 … 65507 (both ends included), each random bytes, a forged framed
 * datagram (hello with a random token, fragments that lie about index/count, seq jumps and wraps),
 * or a truncated/oversized copy of one.
 */
export function hostileDatagrams(rand: () => number, count: number): Buffer[] {
  const out: Buffer[] = [Buffer.alloc(0), Buffer.alloc(1, 0x41), randomBytes(rand, MAX_UDP)];
  const jpeg = randomBytes(rand, 4000);
  while (out.length < count) {
    const i = out.length;
    const kind = i % 6;
    if (kind === 0 || kind === 1) {
      // Size sweep: every datagram size region from 0 to the maximum gets visited.
      const size = Math.min(MAX_UDP, Math.floor((i / count) * MAX_UDP + rand() * 64));
      out.push(randomBytes(rand, size));
    } else if (kind === 2) {
      out.push(encodeHello((rand() * 0xffffffff) >>> 0));
    } else {
      const frameId = (rand() * 0xffffffff) >>> 0;
      const seq = kind === 3 ? 0xfffffff0 + ((rand() * 32) | 0) : (rand() * 0xffffffff) >>> 0; // wrap / jump
      const frags = fragmentFrame({ frameId, ptsUs: Math.floor(rand() * 1e12), jpeg }, seq >>> 0);
      const f = Buffer.from(frags[(rand() * frags.length) | 0]!);
      if (kind === 4) {
        f.writeUInt16BE((rand() * 0xffff) | 0, OFF_INDEX); // index may exceed count
        f.writeUInt16BE((rand() * 0xffff) | 0, OFF_COUNT); // count may be 0 or far above the cap
      }
      if (kind === 5) {
        // Truncated or oversized: cut inside the header, or pad far beyond a fragment's size.
        out.push(rand() < 0.5 ? f.subarray(0, (rand() * 24) | 0) : Buffer.concat([f, randomBytes(rand, (rand() * 60000) | 0)]));
        continue;
      }
      f.writeUInt32BE((f.readUInt32BE(OFF_SEQ) + ((rand() * 4) | 0)) >>> 0, OFF_SEQ);
      f.writeUInt32BE(frameId, OFF_FRAME_ID);
      out.push(f);
    }
  }
  return out.slice(0, count);
}

/** Sends the datagrams to host:port from one socket, `burst` at a time with a yield in between. */
export async function blastUdp(port: number, datagrams: Buffer[], opts: { burst?: number; pauseMs?: number } = {}): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {}); // ICMP port unreachable etc.
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const burst = opts.burst ?? 32;
  let sent = 0;
  try {
    for (let i = 0; i < datagrams.length; i += burst) {
      await Promise.all(
        datagrams.slice(i, i + burst).map(
          (d) =>
            new Promise<void>((resolve) =>
              socket.send(d, port, '127.0.0.1', (error) => {
                if (!error) sent += 1;
                resolve();
              }),
            ),
        ),
      );
      await sleep(opts.pauseMs ?? 1);
    }
  } finally {
    socket.close();
  }
  return sent;
}

export interface JunkConnections {
  /** Connections that were established. */
  readonly opened: () => number;
  /** Of those, how many the server has closed (end or reset) by now. */
  readonly closedByServer: () => number;
  close(): void;
}

/** Opens `count` TCP connections (at most `parallel` connecting at once) and holds them open, sending nothing. */
export async function junkTcp(port: number, count: number, parallel = 100): Promise<JunkConnections> {
  const sockets: net.Socket[] = [];
  let opened = 0;
  let closedByServer = 0;
  let closing = false;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      sockets.push(s);
      s.on('error', () => {});
      s.on('data', () => {}); // a framed server sends a handshake; keep reading so nothing backs up
      s.once('connect', () => {
        opened += 1;
        resolve();
      });
      s.once('close', () => {
        if (!closing) closedByServer += 1;
        resolve();
      });
    });
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, one));
  }
  return {
    opened: () => opened,
    closedByServer: () => closedByServer,
    close() {
      closing = true;
      for (const s of sockets) s.destroy();
    },
  };
}

/** A connected TCP socket whose errors and data are ignored, and whether the peer has closed it. */
async function connectWatched(port: number): Promise<{ socket: net.Socket; closed: () => boolean }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.on('data', () => {});
  let closed = false;
  socket.once('close', () => (closed = true));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed: () => closed };
}

/** One TCP connection that sends `bytes` and then waits; resolves to whether the peer closed it within `waitMs`. */
export async function tcpSend(port: number, bytes: Buffer, waitMs: number): Promise<{ closedByPeer: boolean }> {
  const { socket, closed } = await connectWatched(port);
  socket.write(bytes);
  const until = Date.now() + waitMs;
  while (!closed() && Date.now() < until) await sleep(50);
  socket.destroy();
  return { closedByPeer: closed() };
}

/** A u64 length prefix of 2^63: little-endian (tutorial wire) and inside a framed audio header. */
export function hugeLengthPrefixLE(): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(1n << 63n);
  return b;
}

/** Drips `bytes` one byte every `everyMs` for at most `totalMs`, over one connection. */
export async function slowDrip(port: number, bytes: Buffer, everyMs: number, totalMs: number): Promise<{ closedByPeer: boolean }> {
  const { socket, closed } = await connectWatched(port);
  const until = Date.now() + totalMs;
  for (let i = 0; !closed() && Date.now() < until; i++) {
    socket.write(bytes.subarray(i % bytes.length, (i % bytes.length) + 1));
    await sleep(everyMs);
  }
  socket.destroy();
  return { closedByPeer: closed() };
}
