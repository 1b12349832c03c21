/**
 * The sending side: one UDP socket for video, one TCP listener for audio, a programme that reads the
 * file through ffmpeg and sends each item at its deadline, and a registry of who is watching.
 *
 * - Each frame is encoded once (JPEG by ffmpeg, then fragmented or base64'd once) and the same
 *   datagrams go to every client (fan-out), so the cost of a client is a sendto() per datagram.
 * - Video frame n is due at t0 + pts(n) (DeadlinePacer; or the tutorial's TS ± 1 ms with
 *   --pacing tutorial). Audio chunk k is due AUDIO_LEAD_MS before t0 + pts(k): the client's audio
 *   queue then always holds ~AUDIO_LEAD_MS of sound, so network jitter below that never starves it
 *   (the client delays its playback start by the same lead, which keeps picture and sound aligned).
 * - The programme starts when the first client has registered and stops when the last one leaves;
 *   at end of file clients get the wire's end-of-stream message (framed: EndOfStream; tutorial:
 *   the connection closes), or with --loop the file starts over with PTS continuing to increase.
 * - What goes on the sockets (greeting, hello, packing of frames and audio, registration) is the
 *   wire's (src/wire), picked once from the options.
 * - Video leaves from its own thread (video-sender.ts), which owns the UDP socket and only waits
 *   for each deadline and sends; this thread packs each frame ahead of its deadline into the
 *   sender's ring (with --pacing tutorial, when the tutorial's loop says so), and keeps audio,
 *   TCP, the registry and ffmpeg.
 *
 * Folder src/server/: the sending side. May import: src/media/, src/wire/, src/protocol/, src/timing/,
 * src/process/, src/errors.ts.
 */
import type { RemoteInfo } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { EnvironmentError } from '../errors.ts';
import { FrameTooLargeError } from '../protocol/errors.ts';
import { AUDIO_LEAD_MS, CHANNELS, CHUNK_FRAMES, SAMPLE_RATE } from '../wire/audio-format.ts';
import { wireFor, type AudioPacker, type FramePacker, type StreamDescription, type Wire, type WireName } from '../wire/index.ts';
import type { Clock } from '../timing/clock.ts';
import { createMonotonicClock, monotonicClock } from '../timing/monotonic-clock.ts';
import { createPacer, type Pacing } from '../timing/pacer.ts';
import { FpsMeter } from '../timing/stats.ts';
import { openAvSources, scaledHeight, type FrameSource, type JpegFrame, type MediaInfo, type PcmChunk, type PcmSource } from '../media/index.ts';
import { slotBytesFor, writeDatagrams } from './frame-ring.ts';
import { ClientRegistry, type LeaveReason, type RegisteredClient } from './registry.ts';
import { VideoSender, type SentFrame } from './video-sender.ts';

/** A client whose unsent audio exceeds this (≈ 5 s of 44.1 kHz stereo s16) is not reading: dropped. */
const MAX_TCP_BACKLOG_BYTES = 5 * SAMPLE_RATE * CHANNELS * 2;
/** Fragments of one frame are sent in bursts of this many datagrams, yielding in between, so a
 * 1080p frame (hundreds of datagrams) does not overrun the receiver's socket buffer on loopback. */
const BURST_DATAGRAMS = 64;
/** Sockets' kernel buffers (bytes): room for a few large frames. Linux caps it at net.core.wmem_max. */
const UDP_BUFFER_BYTES = 4 * 1024 * 1024;
/** The next loop's ffmpeg is started this long before the current one ends, so its first frame is on time. */
const LOOP_PREOPEN_US = 1_500_000;

export interface StreamServerOptions {
  readonly file: string;
  readonly media: MediaInfo;
  /** Wire format on both sockets. */
  readonly wire: WireName;
  /** How video send times are chosen: absolute deadlines t0 + pts, or the tutorial's TS ± 1 ms. */
  readonly pacing: Pacing;
  /** Address both sockets bind to (0.0.0.0 for a LAN). */
  readonly host: string;
  /** UDP video port; 0 = the OS picks. */
  readonly port: number;
  /** TCP audio port; 0 = the OS picks. */
  readonly audioPort: number;
  /** Width in pixels the video is scaled to, aspect kept. */
  readonly width: number;
  /** JPEG quality 1..100. */
  readonly quality: number;
  /** Repeat the file forever (PTS keep increasing across loops). */
  readonly loop: boolean;
  readonly clock?: Clock;
  /**
   * Clock for audio send times. Default: the same timeline without the precise finishing phase
   * (setTimeout only, ~1 ms late at worst): audio goes out AUDIO_LEAD_MS early anyway, and the
   * precise phase's event-loop turns would cost ~2 ms of CPU per chunk, 43 chunks a second.
   */
  readonly audioClock?: Clock;
  /** One-line notices (client joined/left, warnings). */
  readonly log?: (line: string) => void;
  /** Verbose per-event lines (--debug). */
  readonly debug?: (line: string) => void;
  /** Each frame as sent, with the send rate (for the TRANSMITTING VIDEO page). */
  readonly onFrameSent?: (jpeg: Buffer, fps: number) => void;
}

