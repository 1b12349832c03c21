/**
 * One window = one small local web page (node:http on loopback, its own port), the browser's
 * stand-in for the tutorial's cv2.imshow('TRANSMITTING VIDEO' / 'RECEIVING VIDEO').
 *
 * The page opens two long-lived streaming fetches:
 *   GET /stream  frames (JPEG bytes exactly as received — never re-encoded) and stats
 *   GET /audio   PCM for the browser sink, opened only once the page's AudioContext is running,
 *                so the number of open /audio responses is the number of pages that can play sound
 * Both carry the same tiny framing (see page.ts): u8 type, u32be payload length, payload.
 * A page that reads slowly never makes the server buffer without bound: a frame that finds the
 * page's socket still full replaces the previously pending one (latest wins), and audio beyond
 * ~1 s of backlog is dropped (the player keeps time by its own clock either way).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pageHtml } from './page.ts';

/** Message types on /stream and /audio (u8). */
export const MSG_FRAME = 1; // f64be fps, then the JPEG
export const MSG_STATS = 2; // UTF-8 JSON object
export const MSG_AUDIO = 3; // u32be sampleRate, u8 channels, 3 bytes zero, s16le interleaved PCM
export const MSG_TITLE = 4; // UTF-8 title (sent first)

const HEADER_BYTES = 5;
/** Audio backlog (bytes) per page beyond which chunks are dropped: ~1.5 s of 44.1 kHz stereo. */
const MAX_AUDIO_BACKLOG = 256 * 1024;

export interface WindowServerOptions {
  title: 'TRANSMITTING VIDEO' | 'RECEIVING VIDEO' | string;
  /** Interface to listen on; loopback by default (the page is a local window, not a web site). */
  host?: string;
  /** 0 (default) lets the OS pick a free port. */
  port?: number;
  /** Whether pages start Web Audio and open /audio (default true). The sending side needs none. */
  audio?: boolean;
}

export interface WindowServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly title: string;
  /** Push one JPEG (as-is) with the FPS figure to draw over it. No-op after close(). */
  showFrame(jpeg: Buffer, fps: number): void;
  /** Replace the stats table under the picture. No-op after close(). */
  setStats(stats: Record<string, string | number>): void;
  /** Stream PCM (s16le interleaved) to every page whose Web Audio is running. No-op after close(). */
  sendAudio(pcm: Buffer, sampleRate: number, channels: number): void;
  /** Pages with audio running (open /audio streams). */
  readonly audioListeners: number;
  /** Pages currently connected to /stream. */
  readonly viewers: number;
  /** Frames not sent to a page because it was still busy with an earlier one (summed over pages). */
  readonly framesDropped: number;
  /** Audio chunks not sent to a page because its backlog was over the cap (summed over pages). */
  readonly audioDropped: number;
  /** q pressed in a page (POST /quit). */
  onQuit(handler: () => void): void;
  readonly closed: boolean;
  /** Ends every stream and connection, then stops listening. Idempotent; never waits for pages. */
  close(): Promise<void>;
}

function header(type: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(length, 1);
  return h;
}

function message(type: number, payload: Buffer): Buffer {
  return Buffer.concat([header(type, payload.length), payload]);
}

/** One page's /stream: writes straight to the socket while it keeps up, else keeps only the newest frame. */
class Viewer {
  private pendingFrame: { jpeg: Buffer; fps: number } | undefined;
  private pendingStats: Buffer | undefined;
  dropped = 0;
  constructor(readonly res: ServerResponse) {
    res.on('drain', () => this.flush());
  }
  private busy(): boolean {
    return this.res.writableNeedDrain;
  }
  private writeFrame(jpeg: Buffer, fps: number): void {
    const head = Buffer.allocUnsafe(HEADER_BYTES + 8);
    head.writeUInt8(MSG_FRAME, 0);
    head.writeUInt32BE(8 + jpeg.length, 1);
    head.writeDoubleBE(fps, HEADER_BYTES);
    // Two writes under one cork go out as one writev: the JPEG is never copied.
    this.res.cork();
    this.res.write(head);
    this.res.write(jpeg);
    this.res.uncork();
  }
  frame(jpeg: Buffer, fps: number): void {
    if (this.busy()) {
      if (this.pendingFrame) this.dropped++;
      this.pendingFrame = { jpeg, fps };
      return;
    }
    this.writeFrame(jpeg, fps);
  }
  stats(msg: Buffer): void {
    if (this.busy()) {
      this.pendingStats = msg; // only the newest table matters
      return;
    }
    this.res.write(msg);
  }
  private flush(): void {
    if (this.res.destroyed) return;
    const stats = this.pendingStats;
    const frame = this.pendingFrame;
    this.pendingStats = undefined;
    this.pendingFrame = undefined;
    if (stats) this.res.write(stats);
    if (frame) this.writeFrame(frame.jpeg, frame.fps);
  }
}

