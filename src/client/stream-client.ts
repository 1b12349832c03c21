/**
 * The receiving side: a UDP socket for video, a TCP connection for audio, frames shown against the
 * audio clock when they carry timestamps or as they arrive when they do not, sound through an
 * AudioPlayer. The wire (src/wire, picked once from the options) says in which order the client
 * registers, what its hello is, and how datagrams and the audio connection are read.
 *
 * framed: TCP connect → Handshake{token, fps, …} → Hello{token} from our UDP socket at once and every
 * 1 s (registration and keepalive) → fragments are reassembled, loss counted (RFC 3550 A.3), and each
 * complete frame is held until the master clock (the audio being heard, as ffplay/VLC) reaches its
 * pts; a frame more than one frame late is dropped. EndOfStream → play out, exit 0.
 * tutorial: b'Hello' to the video port (client.py's order: hello first, then TCP), then TCP; each
 * datagram is one base64 JPEG shown at once, each TCP message u64le length + pickle(bytes) of PCM.
 *
 * Timing: the server sends audio AUDIO_LEAD_MS ahead of the pictures; the player starts the sound
 * AUDIO_LEAD_MS + PLAYOUT_DELAY_MS after the first chunk arrives, so the sample with pts P is heard
 * PLAYOUT_DELAY_MS after the frame with pts P arrives: frames wait a little (absorbing network
 * jitter), and none is late unless the network is.
 *
 * Folder src/client/: the receiving side. May import: src/wire/, src/protocol/, src/audio/,
 * src/timing/, src/errors.ts.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import type { AudioSink } from '../audio/sinks.ts';
import { AudioPlayer } from '../audio/player.ts';
import { EnvironmentError } from '../errors.ts';
import type { Handshake } from '../protocol/framed/index.ts';
import type { Clock } from '../timing/clock.ts';
import { createMonotonicClock, monotonicClock } from '../timing/monotonic-clock.ts';
import { settlesWithin, sleep } from '../timing/wait.ts';
import { AUDIO_LEAD_MS } from '../wire/audio-format.ts';
import {
  hostKey,
  wireFor,
  type ClientSession,
  type ReceivedFrame,
  type StreamEvent,
  type StreamReader,
  type VideoReader,
  type Wire,
  type WireName,
} from '../wire/index.ts';
import { ClientStats, type ClientStatsJson } from './client-stats.ts';
import { FrameScheduler, MasterClock, type TimedFrame } from './frame-scheduler.ts';

/** Extra delay (ms) between a frame's arrival and its display, so a stall of the sender or receiver shorter than this (plus one frame) never makes a frame late: a 2-core machine running ffmpeg and Chromium sees 50–70 ms stalls now and then. */
export const PLAYOUT_DELAY_MS = 80;
/** No datagram for this long (ms) once video has started: the server is gone. */
export const SERVER_SILENCE_MS = 2000;
/** No first datagram within this long (ms) after registering: nothing is coming. */
const FIRST_VIDEO_TIMEOUT_MS = 10_000;
/** The framed Handshake must arrive within this long (ms) of connecting. */
const HANDSHAKE_TIMEOUT_MS = 5000;
/** Hello period (ms): the server drops a client after 5 s without one. */
const HELLO_INTERVAL_MS = 1000;
/** Kernel receive buffer asked for (bytes): a 1080p frame is hundreds of datagrams. Linux caps it at net.core.rmem_max. */
const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;
/**
 * The tutorial's server.py sends audio as fast as TCP takes it: stop reading above this much queued
 * sound (ms), and read again below the low mark. A server that paces its audio never gets near it.
 */
const AUDIO_HIGH_MS = 1500;
const AUDIO_LOW_MS = 500;
/**
 * Bytes of video datagrams held while the session is being set up (bytes): a server that has its
 * first frame ready answers the hello within milliseconds, before the frame scheduler exists.
 * 8 MiB is dozens of 1080p frames; anything beyond is dropped (and counted lost by its frame id).
 */
const MAX_EARLY_VIDEO_BYTES = 8 * 1024 * 1024;

export interface StreamClientOptions {
  readonly host: string;
  readonly port: number;
  readonly audioPort: number;
  readonly wire: WireName;
  readonly clock?: Clock;
  /** Opens where sound goes (the CLI passes openAudioSink with its window server); undefined = no sound at all. */
  readonly openSink?: (sampleRate: number, channels: number) => Promise<{ sink: AudioSink; reason: string }>;
  /** A frame is on screen now (for the RECEIVING VIDEO page). */
  readonly onFrame?: (jpeg: Buffer, fps: number) => void;
  readonly log?: (line: string) => void;
  readonly debug?: (line: string) => void;
}

