/**
 * The grader's own plain receiver ("probe client"): registers with a server like a client would,
 * and records when every datagram, frame and audio message arrived (performance.now()). It shows
 * nothing and plays nothing, so what it measures is the server, not a player.
 *
 * Registration, per wire:
 * - framed: TCP connect to the audio port → Handshake{token} → UDP Hello{token} now and every 1 s
 *   (registration and keepalive, docs/PROTOCOL.md).
 * - tutorial: UDP b'Hello' then TCP connect, in client.py's order. Hello is repeated every 1 s
 *   until the first frame arrives (a datagram sent before the server bound its port is lost).
 * - auto: both at once; a framed Handshake on TCP means framed, pickle bytes on TCP or a base64
 *   datagram means tutorial. A framed server must ignore the stray b'Hello' (it is garbage to it).
 *
 * Memory is capped: JPEGs and PCM are kept only up to the caps (for flash/beep detection); beyond
 * them only times and sizes are recorded, and `truncated` says so.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  FrameReassembler,
  SequenceTracker,
  StreamDeframer,
  decodeDatagram,
  encodeHello,
  type Handshake,
} from '../../src/protocol/framed/index.ts';
import { TUTORIAL_HELLO, TutorialAudioDeframer, decodeTutorialFrame } from '../../src/protocol/tutorial/index.ts';
import type { WireName as Wire } from '../../src/wire/index.ts';

export type { Wire };

export interface ProbeOptions {
  host: string;
  videoPort: number;
  audioPort: number;
  wire: Wire | 'auto';
  /** Recording length after the first frame, s. */
  seconds: number;
  /** How long to keep retrying the TCP connect while the server starts, ms (default 20000). */
  connectTimeoutMs?: number;
  /** How long to wait for the first frame after registering, ms (default 8000). */
  firstFrameTimeoutMs?: number;
  maxKeptJpegBytes?: number;
  maxKeptPcmBytes?: number;
  maxFrames?: number;
  signal?: AbortSignal;
  onEvent?: (msg: string) => void;
}

export interface ProbeFrame {
  arrivalMs: number;
  ptsUs?: number;
  frameId?: number;
  bytes: number;
  jpeg?: Buffer;
}

export interface ProbeAudio {
  arrivalMs: number;
  ptsUs?: number;
  bytes: number;
  pcm?: Buffer;
}

export interface ProbeRecording {
  wire: Wire | 'unknown';
  handshake?: Omit<Handshake, 'type'>;
  connected: boolean;
  registeredMs?: number;
  firstFrameMs?: number;
  endedMs: number;
  frames: ProbeFrame[];
  audio: ProbeAudio[];
  datagrams: number;
  datagramBytes: number;
  garbageDatagrams: number;
  firstGarbage?: string;
  audioBytes: number;
  audioError?: string;
  audioClosed: boolean;
  eos: boolean;
  /** framed: lost/duplicate/reordered datagrams (RFC 3550 A.3) and frames dropped incomplete. */
  datagramsLost: number;
  framesIncomplete: number;
  truncated: string[];
  /** Why the recording is empty or short, in one line. */
  problem?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connectWithRetry(host: string, port: number, deadlineMs: number, signal?: AbortSignal): Promise<net.Socket> {
  let lastError = 'no attempt';
  while (performance.now() < deadlineMs && !signal?.aborted) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host, port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error('connect timed out'));
        }, 2000);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.removeAllListeners('error');
          resolve(socket);
        });
        socket.once('error', (e) => {
          clearTimeout(timer);
          socket.destroy();
          reject(e);
        });
      });
    } catch (error) {
      lastError = (error as NodeJS.ErrnoException).code ?? String(error);
      await sleep(150);
    }
  }
  throw new Error(`nothing accepts TCP connections on ${host}:${port} (${lastError})`);
}