export interface ServerStats {
  readonly state: 'waiting' | 'playing' | 'stopped';
  readonly clients: number;
  readonly framesSent: number;
  readonly framesSkipped: number;
  readonly fps: number;
  readonly audioChunksSent: number;
  readonly bytesSent: number;
  readonly ptsUs: number;
  readonly loops: number;
  readonly garbageDatagrams: number;
  /** TCP connections closed because they never registered (no hello in time, or evicted by newer ones). */
  readonly rejectedConnections: number;
}

interface Sources {
  frames: FrameSource;
  pcm: PcmSource | undefined;
  video: AsyncIterator<JpegFrame>;
  audio: AsyncIterator<PcmChunk> | undefined;
  /** The first frame and the first PCM chunk, asked for as soon as ffmpeg starts. */
  first: Promise<{ video: IteratorResult<JpegFrame>; audio: IteratorResult<PcmChunk> | undefined }>;
}

function portError(error: unknown, kind: 'UDP' | 'TCP', host: string, port: number, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new EnvironmentError('E_PORT_IN_USE', `${kind} port ${port} on ${host} is already in use (another server running?); choose another with ${flag} N`);
  }
  if (code === 'EACCES') {
    return new EnvironmentError('E_PORT_DENIED', `${kind} port ${port} on ${host} needs privileges; choose a port above 1023 with ${flag} N`);
  }
  if (code === 'EADDRNOTAVAIL') {
    return new EnvironmentError('E_BAD_HOST', `${host} is not an address of this machine; use --host 127.0.0.1 or 0.0.0.0`);
  }
  return error;
}