export async function startWindowServer(opts: WindowServerOptions): Promise<WindowServer> {
  const title = opts.title;
  const host = opts.host ?? '127.0.0.1';
  const audioEnabled = opts.audio ?? true;
  const viewers = new Set<Viewer>();
  const audioPages = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const quitHandlers: Array<() => void> = [];
  let lastFrame: { jpeg: Buffer; fps: number } | undefined;
  let lastStats: Buffer | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let droppedByGone = 0;
  let audioDropped = 0;
  let port = 0;
  const html = pageHtml({ title, audio: audioEnabled });

  // On loopback the page is for this machine's browser only: refuse other Host headers, so a web
  // site cannot reach it through DNS rebinding (and press "q" for the user).
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const allowedHost = (h: string | undefined): boolean =>
    !loopback ||
    h === `${host}:${port}` ||
    h === `127.0.0.1:${port}` ||
    h === `localhost:${port}` ||
    h === `[::1]:${port}`;

  const streamHeaders = {
    'Content-Type': 'application/octet-stream',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (closed) {
      res.writeHead(503, { Connection: 'close' }).end();
      return;
    }
    if (!allowedHost(req.headers.host)) {
      res.writeHead(403).end('forbidden host\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        // Inline script/style only, nothing from the network (the machine may be offline).
        'Content-Security-Policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'self'",
      });
      res.end(html);
      return;
    }
    if (req.method === 'GET' && path === '/stream') {
      res.writeHead(200, streamHeaders);
      res.flushHeaders();
      const viewer = new Viewer(res);
      viewers.add(viewer);
      res.on('close', () => {
        viewers.delete(viewer);
        droppedByGone += viewer.dropped;
      });
      res.write(message(MSG_TITLE, Buffer.from(title, 'utf8')));
      if (lastStats) viewer.stats(lastStats);
      if (lastFrame) viewer.frame(lastFrame.jpeg, lastFrame.fps);
      return;
    }
    if (req.method === 'GET' && path === '/audio') {
      res.writeHead(200, streamHeaders);
      res.flushHeaders();
      audioPages.add(res);
      res.on('close', () => audioPages.delete(res));
      return;
    }
    if (req.method === 'POST' && path === '/quit') {
      res.writeHead(204).end();
      for (const h of quitHandlers) {
        try {
          h();
        } catch (err) {
          console.error(`ui: quit handler failed: ${(err as Error).message}`);
        }
      }
      return;
    }
    if (req.method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  };

  const server = createServer({ noDelay: true, keepAliveTimeout: 1000 }, handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${urlHost}:${port}/`;

  return {
    url,
    title,
    showFrame(jpeg, fps) {
      if (closed) return; // frames racing a shutdown are simply not shown
      lastFrame = { jpeg, fps };
      for (const v of viewers) v.frame(jpeg, fps);
    },
    setStats(stats) {
      if (closed) return;
      lastStats = message(MSG_STATS, Buffer.from(JSON.stringify(stats), 'utf8'));
      for (const v of viewers) v.stats(lastStats);
    },
    sendAudio(pcm, sampleRate, channels) {
      if (closed || audioPages.size === 0) return;
      const head = Buffer.alloc(HEADER_BYTES + 8);
      head.writeUInt8(MSG_AUDIO, 0);
      head.writeUInt32BE(8 + pcm.length, 1);
      head.writeUInt32BE(sampleRate, HEADER_BYTES);
      head.writeUInt8(channels, HEADER_BYTES + 4);
      for (const res of audioPages) {
        if (res.writableLength > MAX_AUDIO_BACKLOG) {
          audioDropped++;
          continue;
        }
        res.cork();
        res.write(head);
        res.write(pcm);
        res.uncork();
      }
    },
    get audioListeners() {
      return audioPages.size;
    },
    get viewers() {
      return viewers.size;
    },
    get framesDropped() {
      let n = droppedByGone;
      for (const v of viewers) n += v.dropped;
      return n;
    },
    get audioDropped() {
      return audioDropped;
    },
    onQuit(h) {
      quitHandlers.push(h);
    },
    get closed() {
      return closed;
    },
    close() {
      if (closing) return closing;
      closed = true;
      closing = new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streaming responses never end by themselves: cut them, or server.close() would wait forever.
        for (const v of viewers) v.res.destroy();
        for (const r of audioPages) r.destroy();
        viewers.clear();
        audioPages.clear();
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
