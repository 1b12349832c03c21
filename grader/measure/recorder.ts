/**
 * The probe process's main thread: it owns the UDP socket and does nothing else while recording,
 * so every video datagram is stamped the moment the event loop sees it. Audio lives in a worker
 * thread (audio-worker.ts). Registration follows the wire's rules (src/wire); with wire 'auto' both
 * registrations go out at once and the first decisive bytes choose (a framed server ignores a
 * stray b'Hello').
 */
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { waitWithin } from '../../src/timing/wait.ts';
import type { AudioRecording, AudioWorkerData, MainToWorker, WorkerToMain } from './audio-worker.ts';
import { monoMs } from './mono-clock.ts';
import { emptyRecording, type ProbeFrame, type ProbeRecording } from './recording.ts';
import { wireFor, wireFromDatagram, type VideoReader, type Wire, type WireName } from '../../src/wire/index.ts';

/** Loading the audio worker (tsx compiles it on a cold cache) must not take longer than this, ms. */
const WORKER_START_BOUND_MS = 20_000;

export interface RecorderOptions {
  host: string;
  videoPort: number;
  audioPort: number;
  wire: WireName | 'auto';
  seconds: number;
  connectTimeoutMs: number;
  firstFrameTimeoutMs: number;
  audioReadAheadMs: number;
  maxKeptJpegBytes: number;
  maxKeptPcmBytes: number;
  maxFrames: number;
}

/** Resolves when `stop` is called (the caller's abort) — the recording then ends early. */
export interface StopSignal {
  stopped: Promise<void>;
  readonly isStopped: boolean;
}

/** A promise with its resolver, for the one-shot events the recording waits on. */
function signal<T = void>(): { promise: Promise<T>; fire: (v: T) => void } {
  let fire!: (v: T) => void;
  const promise = new Promise<T>((r) => (fire = r));
  return { promise, fire };
}

/** One recording: the UDP side on this thread, the audio worker's messages folded in. */
class Recorder {
  readonly rec: ProbeRecording;
  readonly #o: RecorderOptions;
  readonly #log: (msg: string) => void;
  readonly #udp: dgram.Socket;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #firstFrame = signal();
  readonly #connectSettled = signal();
  readonly #workerReady = signal();
  readonly #recordingArrived = signal<AudioRecording | undefined>();
  #keptJpeg = 0;
  #wire: Wire | undefined;
  #video: VideoReader | undefined;
  #worker: Worker | undefined;

  constructor(o: RecorderOptions, log: (msg: string) => void) {
    this.#o = o;
    this.#log = log;
    this.rec = emptyRecording(o.wire, monoMs(), o.audioReadAheadMs);
    this.#udp = dgram.createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 1 << 22 });
    if (o.wire !== 'auto') this.#chooseWire(o.wire, 'worker');
  }

