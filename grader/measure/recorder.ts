/**
 * The probe process's main thread: it owns the UDP socket and does nothing else while recording,
 * so every video datagram is stamped the moment the event loop sees it. Audio lives in a worker
 * thread (audio-worker.ts). Registration per wire is in wires/; with wire 'auto' both
 * registrations go out at once and the first decisive bytes choose (a framed server ignores a
 * stray b'Hello').
 */
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import type { AudioRecording, AudioWorkerData, MainToWorker, WorkerToMain } from './audio-worker.ts';
import { monoMs } from './clock.ts';
import { emptyPlayout, type ProbeFrame, type ProbeRecording } from './recording.ts';
import { probeWire, wireFromDatagram, type ProbeWire, type VideoDecoder, type Wire } from './wires/index.ts';

/** Loading the audio worker (tsx compiles it on a cold cache) must not take longer than this, ms. */
const WORKER_START_BOUND_MS = 20_000;

export interface RecorderOptions {
  host: string;
  videoPort: number;
  audioPort: number;
  wire: Wire | 'auto';
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

export async function record(o: RecorderOptions, stop: StopSignal, log: (msg: string) => void): Promise<ProbeRecording> {
  const rec: ProbeRecording = {
    wire: o.wire === 'auto' ? 'unknown' : o.wire,
    connected: false,
    startedMs: monoMs(),
    endedMs: 0,
    aborted: false,
    frames: [],
    audio: [],
    playout: emptyPlayout(o.audioReadAheadMs),
    datagrams: 0,
    datagramBytes: 0,
    garbageDatagrams: 0,
    audioBytes: 0,
    audioClosed: false,
    eos: false,
    truncated: [],
  };
  let keptJpeg = 0;
  const truncate = (what: string): void => {
    if (!rec.truncated.includes(what)) rec.truncated.push(what);
  };
  const garbage = (why: string): void => {
    rec.garbageDatagrams += 1;
    rec.firstGarbage ??= why.slice(0, 200);
  };

  let wire: ProbeWire | undefined;
  let video: VideoDecoder | undefined;
  let worker: Worker | undefined;
  const toWorker = (m: MainToWorker): void => worker?.postMessage(m);
  const chooseWire = (name: Wire, from: 'datagram' | 'worker'): void => {
    if (wire) return;
    wire = probeWire(name);
    video = wire.video();
    rec.wire = name;
    if (from === 'datagram') toWorker({ type: 'wire', wire: name });
  };
  if (o.wire !== 'auto') chooseWire(o.wire, 'worker');

  let firstFrame!: () => void;
  const firstFramePromise = new Promise<void>((r) => (firstFrame = r));
  let connectSettled!: () => void;
  const connectPromise = new Promise<void>((r) => (connectSettled = r));
  let workerReady!: () => void;
  const readyPromise = new Promise<void>((r) => (workerReady = r));
  let recordingArrived!: (r: AudioRecording | undefined) => void;
  const recordingPromise = new Promise<AudioRecording | undefined>((r) => (recordingArrived = r));

  const family = o.host.includes(':') ? 'udp6' : 'udp4';
  const udp = dgram.createSocket({ type: family, recvBufferSize: 1 << 22 });
  const timers: NodeJS.Timeout[] = [];

  const addFrame = (f: ProbeFrame, jpeg: Buffer): void => {
    if (rec.frames.length >= o.maxFrames) return truncate('frames');
    if (keptJpeg + jpeg.length <= o.maxKeptJpegBytes) {
      f.jpeg = jpeg;
      keptJpeg += jpeg.length;
    } else truncate('jpeg');
    rec.frames.push(f);
    if (rec.firstFrameMs === undefined) {
      rec.firstFrameMs = f.arrivalMs;
      rec.plannedEndMs = f.arrivalMs + o.seconds * 1000;
      firstFrame();
    }
  };

  const onDatagram = (msg: Buffer): void => {
    const at = monoMs();
    rec.datagrams += 1;
    rec.datagramBytes += msg.length;
    if (!video) {
      const decided = wireFromDatagram(msg);
      if (!decided) return garbage('datagram before the wire was known, and not a tutorial frame');
      chooseWire(decided, 'datagram');
    }
    const out = video!.push(msg);
    if (out.garbage) return garbage(out.garbage);
    if (out.frame) {
      const { jpeg, ...rest } = out.frame;
      addFrame({ arrivalMs: at, bytes: jpeg.length, ...rest }, jpeg);
    }
  };

  const sendHello = (): void => {
    // Before the wire is known the tutorial's Hello goes out: a framed server ignores it.
    const hello = (wire ?? probeWire('tutorial')).hello(rec.handshake);
    if (hello) udp.send(hello, o.videoPort, o.host, () => {});
  };

  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    udp.on('error', () => {}); // ICMP port unreachable before the server binds is normal
    udp.on('message', onDatagram);
    timers.push(
      setInterval(() => {
        const keepalive = (wire?.registration ?? 'until-first-frame') === 'keepalive';
        if (keepalive ? rec.handshake : rec.firstFrameMs === undefined) sendHello();
      }, 1000),
    );

    const data: AudioWorkerData = {
      host: o.host,
      port: o.audioPort,
      wire: o.wire,
      connectTimeoutMs: o.connectTimeoutMs,
      maxAheadMs: o.audioReadAheadMs,
      maxKeptPcmBytes: o.maxKeptPcmBytes,
      maxMessages: 200_000,
    };
    worker = new Worker(new URL('./audio-worker-entry.mjs', import.meta.url), { workerData: data });
    worker.on('error', (e) => {
      rec.audioError ??= `audio thread: ${e.message}`;
      workerReady(); // the picture can still be measured
      connectSettled();
      recordingArrived(undefined);
    });
    worker.on('exit', () => recordingArrived(undefined));
    worker.on('message', (m: WorkerToMain) => {
      switch (m.type) {
        case 'ready':
          workerReady();
          break;
        case 'connected':
          rec.connected = true;
          rec.connectedMs = m.atMs;
          // The server is up now; a Hello sent while it was still starting may have been lost, and
          // the next retry could be up to 1 s away. client.py's Hello and connect come back to back
          // (and a tutorial server starts its sound on accept, its picture on Hello), so send one now.
          if (wire?.registration !== 'keepalive' && rec.firstFrameMs === undefined) {
            sendHello();
            rec.registeredMs = monoMs();
          }
          log(`probe: connected to tcp ${o.host}:${o.audioPort}`);
          connectSettled();
          break;
        case 'connect-failed':
          rec.problem ??= m.problem;
          connectSettled();
          break;
        case 'wire':
          chooseWire(m.wire, 'worker');
          break;
        case 'handshake':
          if (!rec.handshake) {
            rec.handshake = m.handshake;
            rec.registeredMs = m.atMs;
            sendHello();
          }
          break;
        case 'closed':
          rec.audioClosed = true;
          rec.audioClosedMs = m.atMs;
          if (m.error) rec.audioError ??= m.error;
          break;
        case 'recording':
          recordingArrived(m.recording);
          break;
      }
    });

    const stopped = stop.stopped.then(() => 'aborted' as const);
    // The worker loads first (hundreds of ms under tsx); then Hello and the TCP connect go out
    // back to back, as client.py sends them — a gap between them would shift the A/V a tutorial
    // server shows (it starts its sound on accept and its picture on Hello).
    const ready = await Promise.race([readyPromise.then(() => 'ok' as const), stopped, new Promise<'timeout'>((r) => timers.push(setTimeout(() => r('timeout'), WORKER_START_BOUND_MS)))]);
    if (ready !== 'ok') {
      rec.aborted = ready === 'aborted';
      rec.problem ??= ready === 'aborted' ? 'aborted' : `the probe's audio thread did not start within ${WORKER_START_BOUND_MS / 1000} s`;
      return rec;
    }
    if (wire?.registration !== 'keepalive') {
      sendHello(); // tutorial/auto: client.py sends Hello, then connects the audio socket
      rec.registeredMs = monoMs();
    }
    toWorker({ type: 'connect' });
    const timeout = (ms: number): Promise<'timeout'> =>
      new Promise((r) => {
        timers.push(setTimeout(() => r('timeout'), ms));
      });
    await Promise.race([connectPromise, stopped]);
    if (!rec.connected && wire?.registration === 'keepalive') return rec; // registration needs the TCP handshake: nothing more can come

    const firstWaitS = o.firstFrameTimeoutMs / 1000;
    const first = await Promise.race([firstFramePromise.then(() => 'ok' as const), timeout(o.firstFrameTimeoutMs), stopped]);
    if (first !== 'ok') {
      rec.aborted = first === 'aborted';
      rec.problem ??=
        first === 'aborted'
          ? 'aborted'
          : rec.datagrams > 0
            ? `${rec.datagrams} datagrams arrived in ${firstWaitS} s but no complete frame (${rec.firstGarbage ?? 'incomplete frames'})`
            : `no video datagram arrived within ${firstWaitS} s of registering on udp ${o.host}:${o.videoPort}`;
      return rec;
    }
    const end = await Promise.race([timeout(Math.max(0, rec.plannedEndMs! - monoMs())), stopped]);
    rec.aborted = end === 'aborted';
    return rec;
  } finally {
    // Nothing recorded after the end: the worker's hand-over below takes a few ms.
    udp.removeListener('message', onDatagram);
    rec.endedMs = monoMs();
    for (const t of timers) clearTimeout(t);
    if (worker) {
      toWorker({ type: 'stop' });
      const timer = setTimeout(() => recordingArrived(undefined), 3000);
      const audio = await recordingPromise;
      clearTimeout(timer);
      await worker.terminate();
      if (audio) {
        rec.audio = audio.audio.map((a) => (a.pcm ? { ...a, pcm: Buffer.from(a.pcm.buffer, a.pcm.byteOffset, a.pcm.byteLength) } : a));
        rec.playout = audio.playout;
        rec.audioBytes = audio.audioBytes;
        rec.eos = audio.eos;
        if (audio.audioError) rec.audioError ??= audio.audioError;
        for (const t of audio.truncated) truncate(t);
      } else rec.audioError ??= 'the audio thread ended without its recording';
    }
    await new Promise<void>((r) => {
      try {
        udp.close(() => r());
      } catch {
        r(); // never bound
      }
    });
    const loss = video?.loss();
    if (loss) {
      rec.datagramsLost = loss.datagramsLost;
      rec.framesIncomplete = loss.framesIncomplete;
    }
    log(`probe: ${rec.frames.length} frames, ${(rec.audioBytes / 176400).toFixed(2)} s audio, wire ${rec.wire}`);
  }
}
