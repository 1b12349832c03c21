/**
 * The impairment relay: a client talks to the relay's UDP and TCP ports as if it were the server;
 * the relay talks to the server for it and impairs each direction on its own (the decisions are
 * path.ts's, the sockets are here). Each client address gets its own upstream UDP socket, each TCP
 * connection its own upstream connection, so the server sees one client per client — on loopback all
 * from 127.0.0.1, which the tutorial wire's pairing by address handles in order of arrival.
 *
 * UDP: every datagram gets a verdict; copies leave at their due times from the port the client
 * sent to (a client accepts video only from the address it registered with). TCP: each chunk is
 * released at its due time, in order; the relay holds at most STREAM_BUFFER_BYTES per connection
 * and direction (what it holds plus what the far socket has not yet taken), then stops reading, so
 * a slow path slows the sender through TCP's own flow control instead of growing a buffer.
 *
 * May import: src/wire/, src/timing/, src/errors.ts.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net, { isIP } from 'node:net';
import type { FrameTagger } from '../wire/wire.ts';
import { Departures } from './departures.ts';
import { sleep } from '../timing/wait.ts';
import { FrameLedger, type FrameCounts } from './frame-ledger.ts';
import { Bottleneck, DatagramPath, newStreamCounters, StreamPath, type PathCounters, type StreamCounters, type Verdict } from './path.ts';
import { seededRandom } from './random.ts';
import type { NetSetting } from './spec.ts';

/** Bytes a TCP direction may hold (queued in the relay plus unsent in the far socket) before it stops reading. */
export const STREAM_BUFFER_BYTES = 256 * 1024;
/** Bytes read from the server's TCP side at a time (a stream's default read size, Node's 64 KiB). */
const STREAM_READ_BYTES = 64 * 1024;
/** A client address silent this long (ms) is forgotten and its upstream socket closed. */
export const SESSION_IDLE_MS = 30_000;
/** Client addresses served at once; beyond, the longest-silent one is forgotten. */
export const MAX_SESSIONS = 256;
/** How long a client's audio connection waits for a server that refuses (still starting), ms. */
export const SERVER_START_WAIT_MS = 20_000;
/** Between two connects to a server that refused, ms. */
const SERVER_RETRY_MS = 100;

export interface RelayOptions {
  /** Address the relay listens on for clients (default 127.0.0.1). */
  readonly listenHost?: string;
  /** UDP port for clients' video (0 = any free port). */
  readonly videoPort: number;
  /** TCP port for clients' audio (0 = any free port); undefined = no TCP side (video only). */
  readonly audioPort?: number;
  readonly serverHost: string;
  readonly serverVideoPort: number;
  /** undefined = no TCP side. */
  readonly serverAudioPort?: number;
  readonly net: NetSetting;
  /** How frames are told apart in the server's datagrams (the wire's tagger); undefined = datagrams only. */
  readonly newFrameTagger?: () => FrameTagger;
  /** Monotonic ms (default performance.now). */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  /** Each server datagram's verdict as it is decided (not called for datagrams discarded after stopVideo()). */
  readonly onVideoVerdict?: (datagram: Buffer, verdict: Verdict) => void;
}

/** Everything the relay did, for the windows, the logs and exact checks. */
export interface RelayReport {
  /** The profile's name or the spec. */
  readonly net: string;
  /** Server → client datagrams, and client → server ones. */
  readonly video: { readonly down: PathCounters; readonly up: PathCounters };
  /** Server → client audio stream, and client → server. */
  readonly audio: { readonly down: StreamCounters; readonly up: StreamCounters; readonly peakBufferedBytes: number; readonly pauses: number };
  /** Frames in the server's datagrams, summed over clients (when a tagger was given). */
  readonly frames: FrameCounts;
  readonly clients: number;
  /** Ms from the server's first datagram to its latest: with `frames.frames`, the rate the server kept, whatever the path did. */
  readonly offeredSpanMs: number;
}