  #truncate(what: string): void {
    if (!this.rec.truncated.includes(what)) this.rec.truncated.push(what);
  }

  #garbage(why: string): void {
    this.rec.garbageDatagrams += 1;
    this.rec.firstGarbage ??= why.slice(0, 200);
  }

  #toWorker(m: MainToWorker): void {
    this.#worker?.postMessage(m);
  }

  #chooseWire(name: WireName, from: 'datagram' | 'worker'): void {
    if (this.#wire) return;
    this.#wire = wireFor(name);
    this.#video = this.#wire.newVideoReader();
    this.rec.wire = name;
    if (from === 'datagram') this.#toWorker({ type: 'wire', wire: name });
  }

  #addFrame(f: ProbeFrame, jpeg: Buffer): void {
    const rec = this.rec;
    if (rec.frames.length >= this.#o.maxFrames) return this.#truncate('frames');
    if (this.#keptJpeg + jpeg.length <= this.#o.maxKeptJpegBytes) {
      f.jpeg = jpeg;
      this.#keptJpeg += jpeg.length;
    } else this.#truncate('jpeg');
    rec.frames.push(f);
    if (rec.firstFrameMs === undefined) {
      rec.firstFrameMs = f.arrivalMs;
      rec.plannedEndMs = f.arrivalMs + this.#o.seconds * 1000;
      this.#firstFrame.fire();
    }
  }

  readonly #onDatagram = (msg: Buffer): void => {
    const at = monoMs();
    this.rec.datagrams += 1;
    this.rec.datagramBytes += msg.length;
    if (!this.#video) {
      const decided = wireFromDatagram(msg);
      if (!decided) return this.#garbage('datagram before the wire was known, and not a tutorial frame');
      this.#chooseWire(decided, 'datagram');
    }
    const out = this.#video!.push(msg);
    if (out.garbage) return this.#garbage(out.garbage);
    if (out.frame) {
      const { jpeg, ...rest } = out.frame;
      this.#addFrame({ arrivalMs: at, bytes: jpeg.length, ...rest }, jpeg);
    }
  };

  /** Until the wire is known, the tutorial's rules: its Hello goes out, and a framed server ignores it. */
  #rules(): Wire {
    return this.#wire ?? wireFor('tutorial');
  }

  #sendHello(): void {
    const hello = this.#rules().hello(this.rec.handshake);
    if (hello) this.#udp.send(hello, this.#o.videoPort, this.#o.host, () => {});
  }

  /** Hello and the moment of registering, for wires that register by Hello (tutorial, auto). */
  #registerByHello(): void {
    if (!this.#rules().helloBeforeConnect) return;
    this.#sendHello();
    this.rec.registeredMs = monoMs();
  }

  async #bindUdp(): Promise<void> {
    const udp = this.#udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    udp.on('error', () => {}); // ICMP port unreachable before the server binds is normal
    udp.on('message', this.#onDatagram);
    this.#timers.push(
      setInterval(() => {
        if (this.#rules().helloNeeded(this.rec.firstFrameMs !== undefined)) this.#sendHello();
      }, 1000),
    );
  }

  readonly #onWorkerMessage = (m: WorkerToMain): void => {
    const rec = this.rec;
    switch (m.type) {
      case 'ready':
        return this.#workerReady.fire();
      case 'connected':
        rec.connected = true;
        rec.connectedMs = m.atMs;
        // The server is up now; a Hello sent while it was still starting may have been lost, and
        // the next retry could be up to 1 s away. client.py's Hello and connect come back to back
        // (and a tutorial server starts its sound on accept, its picture on Hello), so send one now.
        if (rec.firstFrameMs === undefined) this.#registerByHello();
        this.#log(`probe: connected to tcp ${this.#o.host}:${this.#o.audioPort}`);
        return this.#connectSettled.fire();
      case 'connect-failed':
        rec.problem ??= m.problem;
        return this.#connectSettled.fire();
      case 'wire':
        return this.#chooseWire(m.wire, 'worker');
      case 'handshake':
        if (!rec.handshake) {
          rec.handshake = m.handshake;
          rec.registeredMs = m.atMs;
          this.#sendHello();
        }
        return;
      case 'closed':
        rec.audioClosed = true;
        rec.audioClosedMs = m.atMs;
        if (m.error) rec.audioError ??= m.error;
        return;
      case 'recording':
        return this.#recordingArrived.fire(m.recording);
    }
  };

  #startWorker(): void {
    const o = this.#o;
    const data: AudioWorkerData = {
      host: o.host,
      port: o.audioPort,
      wire: o.wire,
      connectTimeoutMs: o.connectTimeoutMs,
      maxAheadMs: o.audioReadAheadMs,
      maxKeptPcmBytes: o.maxKeptPcmBytes,
      maxMessages: 200_000,
    };
    const worker = new Worker(new URL('./audio-worker-entry.mjs', import.meta.url), { workerData: data });
    this.#worker = worker;
    worker.on('error', (e) => {
      this.rec.audioError ??= `audio thread: ${e.message}`;
      this.#workerReady.fire(); // the picture can still be measured
      this.#connectSettled.fire();
      this.#recordingArrived.fire(undefined);
    });
    worker.on('exit', () => this.#recordingArrived.fire(undefined));
    worker.on('message', this.#onWorkerMessage);
  }

  /** The recording's phases in order: worker loaded, registered and connected, first frame, window. */
  async run(stop: StopSignal): Promise<void> {
    const o = this.#o;
    const rec = this.rec;
    await this.#bindUdp();
    this.#startWorker();
    const aborted = new AbortController();
    void stop.stopped.then(() => aborted.abort());
    const until = { signal: aborted.signal };
    // The worker loads first (hundreds of ms under tsx); then Hello and the TCP connect go out
    // back to back, as client.py sends them — a gap between them would shift the A/V a tutorial
    // server shows (it starts its sound on accept and its picture on Hello).
    const ready = await waitWithin(this.#workerReady.promise, WORKER_START_BOUND_MS, until);
    if (!ready.ok) {
      rec.aborted = ready.reason === 'aborted';
      rec.problem ??= rec.aborted ? 'aborted' : `the probe's audio thread did not start within ${WORKER_START_BOUND_MS / 1000} s`;
      return;
    }
    this.#registerByHello(); // tutorial/auto: client.py sends Hello, then connects the audio socket
    this.#toWorker({ type: 'connect' });
    // On the tutorial wire Hello alone registers: once a frame came, the window starts even if the
    // sound's port never answers (a server with no audio thread); the connect goes on meanwhile.
    const connectedOrFrame = signal();
    void this.#connectSettled.promise.then(connectedOrFrame.fire);
    void this.#firstFrame.promise.then(connectedOrFrame.fire);
    await waitWithin(connectedOrFrame.promise, undefined, until);
    if (!rec.connected && !this.#rules().helloBeforeConnect) return; // registration needs the TCP greeting: nothing more can come

    const firstWaitS = o.firstFrameTimeoutMs / 1000;
    const first = await waitWithin(this.#firstFrame.promise, o.firstFrameTimeoutMs, until);
    if (!first.ok) {
      rec.aborted = first.reason === 'aborted';
      rec.problem ??= rec.aborted
        ? 'aborted'
        : rec.datagrams > 0
          ? `${rec.datagrams} datagrams arrived in ${firstWaitS} s but no complete frame (${rec.firstGarbage ?? 'incomplete frames'})`
          : `no video datagram arrived within ${firstWaitS} s of registering on udp ${o.host}:${o.videoPort}`;
      return;
    }
    const never = new Promise<void>(() => {}); // the window is pure time: only its end or a stop ends it
    const end = await waitWithin(never, Math.max(0, rec.plannedEndMs! - monoMs()), until);
    rec.aborted = !end.ok && end.reason === 'aborted';
  }

  #takeAudio(audio: AudioRecording | undefined): void {
    const rec = this.rec;
    if (!audio) {
      rec.audioError ??= 'the audio thread ended without its recording';
      return;
    }
    rec.audio = audio.audio.map((a) => (a.pcm ? { ...a, pcm: Buffer.from(a.pcm.buffer, a.pcm.byteOffset, a.pcm.byteLength) } : a));
    rec.playout = audio.playout;
    rec.audioBytes = audio.audioBytes;
    rec.eos = audio.eos;
    if (audio.audioError) rec.audioError ??= audio.audioError;
    for (const t of audio.truncated) this.#truncate(t);
  }

  /** Stops taking datagrams, collects the worker's recording, closes everything. */
  async finish(): Promise<void> {
    const rec = this.rec;
    // Nothing recorded after the end: the worker's hand-over below takes a few ms.
    this.#udp.removeListener('message', this.#onDatagram);
    rec.endedMs = monoMs();
    for (const t of this.#timers) clearTimeout(t);
    if (this.#worker) {
      this.#toWorker({ type: 'stop' });
      const timer = setTimeout(() => this.#recordingArrived.fire(undefined), 3000);
      const audio = await this.#recordingArrived.promise;
      clearTimeout(timer);
      await this.#worker.terminate();
      this.#takeAudio(audio);
    }
    await new Promise<void>((r) => {
      try {
        this.#udp.close(() => r());
      } catch {
        r(); // never bound
      }
    });
    const counts = this.#video?.counts();
    if (counts && counts.datagramsLost !== null) {
      rec.datagramsLost = Math.max(0, counts.datagramsLost);
      rec.framesIncomplete = counts.framesDropped;
    }
    this.#log(`probe: ${rec.frames.length} frames, ${(rec.audioBytes / 176400).toFixed(2)} s audio, wire ${rec.wire}`);
  }
}

export async function record(o: RecorderOptions, stop: StopSignal, log: (msg: string) => void): Promise<ProbeRecording> {
  const recorder = new Recorder(o, log);
  try {
    await recorder.run(stop);
  } finally {
    await recorder.finish();
  }
  return recorder.rec;
}
