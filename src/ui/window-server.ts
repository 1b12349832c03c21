/**
 * One window = one small local web page (node:http on loopback, its own port), the browser's
 * stand-in for the tutorial's cv2.imshow('TRANSMITTING VIDEO' / 'RECEIVING VIDEO').
 *
 * The page opens two long-lived streaming fetches:
 *   GET /stream  frames (JPEG bytes exactly as received — never re-encoded) and stats
 *   GET /audio   PCM for the browser sink, opened only once the page's AudioContext is running,
 *                so the number of open /audio responses is the number of pages that can play sound
 * Both carry the same tiny framing (read back by page-script.js): u8 type, u32be payload length, payload.
 * A page that reads slowly never makes the server buffer without bound: a frame that finds the
 * page's socket still full replaces the previously pending one (latest wins), and audio beyond
 * ~1 s of backlog is dropped (the player keeps time by its own clock either way).
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PAGE_SCRIPT_PATH, pageHtml, pageScript } from './page.ts';

/** Message types on /stream and /audio (u8). */
export const MSG_FRAME = 1; // f64be fps, then the JPEG
export const MSG_STATS = 2; // UTF-8 JSON object
export const MSG_AUDIO = 3; // u32be sampleRate, u8 channels, 3 bytes zero, s16le interleaved PCM
export const MSG_TITLE = 4; // UTF-8 title (sent first)

const HEADER_BYTES = 5;
/** Audio backlog (bytes) per page beyond which chunks are dropped: ~1.5 s of 44.1 kHz stereo. */
const MAX_AUDIO_BACKLOG = 256 * 1024;

export interface WindowServerOptions {
  /** 'TRANSMITTING VIDEO' or 'RECEIVING VIDEO', as the tutorial's cv2.imshow windows are named. */
  title: string;
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

/** Every page this server sends: the document, its script, the two streams. */
const DOCUMENT_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  // The page's own script and inline style only, nothing from the network (the machine may be offline).
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'self'",
};
const SCRIPT_HEADERS = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
const STREAM_HEADERS = { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

class PageServer implements WindowServer {
  readonly title: string;
  url = '';
  readonly #host: string;
  readonly #html: string;
  readonly #server: HttpServer;
  readonly #viewers = new Set<Viewer>();
  readonly #audioPages = new Set<ServerResponse>();
  readonly #sockets = new Set<Socket>();
  readonly #quitHandlers: Array<() => void> = [];
  #lastFrame: { jpeg: Buffer; fps: number } | undefined;
  #lastStats: Buffer | undefined;
  #closing: Promise<void> | undefined;
  #droppedByGone = 0;
  #audioDropped = 0;
  #port = 0;

  constructor(opts: WindowServerOptions) {
    this.title = opts.title;
    this.#host = opts.host ?? '127.0.0.1';
    this.#html = pageHtml({ title: opts.title, audio: opts.audio ?? true });
    this.#server = createServer({ noDelay: true, keepAliveTimeout: 1000 }, (req, res) => this.#route(req, res));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(port: number): Promise<void> {
    const server = this.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    const host = this.#host;
    const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    this.url = `http://${urlHost}:${this.#port}/`;
  }

  /**
   * On loopback the page is for this machine's browser only: other Host headers are refused, so a
   * web site cannot reach it through DNS rebinding (and press "q" for the user).
   */
  #allowedHost(h: string | undefined): boolean {
    const host = this.#host;
    const port = this.#port;
    const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    return !loopback || h === `${host}:${port}` || h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503, { Connection: 'close' }).end();
      return;
    }
    if (!this.#allowedHost(req.headers.host)) {
      res.writeHead(403).end('forbidden host\n');
      return;
    }
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    switch (route) {
      case 'GET /':
      case 'GET /index.html':
        res.writeHead(200, DOCUMENT_HEADERS).end(this.#html);
        return;
      case `GET ${PAGE_SCRIPT_PATH}`:
        res.writeHead(200, SCRIPT_HEADERS).end(pageScript);
        return;
      case 'GET /stream':
        this.#openStream(res);
        return;
      case 'GET /audio':
        this.#openAudio(res);
        return;
      case 'POST /quit':
        res.writeHead(204).end();
        this.#quit();
        return;
      case 'GET /favicon.ico':
        res.writeHead(204).end();
        return;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  }

  #openStream(res: ServerResponse): void {
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    const viewer = new Viewer(res);
    this.#viewers.add(viewer);
    res.on('close', () => {
      this.#viewers.delete(viewer);
      this.#droppedByGone += viewer.dropped;
    });
    res.write(message(MSG_TITLE, Buffer.from(this.title, 'utf8')));
    if (this.#lastStats) viewer.stats(this.#lastStats);
    if (this.#lastFrame) viewer.frame(this.#lastFrame.jpeg, this.#lastFrame.fps);
  }

  #openAudio(res: ServerResponse): void {
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    this.#audioPages.add(res);
    res.on('close', () => this.#audioPages.delete(res));
  }

  #quit(): void {
    for (const h of this.#quitHandlers) {
      try {
        h();
      } catch (err) {
        console.error(`ui: quit handler failed: ${(err as Error).message}`);
      }
    }
  }

  showFrame(jpeg: Buffer, fps: number): void {
    if (this.closed) return; // frames racing a shutdown are simply not shown
    this.#lastFrame = { jpeg, fps };
    for (const v of this.#viewers) v.frame(jpeg, fps);
  }

  setStats(stats: Record<string, string | number>): void {
    if (this.closed) return;
    const msg = message(MSG_STATS, Buffer.from(JSON.stringify(stats), 'utf8'));
    this.#lastStats = msg;
    for (const v of this.#viewers) v.stats(msg);
  }

  sendAudio(pcm: Buffer, sampleRate: number, channels: number): void {
    if (this.closed || this.#audioPages.size === 0) return;
    const head = Buffer.alloc(HEADER_BYTES + 8);
    head.writeUInt8(MSG_AUDIO, 0);
    head.writeUInt32BE(8 + pcm.length, 1);
    head.writeUInt32BE(sampleRate, HEADER_BYTES);
    head.writeUInt8(channels, HEADER_BYTES + 4);
    for (const res of this.#audioPages) {
      if (res.writableLength > MAX_AUDIO_BACKLOG) {
        this.#audioDropped++;
        continue;
      }
      res.cork();
      res.write(head);
      res.write(pcm);
      res.uncork();
    }
  }

  get audioListeners(): number {
    return this.#audioPages.size;
  }

  get viewers(): number {
    return this.#viewers.size;
  }

  get framesDropped(): number {
    let n = this.#droppedByGone;
    for (const v of this.#viewers) n += v.dropped;
    return n;
  }

  get audioDropped(): number {
    return this.#audioDropped;
  }

  onQuit(h: () => void): void {
    this.#quitHandlers.push(h);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      // Streaming responses never end by themselves: cut them, or server.close() would wait forever.
      for (const v of this.#viewers) v.res.destroy();
      for (const r of this.#audioPages) r.destroy();
      this.#viewers.clear();
      this.#audioPages.clear();
      this.#server.closeAllConnections();
      for (const s of this.#sockets) s.destroy();
    });
    return this.#closing;
  }
}

export async function startWindowServer(opts: WindowServerOptions): Promise<WindowServer> {
  const server = new PageServer(opts);
  await server.listen(opts.port ?? 0);
  return server;
}