/** Registers, records for `seconds` after the first frame, and always closes both sockets. */
export async function probeServer(opts: ProbeOptions): Promise<ProbeRecording> {
  const maxJpeg = opts.maxKeptJpegBytes ?? 96 * 1024 * 1024;
  const maxPcm = opts.maxKeptPcmBytes ?? 32 * 1024 * 1024;
  const maxFrames = opts.maxFrames ?? 20_000;
  const log = opts.onEvent ?? (() => {});
  const rec: ProbeRecording = {
    wire: opts.wire === 'auto' ? 'unknown' : opts.wire,
    connected: false,
    endedMs: 0,
    frames: [],
    audio: [],
    datagrams: 0,
    datagramBytes: 0,
    garbageDatagrams: 0,
    audioBytes: 0,
    audioClosed: false,
    eos: false,
    datagramsLost: 0,
    framesIncomplete: 0,
    truncated: [],
  };
  let keptJpeg = 0;
  let keptPcm = 0;
  const truncate = (what: string): void => {
    if (!rec.truncated.includes(what)) rec.truncated.push(what);
  };

  const udp = dgram.createSocket('udp4');
  let tcp: net.Socket | undefined;
  let helloTimer: NodeJS.Timeout | undefined;
  const timers: NodeJS.Timeout[] = [];
  const reassembler = new FrameReassembler({ maxFramesInFlight: 8, maxFrameBytes: 16 * 1024 * 1024 });
  const seq = new SequenceTracker();
  const framed = new StreamDeframer({ maxMessageBytes: 16 * 1024 * 1024 });
  const tutorialAudio = new TutorialAudioDeframer({ maxMessageBytes: 16 * 1024 * 1024 });
  let firstFrame!: () => void;
  const firstFramePromise = new Promise<void>((r) => (firstFrame = r));
  let decided!: () => void;
  const decidedPromise = new Promise<void>((r) => (decided = r));
  if (rec.wire !== 'unknown') decided();
  const pendingTcp: Buffer[] = [];

  const addFrame = (f: ProbeFrame, jpeg: Buffer): void => {
    if (rec.frames.length >= maxFrames) return truncate('frames');
    if (keptJpeg + jpeg.length <= maxJpeg) {
      f.jpeg = jpeg;
      keptJpeg += jpeg.length;
    } else truncate('jpeg');
    rec.frames.push(f);
    if (rec.firstFrameMs === undefined) {
      rec.firstFrameMs = f.arrivalMs;
      firstFrame();
    }
  };
  const addAudio = (a: ProbeAudio, pcm: Buffer): void => {
    rec.audioBytes += pcm.length;
    if (keptPcm + pcm.length <= maxPcm) {
      a.pcm = pcm;
      keptPcm += pcm.length;
      rec.audio.push(a);
    } else {
      truncate('pcm');
      rec.audio.push(a);
    }
  };
  const garbage = (why: string): void => {
    rec.garbageDatagrams += 1;
    if (rec.firstGarbage === undefined) rec.firstGarbage = why.slice(0, 200);
  };

  const sendHello = (): void => {
    const hello = rec.wire === 'framed' && rec.handshake ? encodeHello(rec.handshake.token) : TUTORIAL_HELLO;
    udp.send(hello, opts.videoPort, opts.host, () => {});
  };

  const onDatagram = (msg: Buffer): void => {
    const at = performance.now();
    rec.datagrams += 1;
    rec.datagramBytes += msg.length;
    if (rec.wire === 'unknown') {
      // Only the tutorial server sends video before a framed registration: a base64 datagram decides.
      try {
        decodeTutorialFrame(msg);
        rec.wire = 'tutorial';
        decided();
      } catch {
        return garbage('datagram before the wire was known, and not a tutorial frame');
      }
    }
    if (rec.wire === 'tutorial') {
      try {
        const jpeg = decodeTutorialFrame(msg);
        if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return garbage('tutorial datagram is base64 but not a JPEG');
        addFrame({ arrivalMs: at, bytes: jpeg.length }, jpeg);
      } catch (error) {
        garbage(`tutorial datagram: ${(error as Error).message}`);
      }
      return;
    }
    try {
      const d = decodeDatagram(msg);
      if (d.type !== 'fragment') return garbage(`unexpected ${d.type} datagram from the server`);
      seq.observe(d.seq);
      const done = reassembler.push(d);
      if (done) addFrame({ arrivalMs: at, ptsUs: done.ptsUs, frameId: done.frameId, bytes: done.jpeg.length }, done.jpeg);
    } catch (error) {
      garbage(`framed datagram: ${(error as Error).message}`);
    }
  };

  const onTcp = (chunk: Buffer): void => {
    const at = performance.now();
    if (rec.wire === 'unknown') {
      pendingTcp.push(chunk);
      const all = Buffer.concat(pendingTcp);
      const probe = new StreamDeframer({ maxMessageBytes: 16 * 1024 * 1024 }).push(all);
      if (probe.messages[0]?.type === 'handshake') {
        rec.wire = 'framed';
      } else if (probe.error || all.length >= 64) {
        rec.wire = 'tutorial';
      } else return; // not enough bytes to tell yet
      pendingTcp.length = 0;
      decided();
      chunk = all;
    }
    if (rec.wire === 'framed') {
      const { messages, error } = framed.push(chunk);
      for (const m of messages) {
        if (m.type === 'handshake') {
          if (!rec.handshake) {
            const { type: _t, ...h } = m;
            rec.handshake = h;
            rec.registeredMs = at;
            sendHello();
          }
        } else if (m.type === 'audio') addAudio({ arrivalMs: at, ptsUs: m.ptsUs, bytes: m.pcm.length }, m.pcm);
        else if (m.type === 'eos') rec.eos = true;
      }
      if (error) {
        rec.audioError = `framed audio stream: ${error.message}`;
        tcp?.destroy();
      }
    } else {
      const { messages, error } = tutorialAudio.push(chunk);
      for (const pcm of messages) addAudio({ arrivalMs: at, bytes: pcm.length }, pcm);
      if (error) {
        rec.audioError = `tutorial audio stream: ${error.message}`;
        tcp?.destroy();
      }
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    udp.on('error', () => {}); // ICMP port unreachable before the server binds is normal
    udp.on('message', onDatagram);
    if (rec.wire !== 'framed') {
      sendHello(); // client.py sends Hello before it connects the audio socket
      rec.registeredMs = performance.now();
    }
    helloTimer = setInterval(() => {
      // framed: keepalive every 1 s; tutorial/auto: only until the first frame arrives.
      if (rec.wire === 'framed' ? rec.handshake : rec.firstFrameMs === undefined) sendHello();
    }, 1000);

    const connectDeadline = performance.now() + (opts.connectTimeoutMs ?? 20_000);
    try {
      tcp = await connectWithRetry(opts.host, opts.audioPort, connectDeadline, opts.signal);
      rec.connected = true;
      log(`probe: connected to tcp ${opts.host}:${opts.audioPort}`);
      tcp.on('data', onTcp);
      tcp.on('error', (e) => (rec.audioError ??= `audio connection: ${e.message}`));
      tcp.on('close', () => (rec.audioClosed = true));
    } catch (error) {
      rec.problem = (error as Error).message;
      if (rec.wire === 'framed') return rec;
    }

    const firstDeadline = (opts.firstFrameTimeoutMs ?? 8000);
    const timeout = (ms: number): Promise<'timeout'> =>
      new Promise((r) => {
        const t = setTimeout(() => r('timeout'), ms);
        timers.push(t);
      });
    const aborted = new Promise<'aborted'>((r) => opts.signal?.addEventListener('abort', () => r('aborted'), { once: true }));
    const first = await Promise.race([firstFramePromise.then(() => 'ok' as const), timeout(firstDeadline), aborted]);
    if (first !== 'ok') {
      if (rec.wire === 'unknown') decided();
      rec.problem ??=
        first === 'aborted'
          ? 'aborted'
          : rec.datagrams > 0
            ? `${rec.datagrams} datagrams arrived in ${firstDeadline / 1000} s but no complete frame (${rec.firstGarbage ?? 'incomplete frames'})`
            : `no video datagram arrived within ${firstDeadline / 1000} s of registering on udp ${opts.host}:${opts.videoPort}`;
      return rec;
    }
    await decidedPromise;
    await Promise.race([timeout(opts.seconds * 1000), aborted]);
    return rec;
  } finally {
    rec.endedMs = performance.now();
    if (helloTimer) clearInterval(helloTimer);
    for (const t of timers) clearTimeout(t);
    tcp?.destroy();
    await new Promise<void>((r) => {
      try {
        udp.close(() => r());
      } catch {
        r(); // never bound
      }
    });
    rec.datagramsLost = Math.max(0, seq.lost);
    rec.framesIncomplete = reassembler.stats.framesDropped;
    log(`probe: ${rec.frames.length} frames, ${(rec.audioBytes / 176400).toFixed(2)} s audio, wire ${rec.wire}`);
  }
}