export interface ClientEnd {
  /** 0: end of stream / asked to stop; 1: the server went away or the stream broke. */
  readonly code: 0 | 1;
  readonly reason: string;
}

function connectError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') {
    return new EnvironmentError(
      'E_NO_SERVER',
      `No server at ${host}:${port} (TCP audio port): start one with npm run server, or check --host, --port and --audio-port`,
    );
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new EnvironmentError('E_NO_SERVER', `Cannot reach ${host}:${port} (${code}); check --host and the network`);
  }
  return error;
}

export class StreamClient {
  readonly #opts: StreamClientOptions;
  readonly #wire: Wire;
  readonly #video: VideoReader;
  readonly #audio: StreamReader;
  readonly #clock: Clock;
  /** Same timeline, setTimeout only: for wake-ups that need no sub-millisecond precision. */
  readonly #coarseClock: Clock;
  readonly #log: (line: string) => void;
  readonly #debug: (line: string) => void;
  readonly stats: ClientStats;
  #udp: UdpSocket | undefined;
  #tcp: TcpSocket | undefined;
  #player: AudioPlayer | undefined;
  #session: ClientSession | undefined;
  /** Resolves the wait for the server's greeting, while one is waited for. */
  #greeting: { resolve: (h: Handshake) => void; reject: (error: Error) => void } | undefined;
  #scheduler: FrameScheduler | undefined;
  #master: MasterClock | undefined;
  #helloTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #displayWake: AbortController | undefined;
  #displayGeneration = 0;
  #registeredMs = 0;
  #lastDatagramMs: number | undefined;
  /** pts of the latest frame received (framed wire), for playing out to the end. */
  #lastFramePtsUs: number | undefined;
  #tcpPaused = false;
  /**
   * running → playing out (end of stream: what is buffered is played) → ended (`ended` resolved) →
   * closed (sockets and player released). An end can skip playing out; close() can come at any time.
   */
  #life: 'running' | 'playing out' | 'ended' | 'closed' = 'running';
  /** Audio-connection events that arrive before the player is ready. */
  #pending: StreamEvent[] | undefined = [];
  /** Video datagrams (with their arrival times) that arrive before the frame scheduler exists. */
  #earlyVideo: { datagrams: Array<{ buf: Buffer; atMs: number }>; bytes: number } | undefined = { datagrams: [], bytes: 0 };
  #endResolve!: (end: ClientEnd) => void;
  /** Resolves once when the session is over (the CLI then calls close()). */
  readonly ended: Promise<ClientEnd>;