function listenTcp(server: TcpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(portError(error, 'TCP', host, port, '--audio-port'));
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export class StreamServer {
  readonly #opts: StreamServerOptions;
  readonly #wire: Wire;
  readonly #framePacker: FramePacker;
  readonly #audioPacker: AudioPacker;
  readonly #clock: Clock;
  readonly #audioClock: Clock;
  readonly #video: VideoSender;
  readonly #tcp: TcpServer;
  readonly #registry: ClientRegistry<TcpSocket>;
  readonly #log: (line: string) => void;
  readonly #debug: (line: string) => void;
  readonly #closing = new AbortController();
  #programme: AbortController | undefined;
  #wakeWaiter: (() => void) | undefined;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #fps = new FpsMeter(1000);
  #state: ServerStats['state'] = 'waiting';
  #frameId = 0;
  #framesSent = 0;
  #framesSkipped = 0;
  #audioChunksSent = 0;
  #bytesSent = 0;
  #ptsUs = 0;
  #loops = 0;
  #garbage = 0;
  #rejectedConnections = 0;
  #tooLargeReported = false;

  /** The UDP address last given to the sender thread, per client (a NAT rebinding changes it). */
  readonly #sentTo = new Map<RegisteredClient<TcpSocket>, string>();

  private constructor(opts: StreamServerOptions, video: VideoSender, tcp: TcpServer) {
    this.#opts = opts;
    this.#wire = wireFor(opts.wire);
    this.#framePacker = this.#wire.newFramePacker();
    this.#audioPacker = this.#wire.newAudioPacker();
    this.#clock = opts.clock ?? monotonicClock;
    this.#audioClock = opts.audioClock ?? (opts.clock ? opts.clock : createMonotonicClock({ marginMs: 0 }));
    this.#video = video;
    this.#tcp = tcp;
    this.#registry = new ClientRegistry<TcpSocket>({ wire: this.#wire });
    this.#log = opts.log ?? (() => {});
    this.#debug = opts.debug ?? (() => {});
  }

  /** Binds both sockets (one-line E_PORT_IN_USE naming the flag when taken) and starts serving. */
  static async listen(opts: StreamServerOptions): Promise<StreamServer> {
    let server: StreamServer | undefined;
    const v = opts.media.video!;
    const video = await VideoSender.start({
      host: opts.host,
      port: opts.port,
      slotBytes: slotBytesFor(opts.width, scaledHeight(opts.width, v.width, v.height)),
      sendBufferBytes: UDP_BUFFER_BYTES,
      burstDatagrams: BURST_DATAGRAMS,
      onDatagram: (buf, rinfo) => {
        if (server) server.#onDatagram(buf, rinfo as RemoteInfo);
      },
      onSent: (frame) => {
        if (server) server.#onSent(frame);
      },
      debug: (line) => opts.debug?.(line),
    }).catch((error: unknown) => {
      throw portError(error, 'UDP', opts.host, opts.port, '--port');
    });
    const tcp = createServer({ noDelay: true });
    try {
      await listenTcp(tcp, opts.host, opts.audioPort);
    } catch (error) {
      await video.close();
      throw error;
    }
    server = new StreamServer(opts, video, tcp);
    server.#attach();
    server.#running = server.#run();
    return server;
  }

  get videoPort(): number {
    return this.#video.address().port;
  }

  get audioPort(): number {
    const address = this.#tcp.address();
    return typeof address === 'object' && address ? address.port : this.#opts.audioPort;
  }

  get stats(): ServerStats {
    return {
      state: this.#state,
      clients: this.#registry.active().length,
      framesSent: this.#framesSent,
      framesSkipped: this.#framesSkipped,
      fps: this.#fps.fps(this.#clock.now()),
      audioChunksSent: this.#audioChunksSent,
      bytesSent: this.#bytesSent,
      ptsUs: this.#ptsUs,
      loops: this.#loops,
      garbageDatagrams: this.#garbage,
      rejectedConnections: this.#rejectedConnections,
    };
  }

  /** Resolves when the server has stopped (after close(), or if the programme loop failed). */
  get done(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** Stops everything: programme, ffmpeg children, client connections, both sockets. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort(new Error('server stopping'));
      this.#programme?.abort(new Error('server stopping'));
      this.#wakeWaiter?.();
      if (this.#keepaliveTimer) clearInterval(this.#keepaliveTimer);
      for (const client of this.#registry.all()) this.#drop(client, 'server stopping');
      this.#tcp.close();
    }
    await this.#running?.catch(() => {});
    await this.#video.close();
    this.#state = 'stopped';
  }

  #attach(): void {
    this.#tcp.on('connection', (socket) => this.#onConnection(socket));
    this.#tcp.on('error', (error) => this.#debug(`tcp listener error: ${error.message}`));
    this.#keepaliveTimer = setInterval(() => {
      for (const { client, reason } of this.#registry.expire(this.#clock.now())) this.#drop(client, reason);
    }, 500);
  }

  #onConnection(socket: TcpSocket): void {
    if (this.#closing.signal.aborted) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const { client, joined, evicted } = this.#registry.connect(socket, this.#clock.now());
    if (evicted) this.#drop(evicted, 'no hello after connecting');
    this.#debug(`client #${client.id}: TCP from ${socket.remoteAddress}:${socket.remotePort}`);
    socket.on('error', (error) => {
      this.#debug(`client #${client.id}: ${error.message}`);
      this.#drop(client, 'send failed');
    });
    socket.on('close', () => this.#drop(client, 'connection closed'));
    socket.on('data', () => {}); // clients send nothing on TCP; reading keeps the socket healthy
    const greeting = this.#wire.greeting(client.token, this.#description());
    if (greeting) this.#write(client, greeting);
    if (joined) this.#joined(client);
  }

  /** What the greeting announces: the picture after scaling, the file's rate and length, the sound's format. */
  #description(): StreamDescription {
    const { media, width } = this.#opts;
    const video = media.video!;
    return {
      fpsNum: video.fps.num,
      fpsDen: video.fps.den,
      width,
      height: scaledHeight(width, video.width, video.height),
      durationUs: Math.round(media.durationS * 1e6),
      sampleRate: SAMPLE_RATE,
      channels: CHANNELS,
      chunkFrames: CHUNK_FRAMES,
      hasAudio: media.hasAudio,
    };
  }

  #onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    const hello = this.#wire.readHello(buf);
    if (!hello) {
      this.#garbage += 1;
      return;
    }
    const result = this.#registry.hello(rinfo, hello.token, this.#clock.now());
    if (!result && hello.token !== undefined) this.#debug(`hello with unknown token ${hello.token} from ${rinfo.address}:${rinfo.port}`);
    if (result?.joined) this.#joined(result.client);
    else if (result && this.#sentTo.get(result.client) !== `${result.client.udp?.address}:${result.client.udp?.port}`) this.#syncClients();
  }

  /** Gives the sender thread the current video destinations. */
  #syncClients(): void {
    this.#sentTo.clear();
    const active = this.#registry.active();
    for (const c of active) this.#sentTo.set(c, `${c.udp?.address}:${c.udp?.port}`);
    this.#video.setClients(active.map((c) => c.udp!));
  }

  #joined(client: RegisteredClient<TcpSocket>): void {
    this.#syncClients();
    this.#log(`client #${client.id} joined from ${client.udp?.address}:${client.udp?.port} (${this.#registry.active().length} watching)`);
    this.#wakeWaiter?.();
  }

  #drop(client: RegisteredClient<TcpSocket>, reason: LeaveReason): void {
    const known = this.#registry.remove(client.peer);
    if (known && client.udp) this.#syncClients();
    if (reason === 'no hello after connecting') this.#rejectedConnections += 1;
    if (!client.peer.destroyed) {
      if (reason === 'end of stream' || reason === 'server stopping') client.peer.end();
      else client.peer.destroy();
    }
    if (!known) return;
    if (client.udp && reason !== 'server stopping' && reason !== 'end of stream') {
      this.#log(`client #${client.id} left (${reason}; ${this.#registry.active().length} watching)`);
    }
    if (this.#registry.active().length === 0 && this.#programme && reason !== 'end of stream') {
      this.#programme.abort(new Error('no clients left'));
    }
  }

  #write(client: RegisteredClient<TcpSocket>, message: Buffer): void {
    const socket = client.peer;
    if (socket.destroyed || !socket.writable) return;
    socket.write(message);
    this.#bytesSent += message.length;
    if (socket.writableLength > MAX_TCP_BACKLOG_BYTES) this.#drop(client, 'too slow');
  }

  async #waitForClient(): Promise<void> {
    while (!this.#closing.signal.aborted && this.#registry.active().length === 0) {
      await new Promise<void>((resolve) => {
        this.#wakeWaiter = resolve;
      });
      this.#wakeWaiter = undefined;
    }
  }

  async #run(): Promise<void> {
    let ready: Sources | undefined;
    try {
      while (!this.#closing.signal.aborted) {
        this.#state = 'waiting';
        // ffmpeg starts while we wait, so the first frame is decoded before anyone registers and
        // goes out within milliseconds of the hello instead of after ffmpeg's start-up (≈ 80 ms).
        // Until then ffmpeg sits blocked on its full pipes: no CPU.
        ready ??= await this.#openSources();
        await this.#waitForClient();
        if (this.#closing.signal.aborted) break;
        this.#state = 'playing';
        const programme = new AbortController();
        this.#programme = programme;
        const sources = ready;
        ready = undefined;
        try {
          await this.#play(programme.signal, sources);
        } catch (error) {
          if (!programme.signal.aborted) throw error;
        } finally {
          this.#programme = undefined;
        }
        if (!programme.signal.aborted) {
          await this.#video.drain(this.#closing.signal); // the last frames leave before the end-of-stream
          this.#endOfStream();
        } else {
          this.#video.flush();
          if (!this.#closing.signal.aborted) this.#log('no clients left: waiting for the next one');
        }
      }
    } finally {
      await this.#closeSources(ready);
      this.#state = 'stopped';
    }
  }

  #endOfStream(): void {
    const clients = this.#registry.all();
    for (const client of clients) {
      const eos = this.#wire.endOfStream(this.#ptsUs);
      if (eos) this.#write(client, eos);
      this.#drop(client, 'end of stream');
    }
    this.#log(`end of file: sent to ${clients.length} client(s); waiting for the next client`);
  }

  async #openSources(): Promise<Sources> {
    const { file, media, width, quality } = this.#opts;
    const v = media.video!;
    // One ffmpeg, two outputs (frames on stdout, PCM on fd 3): see media/av-source.ts.
    const { frames, pcm } = openAvSources({
      file,
      fps: v.fps,
      width,
      quality,
      queueSize: 10,
      sourceWidth: v.width,
      sourceHeight: v.height,
      ...(media.hasAudio ? { audio: { sampleRate: SAMPLE_RATE, channels: CHANNELS, chunkFrames: CHUNK_FRAMES } } : {}),
    });
    const video = frames[Symbol.asyncIterator]();
    const audio = pcm?.[Symbol.asyncIterator]();
    // Both asked for at once: ffmpeg writes the two outputs interleaved, so neither waits on the other.
    const first = Promise.all([video.next(), audio?.next()]).then(([v, a]) => ({ video: v, audio: a }));
    first.catch(() => {}); // awaited by #play; a failure while nobody plays surfaces there
    return { frames, pcm, video, audio, first };
  }

  async #closeSources(s: Sources | undefined): Promise<void> {
    if (!s) return;
    await Promise.allSettled([s.frames.close(), s.pcm?.close()]);
  }

  /** Plays the file (and its loops) to the registered clients; resolves at end of file. */
  async #play(signal: AbortSignal, opened: Sources): Promise<void> {
    const { media } = this.#opts;
    const fps = media.video!.fps;
    const pacer = createPacer(this.#opts.pacing, this.#clock, fps.num / fps.den);
    let offsetUs = 0;
    let framesBefore = 0; // frames of earlier loops: the next loop's pts continue from there
    let t0: number | undefined;
    let current: Sources | undefined = opened;
    let next: Sources | undefined;
    try {
      for (;;) {
        const sources: Sources = current;
        // Take the first items before fixing t0, so ffmpeg's start-up does not make frame 0 late.
        const { video: firstVideo, audio: firstAudio } = await sources.first;
        if (signal.aborted) return;
        if (t0 === undefined) {
          t0 = this.#clock.now() + 5;
          pacer.start(t0);
        }
        const base = t0;
        let lastIndex = -1;
        const videoLoop = async (): Promise<void> => {
          let item = firstVideo;
          while (!item.done && !signal.aborted) {
            const frame = item.value;
            lastIndex = frame.index;
            const ptsUs = offsetUs + frame.ptsUs;
            if (this.#opts.loop && !next && frame.ptsUs >= media.durationS * 1e6 - LOOP_PREOPEN_US) {
              const before = this.#clock.now();
              next = await this.#openSources();
              this.#debug(`next loop's ffmpeg started in ${(this.#clock.now() - before).toFixed(1)} ms`);
            }
            // Deadline pacing: queued ahead, the sender thread keeps the deadline. The tutorial's
            // loop decides its send time only after the previous frame, so it waits here and
            // queues the frame as due now.
            let dueMs = base + ptsUs / 1000;
            if (this.#opts.pacing !== 'deadline') {
              await pacer.waitFor(ptsUs, signal);
              dueMs = this.#clock.now();
            }
            await this.#queueFrame(dueMs, ptsUs, frame.jpeg, signal);
            item = await sources.video.next();
          }
        };
        const audioLoop = async (): Promise<void> => {
          if (!sources.audio || !firstAudio) return;
          let item = firstAudio;
          while (!item.done && !signal.aborted) {
            const chunk = item.value;
            const ptsUs = offsetUs + chunk.ptsUs;
            await this.#audioClock.sleepUntil(base + ptsUs / 1000 - AUDIO_LEAD_MS, signal);
            this.#sendAudio(ptsUs, chunk.pcm);
            item = await sources.audio.next();
          }
        };
        await Promise.all([videoLoop(), audioLoop()]);
        if (signal.aborted) return;
        framesBefore += lastIndex + 1;
        offsetUs = Math.round((framesBefore * 1e6 * fps.den) / fps.num);
        this.#ptsUs = offsetUs;
        await this.#closeSources(sources);
        current = undefined;
        if (!this.#opts.loop) return;
        this.#loops += 1;
        current = next ?? (await this.#openSources());
        next = undefined;
      }
    } finally {
      await this.#closeSources(current);
      await this.#closeSources(next);
    }
  }

  /** Packs a frame (the wire's base64 or fragments) into the sender's ring, due at dueMs. */
  async #queueFrame(dueMs: number, ptsUs: number, jpeg: Buffer, signal: AbortSignal): Promise<void> {
    const frameId = this.#frameId;
    this.#frameId = (this.#frameId + 1) >>> 0;
    let datagrams: Buffer[];
    try {
      datagrams = this.#framePacker.pack({ frameId, ptsUs, jpeg });
    } catch (error) {
      if (!(error instanceof FrameTooLargeError)) throw error;
      this.#framesSkipped += 1;
      if (!this.#tooLargeReported) {
        this.#tooLargeReported = true;
        this.#log(`warning: ${error.message} (skipping such frames; reported once)`);
      }
      return;
    }
    await this.#video.enqueue(dueMs, ptsUs, jpeg, (slot) => writeDatagrams(slot, datagrams), signal);
  }

  /** A frame the sender thread has sent (to every client it knew then). */
  #onSent(frame: SentFrame): void {
    this.#ptsUs = frame.ptsUs;
    this.#bytesSent += frame.wireBytes * frame.clients;
    this.#framesSent += 1;
    const now = this.#clock.now();
    this.#fps.tick(now);
    this.#opts.onFrameSent?.(frame.jpeg, this.#fps.fps(now));
  }

  #sendAudio(ptsUs: number, pcm: Buffer): void {
    const message = this.#audioPacker.pack(ptsUs, pcm);
    for (const client of this.#registry.active()) this.#write(client, message);
    this.#audioChunksSent += 1;
  }
}