interface Session {
  readonly key: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly upstream: dgram.Socket;
  readonly tag: FrameTagger | undefined;
  readonly ledger: FrameLedger;
  lastSeenMs: number;
  lastFrameId: number | undefined;
}

interface InFlight {
  readonly session: Session;
  readonly datagram: Buffer;
  readonly part: ReturnType<FrameTagger>;
}

function udpType(host: string): 'udp4' | 'udp6' {
  return host.includes(':') ? 'udp6' : 'udp4';
}

/**
 * dgram resolves the address of every send(), and its default (dns.lookup) answers even an IP
 * literal a tick later, through a closure per datagram. The relay only ever sends to IP literals (a
 * client's rinfo.address, the server's --to), so those are answered at once; a name still goes to DNS.
 */
const literalLookup: NonNullable<dgram.SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
};

/** The first `length` bytes: the datagram itself unless it was cut short (no view allocated per send). */
function prefix(datagram: Buffer, length: number): Buffer {
  return length === datagram.length ? datagram : datagram.subarray(0, length);
}

function udpSocket(host: string): dgram.Socket {
  return dgram.createSocket({ type: udpType(host), lookup: literalLookup });
}

function sumFrames(a: FrameCounts, b: FrameCounts): FrameCounts {
  return {
    frames: a.frames + b.frames,
    whole: a.whole + b.whole,
    outOfOrder: a.outOfOrder + b.outOfOrder,
    incomplete: a.incomplete + b.incomplete,
    damaged: a.damaged + b.damaged,
    lostInSpan: a.lostInSpan + b.lostInSpan,
  };
}

const NO_FRAMES: FrameCounts = { frames: 0, whole: 0, outOfOrder: 0, incomplete: 0, damaged: 0, lostInSpan: 0 };

export class ImpairmentRelay {
  readonly #opts: RelayOptions;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #departures: Departures;
  readonly #udp: dgram.Socket;
  readonly #tcp: net.Server;
  readonly #sessions = new Map<string, Session>();
  readonly #connections = new Set<net.Socket>();
  readonly #held = new Map<number, InFlight>();
  #net: NetSetting;
  #down: DatagramPath;
  #up: DatagramPath;
  #downLink: Bottleneck;
  #upLink: Bottleneck;
  readonly #audioDown = newStreamCounters();
  readonly #audioUp = newStreamCounters();
  #peakBuffered = 0;
  #pauses = 0;
  #closedFrames: FrameCounts = NO_FRAMES;
  #nextId = 0;
  #videoInFlight = 0;
  /** running → stopping video (at the next frame's start) → video stopped → closed. */
  #video: 'running' | 'stopping' | 'stopped' = 'running';
  #closed = false;
  #sweep: NodeJS.Timeout | undefined;
  #streamSeed: number;
  #firstOfferedMs: number | undefined;
  #lastOfferedMs = 0;

  private constructor(opts: RelayOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#log = opts.log ?? (() => {});
    this.#departures = new Departures(this.#now);
    this.#net = opts.net;
    this.#downLink = new Bottleneck(opts.net.down);
    this.#upLink = new Bottleneck(opts.net.up);
    this.#down = new DatagramPath(opts.net.down, seededRandom(opts.net.down.seed), this.#downLink);
    this.#up = new DatagramPath(opts.net.up, seededRandom(opts.net.up.seed), this.#upLink);
    this.#streamSeed = opts.net.down.seed;
    this.#udp = udpSocket(opts.listenHost ?? '127.0.0.1');
    this.#tcp = net.createServer((socket) => this.#onConnection(socket));
  }