  private constructor(opts: StreamClientOptions) {
    this.#opts = opts;
    this.#wire = wireFor(opts.wire);
    this.#video = this.#wire.newVideoReader();
    this.#audio = this.#wire.newStreamReader();
    this.#clock = opts.clock ?? monotonicClock;
    this.#coarseClock = opts.clock ?? createMonotonicClock({ marginMs: 0 });
    this.#log = opts.log ?? (() => {});
    this.#debug = opts.debug ?? (() => {});
    this.stats = new ClientStats(opts.wire, this.#clock.now());
    this.ended = new Promise((resolve) => {
      this.#endResolve = resolve;
    });
  }

  /**
   * Connects and registers. Throws a one-line EnvironmentError when there is no server, or (framed)
   * when no Handshake arrives; afterwards problems end the session through `ended`.
   */
  static async start(opts: StreamClientOptions): Promise<StreamClient> {
    const client = new StreamClient(opts);
    try {
      await client.#start();
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  get handshake(): Handshake | undefined {
    return this.#session?.handshake;
  }

  /** Current figures (also what --stats writes). */
  snapshot(): ClientStatsJson {
    this.stats.audioSeconds = this.#player?.playedSeconds ?? this.stats.audioSeconds;
    this.stats.framesLate = this.#scheduler?.framesLate ?? 0;
    const counts = this.#video.counts();
    this.stats.framesDropped = counts.framesDropped + this.stats.garbage;
    this.stats.datagramsLost = counts.datagramsLost;
    return this.stats.toJSON(this.#clock.now());
  }

  /** Which clock the pictures follow right now: audio, free (monotonic), none. */
  get masterSource(): string {
    return this.#master?.source ?? 'arrival';
  }

  async #start(): Promise<void> {
    const { host, port } = this.#opts;
    this.#udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const udp = this.#udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    // A connected UDP socket: the kernel queues only the server's datagrams, so a flood from anyone
    // else cannot fill our receive buffer and push the server's fragments out (measured: a 3000-
    // datagram flood of up to 64 KiB each cost a frame on a loaded machine before this).
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.connect(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    try {
      udp.setRecvBufferSize(UDP_RECEIVE_BUFFER);
    } catch {
      // capped by the kernel; large frames may then lose fragments and be counted dropped
    }
    udp.on('error', (error) => this.#debug(`udp: ${error.message}`));
    udp.on('message', (buf, rinfo) => {
      // Only the server's address may feed the picture and the liveness watchdog: a third party's
      // datagrams (spoofed fragments, floods) are dropped before any decoding (the connected socket
      // already filters them in the kernel; this check is for platforms where it does not).
      if (rinfo.port !== port || hostKey(rinfo.address) !== hostKey(host)) {
        this.stats.foreignDatagrams += 1;
        return;
      }
      const early = this.#earlyVideo;
      if (early) {
        // Timed and counted once the session is set up, with the time it arrived.
        if (early.bytes + buf.length <= MAX_EARLY_VIDEO_BYTES) early.datagrams.push({ buf: Buffer.from(buf), atMs: this.#clock.now() });
        early.bytes += buf.length;
        return;
      }
      this.#onDatagram(buf, this.#clock.now());
    });

    const session = await this.#wire.register({
      sendHello: (datagram) => this.#send(datagram),
      connect: () => this.#connectTcp(),
      greeting: () => this.#waitForGreeting(),
    });
    this.#session = session;
    if (session.audio) await this.#openPlayer(session.audio.sampleRate, session.audio.channels);
    if (session.handshake) this.stats.setSourceFps(session.handshake.fpsNum / session.handshake.fpsDen);
    if (session.frameDurationUs !== undefined) {
      // Frames carry timestamps: hold each until the master clock reaches it.
      this.#scheduler = new FrameScheduler({ frameDurationUs: session.frameDurationUs });
      const player = this.#player;
      this.#master = new MasterClock({ audioPtsUs: player ? () => player.currentPtsUs() : undefined });
    }
    // In arrival order: the video that came during set-up, then what the audio connection held.
    const earlyVideo = this.#earlyVideo?.datagrams ?? [];
    this.#earlyVideo = undefined;
    for (const { buf, atMs } of earlyVideo) this.#onDatagram(buf, atMs);
    const early = this.#pending ?? [];
    this.#pending = undefined;
    for (const event of early) this.#onStreamEvent(event);
    if (this.#wire.helloNeeded(false)) this.#sendHello();
    this.#registeredMs = this.#clock.now();
    this.#helloTimer = setInterval(() => {
      if (this.#wire.helloNeeded(this.#lastDatagramMs !== undefined)) this.#sendHello();
    }, HELLO_INTERVAL_MS);
    this.#watchdog = setInterval(() => this.#checkAlive(), 200);
  }

  #sendHello(): void {
    if (this.#session) this.#send(this.#session.hello);
  }

  #send(datagram: Buffer): void {
    this.#udp?.send(datagram, (error) => {
      if (error) this.#debug(`hello: ${error.message}`);
    });
  }

  async #openPlayer(sampleRate: number, channels: number): Promise<void> {
    if (!this.#opts.openSink) return;
    const { sink, reason } = await this.#opts.openSink(sampleRate, channels);
    this.stats.audioSink = sink.kind;
    this.#log(reason);
    // The player writes each chunk writeAheadMs before it is due, so it needs no sub-millisecond
    // wake-ups: a setTimeout-only clock on the same timeline saves ~2 ms of CPU per chunk.
    this.#player = new AudioPlayer({ clock: this.#coarseClock, sink, sampleRate, channels, leadMs: AUDIO_LEAD_MS + PLAYOUT_DELAY_MS });
  }

  #connectTcp(): Promise<void> {
    const { host, audioPort } = this.#opts;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port: audioPort, noDelay: true });
      this.#tcp = socket;
      const onError = (error: Error): void => reject(connectError(error, host, audioPort));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        socket.on('error', (error) => this.#debug(`tcp: ${error.message}`));
        socket.on('close', () => this.#onTcpClosed());
        socket.on('data', (chunk: Buffer) => this.#onTcpData(chunk));
        resolve();
      });
    });
  }

