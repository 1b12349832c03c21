/**
 * The video send path off the event loop. A worker thread (video-sender-worker.mjs) owns the UDP
 * video socket and does nothing but wait for each frame's deadline (Atomics.wait, a futex sleep)
 * and send; this class is the main thread's side: it writes each frame, already in its wire form,
 * into a free slot of a pre-allocated shared ring (frame-ring.ts) ahead of its deadline, tells the
 * worker who the clients are, and passes on the datagrams the socket receives (hellos).
 *
 * Why: on one event loop, the video deadline shares the thread with ffmpeg's pipe reads, JPEG
 * splitting, audio sends and V8's scavenges, and whichever is running at the deadline makes that
 * frame late — the tail of the frame-interval jitter. The worker's isolate allocates next to
 * nothing, so it rarely collects garbage, and a busy main thread only matters if it falls a whole
 * ring (DEFAULT_SLOTS frames) behind.
 *
 * The bench's timing trace (AVSOCK_SEND_TRACE) is send-trace.ts; the sender only hands it over.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { EnvironmentError } from '../errors.ts';
import * as ring from './frame-ring.ts';
import type { UdpAddress } from './registry.ts';
import { SendTrace, type SenderTrace, type TraceBuffer } from './send-trace.ts';

export interface VideoSenderOptions {
  readonly host: string;
  readonly port: number;
  /** Bytes per ring slot (slotBytesFor(width, height)). */
  readonly slotBytes: number;
  readonly slots?: number;
  readonly sendBufferBytes: number;
  /** Datagrams per burst of one large frame (1 ms pause between bursts). */
  readonly burstDatagrams: number;
  /** Datagram received on the video socket (a hello), as dgram's 'message' gives it. */
  readonly onDatagram: (data: Buffer, from: { address: string; port: number; family: string; size: number }) => void;
  /** A frame that left (for stats and the TRANSMITTING VIDEO page). */
  readonly onSent?: (frame: SentFrame) => void;
  readonly debug?: (line: string) => void;
  /** Trace file (AVSOCK_SEND_TRACE by default). */
  readonly traceFile?: string;
}

export interface SentFrame {
  readonly ptsUs: number;
  readonly jpeg: Buffer;
  readonly wireBytes: number;
  readonly clients: number;
}

/**
 * The shortest spin at the end of each wait (ms): Atomics.wait's wake-up is late by 50–200 µs on
 * the 2-core VM we measure on even when it is quiet. The sender thread lengthens it, up to 1 ms and
 * 5 % of the frame interval, when its futex wake-ups have been later than that recently
 * (video-sender-worker.mjs, SPIN_BUDGET): 0.15 ms × fps of CPU a second at the least (0.5 % of a
 * core at 30 fps), 5 % of a core at the most.
 */
const SPIN_MS = 0.15;

/** Atomics.waitAsync (V8 8.7+, every Node ≥ 16), not yet in TypeScript's ES2023 lib. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, timeoutMs?: number) => WaitAsyncResult }).waitAsync;

interface Pending {
  ptsUs: number;
  jpeg: Buffer;
  wireBytes: number;
  clients: number;
}

/** What the sender thread (video-sender-worker.mjs) is started with; its JSDoc types read this. */
export interface SenderWorkerData {
  readonly sab: SharedArrayBuffer;
  readonly layout: ring.RingLayout;
  /** The ring's control-word and meta-field indexes (frame-ring.ts), so the layout has one source. */
  readonly keys: Readonly<
    Record<
      | 'C_WRITTEN'
      | 'C_SENT'
      | 'C_WAKE'
      | 'C_GEN'
      | 'C_STOP'
      | 'C_CLIENTS'
      | 'META_FIELDS'
      | 'M_DEADLINE'
      | 'M_PTS'
      | 'M_GEN'
      | 'M_COUNT'
      | 'M_FULL'
      | 'M_LAST'
      | 'M_PUBLISHED',
      number
    >
  >;
  readonly mainTimeOrigin: number;
  readonly host: string;
  readonly port: number;
  readonly family: 'udp4' | 'udp6';
  readonly sendBufferBytes: number;
  readonly burstDatagrams: number;
  readonly spinMs: number;
  /** Bench only (send-trace.ts): per-frame timings are written here when set. */
  readonly trace: TraceBuffer | undefined;
}