  /** Binds both ports; throws (EADDRINUSE …) when one cannot be bound. */
  static async start(opts: RelayOptions): Promise<ImpairmentRelay> {
    const relay = new ImpairmentRelay(opts);
    const host = opts.listenHost ?? '127.0.0.1';
    try {
      await new Promise<void>((resolve, reject) => {
        relay.#udp.once('error', reject);
        relay.#udp.bind(opts.videoPort, host, () => {
          relay.#udp.off('error', reject);
          resolve();
        });
      });
      relay.#udp.on('error', (error) => relay.#log(`relay: udp ${error.message}`));
      relay.#udp.on('message', (msg, rinfo) => relay.#fromClient(msg, rinfo));
      if (opts.audioPort !== undefined && opts.serverAudioPort !== undefined) {
        await new Promise<void>((resolve, reject) => {
          relay.#tcp.once('error', reject);
          relay.#tcp.listen(opts.audioPort, host, () => {
            relay.#tcp.off('error', reject);
            resolve();
          });
        });
        relay.#tcp.on('error', (error) => relay.#log(`relay: tcp ${error.message}`));
      }
    } catch (error) {
      await relay.close();
      throw error;
    }
    relay.#sweep = setInterval(() => relay.#forgetIdle(), 5000);
    relay.#sweep.unref();
    return relay;
  }

  get videoPort(): number {
    return this.#udp.address().port;
  }

  /** 0 when the relay has no TCP side. */
  get audioPort(): number {
    return (this.#tcp.address() as net.AddressInfo | null)?.port ?? 0;
  }

  get net(): NetSetting {
    return this.#net;
  }

  /** Changes the impairment from now on (counters carry over; TCP connections keep the one they started with). */
  setNet(setting: NetSetting): void {
    this.#net = setting;
    this.#downLink = new Bottleneck(setting.down);
    this.#upLink = new Bottleneck(setting.up);
    this.#down.retune(setting.down, this.#downLink);
    this.#up.retune(setting.up, this.#upLink);
  }

  /**
   * Stops passing the server's video at the start of its next frame (no frame is cut in half) and
   * resolves once everything already decided has left: then the relay's counts are final and a
   * receiver has been sent all it will get. Client → server datagrams and TCP still pass.
   */
  async stopVideo(): Promise<void> {
    if (this.#video === 'running') this.#video = 'stopping';
    if (this.#opts.newFrameTagger === undefined) this.#stopVideoNow();
    while (this.#video !== 'stopped' || this.#videoInFlight > 0) {
      if (this.#closed) return;
      // Nothing more from the server (it stopped too): stop here.
      if (this.#video === 'stopping' && this.#videoInFlight === 0) this.#stopVideoNow();
      await sleep(5);
    }
  }

  report(): RelayReport {
    let frames = this.#closedFrames;
    for (const s of this.#sessions.values()) frames = sumFrames(frames, s.ledger.counts());
    return {
      net: this.#net.label,
      video: { down: structuredClone(this.#down.counters), up: structuredClone(this.#up.counters) },
      audio: { down: { ...this.#audioDown }, up: { ...this.#audioUp }, peakBufferedBytes: this.#peakBuffered, pauses: this.#pauses },
      frames,
      clients: this.#sessions.size,
      offeredSpanMs: this.#firstOfferedMs === undefined ? 0 : this.#lastOfferedMs - this.#firstOfferedMs,
    };
  }

  /** Closes every socket; what was still to leave is dropped. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweep) clearInterval(this.#sweep);
    this.#departures.close();
    for (const s of this.#sessions.values()) this.#closeSession(s);
    for (const c of this.#connections) c.destroy();
    await Promise.allSettled([
      new Promise<void>((resolve) => {
        try {
          this.#udp.close(() => resolve());
        } catch {
          resolve();
        }
      }),
      new Promise<void>((resolve) => (this.#tcp.listening ? this.#tcp.close(() => resolve()) : resolve())),
    ]);
  }

  // ---- UDP

  #fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const session = this.#sessionFor(rinfo);
    session.lastSeenMs = this.#now();
    const verdict = this.#up.decide(this.#nextId++, msg.length, this.#now());
    // dgram gives each message its own memory, so the datagram is kept as it is, not copied.
    for (const d of verdict.departures) {
      this.#departures.at(d.atMs, () => {
        session.upstream.send(prefix(msg, d.length), this.#opts.serverVideoPort, this.#opts.serverHost);
      });
    }
  }

  #fromServer(session: Session, msg: Buffer): void {
    if (this.#closed || this.#video === 'stopped') return;
    const part = session.tag?.(msg);
    if (this.#video === 'stopping' && (part === undefined || part.frameId !== session.lastFrameId)) {
      this.#stopVideoNow();
      return;
    }
    if (part) session.lastFrameId = part.frameId;
    const id = this.#nextId++;
    const now = this.#now();
    this.#firstOfferedMs ??= now;
    this.#lastOfferedMs = now;
    const entry: InFlight = { session, datagram: msg, part };
    if (part) session.ledger.offered(part);
    const verdict = this.#down.decide(id, msg.length, now);
    this.#opts.onVideoVerdict?.(msg, verdict);
    if (verdict.dropped) {
      if (part) session.ledger.lost(part);
      return;
    }
    if (verdict.departures.length === 0) {
      this.#held.set(id, entry); // held back, leaves with a later datagram
      return;
    }
    for (const d of verdict.departures) {
      const which = d.id === id ? entry : this.#held.get(d.id);
      if (d.id !== id) this.#held.delete(d.id);
      if (which) this.#sendDown(which, d.atMs, d.length);
    }
  }

  #sendDown(entry: InFlight, atMs: number, length: number): void {
    this.#videoInFlight += 1;
    this.#departures.at(atMs, () => {
      this.#videoInFlight -= 1;
      const { session, datagram, part } = entry;
      if (part) session.ledger.delivered(part, length === datagram.length);
      this.#udp.send(prefix(datagram, length), session.client.port, session.client.address);
    });
  }

  #stopVideoNow(): void {
    if (this.#video === 'stopped') return;
    this.#video = 'stopped';
    for (const d of this.#down.flush(this.#now())) {
      const which = this.#held.get(d.id);
      this.#held.delete(d.id);
      if (which) this.#sendDown(which, d.atMs, d.length);
    }
  }

  #sessionFor(rinfo: dgram.RemoteInfo): Session {
    const key = `${rinfo.address}|${rinfo.port}`;
    const known = this.#sessions.get(key);
    if (known) return known;
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.#sessions.values()].sort((a, b) => a.lastSeenMs - b.lastSeenMs)[0]!;
      this.#closeSession(oldest);
    }
    const upstream = udpSocket(this.#opts.serverHost);
    upstream.on('error', (error) => this.#log(`relay: upstream udp ${error.message}`));
    const session: Session = {
      key,
      client: { address: rinfo.address, port: rinfo.port },
      upstream,
      tag: this.#opts.newFrameTagger?.(),
      ledger: new FrameLedger(),
      lastSeenMs: this.#now(),
      lastFrameId: undefined,
    };
    upstream.on('message', (msg, from) => {
      if (from.port !== this.#opts.serverVideoPort) return; // only the server's video goes back
      this.#fromServer(session, msg);
    });
    // send() binds the socket to a free port on first use.
    this.#sessions.set(key, session);
    return session;
  }

  #closeSession(s: Session): void {
    this.#closedFrames = sumFrames(this.#closedFrames, s.ledger.counts());
    this.#sessions.delete(s.key);
    try {
      s.upstream.close();
    } catch {
      // closed
    }
  }

  #forgetIdle(): void {
    const now = this.#now();
    for (const s of [...this.#sessions.values()]) if (now - s.lastSeenMs > SESSION_IDLE_MS) this.#closeSession(s);
  }

  // ---- TCP

  #onConnection(client: net.Socket): void {
    const serverAudioPort = this.#opts.serverAudioPort;
    if (this.#closed || serverAudioPort === undefined) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    this.#connections.add(client);
    client.pause(); // nothing is read until the far end is there
    client.on('error', () => {
      client.destroy();
      this.#connections.delete(client);
    });
    client.on('close', () => this.#connections.delete(client));
    this.#connectServer(client, serverAudioPort, this.#now() + SERVER_START_WAIT_MS);
  }

  /**
   * Connects the client's audio to the server's, trying again while the server refuses: a relay
   * started before its server (or a client quicker than a server still starting) is the usual
   * order, and the client must not see its connection closed for it.
   */
  #connectServer(client: net.Socket, port: number, giveUpAtMs: number, attempt = 0): void {
    // The server's side (the audio: a chunk every ~23 ms) is read through onread: libuv hands the
    // bytes straight to one callback, without a stream's push/emit/read-more round per chunk.
    let fromServer: ((chunk: Buffer) => void) | undefined;
    const server = net.connect({
      host: this.#opts.serverHost,
      port,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(STREAM_READ_BYTES),
        callback: (length, buffer) => {
          // The read buffer is reused: the chunk is held until its release time, so it is copied.
          fromServer?.(Buffer.from(buffer.subarray(0, length)));
          return true; // pausing is check()'s, through pause()/resume()
        },
      },
    });
    this.#connections.add(server);
    const closeBoth = (): void => {
      client.destroy();
      server.destroy();
      this.#connections.delete(client);
      this.#connections.delete(server);
    };
    server.on('error', (error: NodeJS.ErrnoException) => {
      this.#connections.delete(server);
      if (error.code === 'ECONNREFUSED' && !client.destroyed && !this.#closed && this.#now() < giveUpAtMs) {
        if (attempt === 0)
          this.#log(
            `relay: server ${this.#opts.serverHost}:${port} refused the audio connection; trying again for ${SERVER_START_WAIT_MS / 1000} s while it starts`,
          );
        setTimeout(() => this.#connectServer(client, port, giveUpAtMs, attempt + 1), SERVER_RETRY_MS);
        return;
      }
      this.#log(`relay: server ${this.#opts.serverHost}:${port}: ${error.message}`);
      closeBoth();
    });
    // A close is not passed on at once: the far side gets its end after the data still on the way.
    server.on('close', () => this.#connections.delete(server));
    server.once('connect', () => {
      const seed = (this.#streamSeed = (this.#streamSeed + 0x9e3779b9) >>> 0);
      const down = new StreamPath(this.#net.down, seededRandom(seed), this.#downLink, this.#audioDown);
      const up = new StreamPath(this.#net.up, seededRandom(seed ^ 0x5bd1e995), this.#upLink, this.#audioUp);
      client.on('error', closeBoth);
      fromServer = this.#pipe(server, client, down);
      client.on('data', this.#pipe(client, server, up));
      client.resume();
    });
  }

  /**
   * Copies `from` → `to` through `path`, holding at most STREAM_BUFFER_BYTES before it stops
   * reading; returns what takes each chunk read from `from`.
   */
  #pipe(from: net.Socket, to: net.Socket, path: StreamPath): (chunk: Buffer) => void {
    let queued = 0;
    let paused = false;
    const check = (): void => {
      const held = queued + to.writableLength;
      this.#peakBuffered = Math.max(this.#peakBuffered, held);
      if (!paused && held > STREAM_BUFFER_BYTES) {
        paused = true;
        this.#pauses += 1;
        from.pause();
      } else if (paused && held <= STREAM_BUFFER_BYTES / 2) {
        paused = false;
        from.resume();
      }
    };
    to.on('drain', check);
    from.on('end', () => {
      // After everything before it: the end of a TCP stream is in order too.
      this.#departures.at(Math.max(this.#now(), path.lastReleaseMs), () => to.end());
    });
    return (chunk) => {
      queued += chunk.length;
      this.#departures.at(path.release(chunk.length, this.#now()), () => {
        queued -= chunk.length;
        if (!to.destroyed) to.write(chunk);
        check();
      });
      check();
    };
  }
}