  /** The server's greeting (the framed Handshake), within HANDSHAKE_TIMEOUT_MS of connecting. */
  #waitForGreeting(): Promise<Handshake> {
    const server = `${this.#opts.host}:${this.#opts.audioPort}`;
    const socket = this.#tcp!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          fail(new EnvironmentError('E_NO_HANDSHAKE', `No handshake from ${server} within ${HANDSHAKE_TIMEOUT_MS / 1000} s: ${this.#wire.hints.noGreeting}`)),
        HANDSHAKE_TIMEOUT_MS,
      );
      const onClose = (): void => fail(new EnvironmentError('E_NO_HANDSHAKE', `The server at ${server} closed the connection before its handshake`));
      const settle = (): void => {
        clearTimeout(timer);
        socket.off('close', onClose);
        this.#greeting = undefined;
      };
      const fail = (error: Error): void => {
        settle();
        reject(error);
      };
      socket.on('close', onClose);
      this.#greeting = {
        resolve: (handshake) => {
          settle();
          resolve(handshake);
        },
        reject: (error) =>
          fail(
            new EnvironmentError(
              'E_NO_HANDSHAKE',
              `Not an avsock ${this.#wire.name}-wire server at ${server} (${error.message}); ${this.#wire.hints.badGreeting}`,
            ),
          ),
      };
    });
  }

  #onTcpData(chunk: Buffer): void {
    this.stats.onBytes(chunk.length, this.#clock.now());
    const { events, error } = this.#audio.push(chunk);
    const greeted = events[0]?.type === 'greeting';
    if (error && this.#greeting && !greeted) {
      // Unreadable before any greeting: a server of another wire, not a corrupt stream.
      this.#greeting.reject(error);
      return;
    }
    for (const event of events) this.#onStreamEvent(event);
    if (error) {
      this.stats.garbage += 1;
      this.#finish({ code: 1, reason: `the audio stream is corrupt (${error.message})${this.#wire.hints.corruptStream}` });
      return;
    }
    if (this.#player && this.#player.queuedMs > AUDIO_HIGH_MS && !this.#tcpPaused) {
      this.#tcpPaused = true;
      this.#tcp?.pause(); // TCP flow control then slows the sender, as pyaudio's blocking write does
    }
  }

  #onStreamEvent(event: StreamEvent): void {
    if (event.type === 'greeting' && this.#greeting) {
      this.#greeting.resolve(event.handshake);
      return;
    }
    if (this.#pending) {
      this.#pending.push(event);
      return;
    }
    if (event.type === 'audio') {
      this.#player?.enqueue({ ptsUs: event.ptsUs, pcm: event.pcm });
    } else if (event.type === 'end') {
      void this.#playOut({ code: 0, reason: 'end of stream' }, event.ptsUs);
    } else {
      this.stats.garbage += 1; // a second greeting
    }
  }

  #onDatagram(buf: Buffer, now: number): void {
    this.#lastDatagramMs = now;
    this.stats.onDatagram(buf.length, now);
    const { frame, garbage } = this.#video.push(buf);
    if (garbage) this.stats.garbage += 1;
    if (frame) this.#received(frame, now);
  }

  #received(frame: ReceivedFrame, now: number): void {
    const { ptsUs, frameId } = frame;
    if (ptsUs === undefined || frameId === undefined || !this.#scheduler || !this.#master) {
      // No timestamp to wait for: shown as it arrives.
      this.stats.onFrameReceived(now);
      this.#show(frame.jpeg, now, undefined);
      return;
    }
    this.stats.onFrameReceived(now, { ptsUs, frameId });
    this.#lastFramePtsUs = Math.max(this.#lastFramePtsUs ?? ptsUs, ptsUs);
    this.#master.anchor(ptsUs, now + PLAYOUT_DELAY_MS);
    if (!this.#scheduler.push({ frameId, ptsUs, jpeg: frame.jpeg, arrivalMs: now })) {
      this.#debug(`frame ${frameId} (pts ${(ptsUs / 1000).toFixed(1)} ms) arrived after a newer one was shown`);
    }
    this.#runDisplay();
  }

  #show(jpeg: Buffer, now: number, avOffsetMs: number | undefined): void {
    this.stats.onFrameShown(now, avOffsetMs);
    this.#opts.onFrame?.(jpeg, this.stats.liveFps(now));
  }

  /** Shows whatever is due now and sleeps until the next held frame is due. */
  #runDisplay(): void {
    if (this.#life === 'closed') return;
    const scheduler = this.#scheduler!;
    const now = this.#clock.now();
    const master = this.#master!.read(now);
    if (master === undefined) return;
    const lateBefore = scheduler.framesLate;
    const frame: TimedFrame | undefined = scheduler.poll(master);
    if (scheduler.framesLate !== lateBefore)
      this.#debug(`late frame dropped: clock at ${(master / 1000).toFixed(1)} ms (${this.#master!.source}), ${scheduler.queued} waiting`);
    if (frame) this.#show(frame.jpeg, now, (frame.ptsUs - master) / 1000);
    const untilUs = scheduler.untilNextUs(master);
    this.#displayWake?.abort();
    this.#displayWake = undefined;
    if (untilUs === undefined) return;
    const wake = new AbortController();
    this.#displayWake = wake;
    const generation = ++this.#displayGeneration;
    // Re-check at least every 50 ms (the audio clock may start, stall or jump in between) on a
    // setTimeout-only clock; the final wait for a due frame uses the precise clock.
    const untilMs = Math.max(untilUs / 1000, 0);
    const precise = untilMs <= 50;
    const clock = precise ? this.#clock : this.#coarseClock;
    clock.sleepUntil(now + Math.min(untilMs, 50), wake.signal).then(
      () => {
        if (generation === this.#displayGeneration) this.#runDisplay();
      },
      () => {},
    );
  }

  #checkAlive(): void {
    if (this.#life !== 'running') return;
    const now = this.#clock.now();
    if (this.#tcpPaused && this.#player && this.#player.queuedMs < AUDIO_LOW_MS) {
      this.#tcpPaused = false;
      this.#tcp?.resume();
    }
    if (this.#lastDatagramMs !== undefined) {
      if (now - this.#lastDatagramMs >= SERVER_SILENCE_MS) {
        this.#finish({ code: 1, reason: `no video from ${this.#opts.host}:${this.#opts.port} for ${SERVER_SILENCE_MS / 1000} s: the server is gone` });
      }
    } else if (now - this.#registeredMs >= FIRST_VIDEO_TIMEOUT_MS) {
      this.#finish({
        code: 1,
        reason: `no video from ${this.#opts.host}:${this.#opts.port} within ${FIRST_VIDEO_TIMEOUT_MS / 1000} s of connecting (UDP blocked, or wrong --port?)`,
      });
    }
  }

  #onTcpClosed(): void {
    if (this.#life !== 'running') return;
    const { code, reason, playOutMs } = this.#wire.connectionClosed;
    if (playOutMs === undefined) this.#finish({ code, reason });
    else void this.#playOut({ code, reason }, undefined, playOutMs);
  }

  /** Plays what is buffered (sound, and held frames up to `endPtsUs`), then ends. */
  async #playOut(end: ClientEnd, endPtsUs: number | undefined, capMs = 3000): Promise<void> {
    if (this.#life !== 'running') return;
    this.#life = 'playing out';
    this.#debug(`playing out: ${end.reason}`);
    const deadline = this.#clock.now() + capMs;
    // The end-of-stream (TCP) names the pts of the last frame sent; that frame comes over UDP, and on
    // a busy machine the TCP message can be read first. Wait (within the cap) until it has arrived.
    const handshake = this.#session?.handshake;
    if (endPtsUs !== undefined && handshake) {
      const frameUs = (1e6 * handshake.fpsDen) / handshake.fpsNum;
      while ((this.#lastFramePtsUs ?? -Infinity) + frameUs / 2 < endPtsUs && this.#clock.now() < deadline && !this.#isClosed()) {
        await sleep(10);
      }
    }
    await settlesWithin(this.#player?.drain() ?? Promise.resolve(), Math.max(0, deadline - this.#clock.now()), { keepAlive: false });
    if (this.#scheduler && endPtsUs !== undefined) {
      while (this.#scheduler.queued > 0 && this.#clock.now() < deadline && !this.#isClosed()) {
        await sleep(10);
      }
    }
    this.#finish(end);
  }

  /** A method, not a field read, so the check is not narrowed away across the awaits of playing out. */
  #isClosed(): boolean {
    return this.#life === 'closed';
  }

  #finish(end: ClientEnd): void {
    if (this.#life === 'ended' || this.#life === 'closed') return;
    this.#life = 'ended';
    this.stats.endReason ??= end.reason;
    this.#endResolve(end);
  }

  /** Ends the session from outside (q, Ctrl+C, --duration). */
  stop(reason: string): void {
    this.#finish({ code: 0, reason });
  }

  /** Closes sockets and the player; takes a final snapshot first. Idempotent. */
  async close(): Promise<ClientStatsJson> {
    const final = this.snapshot();
    if (this.#life === 'closed') return final;
    this.#life = 'closed';
    this.#endResolve({ code: 0, reason: 'closed' });
    if (this.#helloTimer) clearInterval(this.#helloTimer);
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#displayWake?.abort();
    this.#scheduler?.clear();
    this.#tcp?.destroy();
    try {
      this.#udp?.close();
    } catch {
      // already closed
    }
    await this.#player?.close();
    return final;
  }
}