export class VideoSender {
  readonly #worker: Worker;
  readonly #writer: ring.FrameRingWriter;
  readonly #opts: VideoSenderOptions;
  readonly #pending: Array<Pending | undefined>;
  readonly #trace: SendTrace | undefined;
  readonly #address: { address: string; port: number; family: string };
  #reported: number;
  #clients: UdpAddress[] = [];
  #closed = false;
  #closedPromise: Promise<void> | undefined;

  private constructor(
    worker: Worker,
    writer: ring.FrameRingWriter,
    opts: VideoSenderOptions,
    address: { address: string; port: number; family: string },
    trace: SendTrace | undefined,
  ) {
    this.#worker = worker;
    this.#writer = writer;
    this.#opts = opts;
    this.#address = address;
    this.#trace = trace;
    this.#pending = new Array<Pending | undefined>(writer.layout.slots).fill(undefined);
    this.#reported = Atomics.load(writer.control, ring.C_SENT);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'datagram') opts.onDatagram(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), m);
      else if (m.type === 'send-error') opts.debug?.(`udp send: ${m.message}`);
    });
    worker.on('error', (error) => opts.debug?.(`video sender thread: ${error.message}`));
    void this.#watchSent();
  }

  /** Starts the sender thread and binds the video socket; rejects with the bind error (its errno `code` kept). */
  static async start(opts: VideoSenderOptions): Promise<VideoSender> {
    const layout = ring.ringLayout(opts.slots ?? ring.DEFAULT_SLOTS, opts.slotBytes);
    const writer = new ring.FrameRingWriter(layout);
    const trace = SendTrace.open(opts.traceFile);
    const workerData: SenderWorkerData = {
      sab: writer.sab,
      layout,
      keys: {
        C_WRITTEN: ring.C_WRITTEN,
        C_SENT: ring.C_SENT,
        C_WAKE: ring.C_WAKE,
        C_GEN: ring.C_GEN,
        C_STOP: ring.C_STOP,
        C_CLIENTS: ring.C_CLIENTS,
        META_FIELDS: ring.META_FIELDS,
        M_DEADLINE: ring.M_DEADLINE,
        M_PTS: ring.M_PTS,
        M_GEN: ring.M_GEN,
        M_COUNT: ring.M_COUNT,
        M_FULL: ring.M_FULL,
        M_LAST: ring.M_LAST,
        M_PUBLISHED: ring.M_PUBLISHED,
      },
      mainTimeOrigin: performance.timeOrigin,
      host: opts.host,
      port: opts.port,
      family: opts.host.includes(':') ? 'udp6' : 'udp4',
      sendBufferBytes: opts.sendBufferBytes,
      burstDatagrams: opts.burstDatagrams,
      spinMs: SPIN_MS,
      trace: trace?.buffer,
    };
    const worker = new Worker(new URL('./video-sender-worker.mjs', import.meta.url), {
      workerData,
      // The sender thread needs little heap; a small young generation keeps its rare scavenges short.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    const address = await new Promise<{ address: string; port: number; family: string }>((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        if (m.type === 'listening') {
          cleanup();
          resolve(m);
        } else if (m.type === 'bind-error') {
          cleanup();
          void worker.terminate();
          reject(Object.assign(new Error(m.message), { code: m.code }));
        }
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(new EnvironmentError('E_SENDER_THREAD', `the video sender thread failed to start: ${error.message}`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
    });
    return new VideoSender(worker, writer, opts, address, trace);
  }

  address(): { address: string; port: number; family: string } {
    return this.#address;
  }

  /** Frames published and not yet sent. */
  get pending(): number {
    return this.#writer.pending;
  }

  /** Where the video goes from now on (the next frame and every later one). */
  setClients(clients: readonly UdpAddress[]): void {
    if (this.#closed) return;
    this.#clients = clients.map((c) => ({ address: c.address, port: c.port }));
    // The list travels by message, frames by shared memory: a frame published right after this
    // could reach the worker first. The generation in shared memory makes the worker wait for
    // this list before sending anything published later.
    const gen = (Atomics.add(this.#writer.control, ring.C_CLIENTS, 1) + 1) | 0;
    this.#worker.postMessage({ type: 'clients', clients: this.#clients, gen });
    // After postMessage, so the message is queued when the woken worker turns its event loop.
    this.#writer.wake();
  }

  /**
   * Queues a frame, due at deadlineMs (this thread's performance.now()): waits for a free slot
   * (the ring holds DEFAULT_SLOTS frames), writes the wire form into it and publishes it.
   * `write` puts the frame's datagrams into the slot (frame-ring.ts writeTutorialFrame/writeFramedFrame)
   * and may throw (FrameTooLargeError) — then nothing is queued.
   */
  async enqueue(deadlineMs: number, ptsUs: number, jpeg: Buffer, write: (slot: Buffer) => ring.SlotContent, signal?: AbortSignal): Promise<void> {
    while (!this.#writer.hasFreeSlot) {
      if (this.#closed || signal?.aborted) return;
      const sent = Atomics.load(this.#writer.control, ring.C_SENT);
      const r = waitAsync(this.#writer.control, ring.C_SENT, sent, 250);
      if (r.async) await r.value;
      this.#report();
    }
    if (this.#closed || signal?.aborted) return;
    this.#report();
    const content = write(this.#writer.nextSlot());
    const slot = (Atomics.load(this.#writer.control, ring.C_WRITTEN) >>> 0) % this.#writer.layout.slots;
    this.#pending[slot] = { ptsUs, jpeg, wireBytes: content.bytes, clients: this.#clients.length };
    this.#writer.publish(content, deadlineMs, ptsUs, performance.now());
  }

  /** Drops the frames queued and not yet sent (the programme stopped). */
  flush(): void {
    this.#pending.fill(undefined);
    this.#writer.flush();
  }

  /** Resolves when every queued frame has been sent (or dropped). */
  async drain(signal?: AbortSignal): Promise<void> {
    while (this.#writer.pending > 0 && !this.#closed && !signal?.aborted) {
      const sent = Atomics.load(this.#writer.control, ring.C_SENT);
      const r = waitAsync(this.#writer.control, ring.C_SENT, sent, 250);
      if (r.async) await r.value;
    }
    this.#report();
  }

  /** Reports the frames the worker finished since the last call (onSent). */
  #report(): void {
    const sent = Atomics.load(this.#writer.control, ring.C_SENT);
    while (((sent - this.#reported) | 0) > 0) {
      const slot = (this.#reported >>> 0) % this.#writer.layout.slots;
      const p = this.#pending[slot];
      this.#pending[slot] = undefined;
      this.#reported = (this.#reported + 1) | 0;
      if (p) this.#opts.onSent?.(p);
    }
  }

  async #watchSent(): Promise<void> {
    while (!this.#closed) {
      const r = waitAsync(this.#writer.control, ring.C_SENT, this.#reported, 1000);
      if (r.async) await r.value;
      this.#report();
    }
  }

  /** Stops the thread and closes the socket; writes the trace file when tracing. Idempotent. */
  close(): Promise<void> {
    this.#closedPromise ??= this.#close();
    return this.#closedPromise;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#writer.stop();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'closed') {
          clearTimeout(timer);
          resolve();
        }
      });
      this.#worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.#worker.terminate();
    this.#trace?.finish(this.#opts.debug);
  }

  /** What the trace holds so far (undefined unless tracing). */
  trace(): SenderTrace | undefined {
    return this.#trace?.read();
  }
}

type WorkerMessage =
  | { type: 'listening'; address: string; port: number; family: string }
  | { type: 'bind-error'; code: string; message: string }
  | { type: 'datagram'; data: Uint8Array; address: string; port: number; family: string; size: number }
  | { type: 'send-error'; message: string }
  | { type: 'closed' };
