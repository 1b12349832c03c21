/**
 * The probe's audio side, on its own thread so that parsing TCP (even a flood of empty pickles)
 * can never delay the main thread's timestamp of a video datagram. It connects to the server's
 * TCP port, decodes the wire's audio messages, and consumes them as a real-time player would
 * (playout.ts): while more than `maxAheadMs` of sound is queued it stops reading, so TCP
 * back-pressure reaches the server as it does from the tutorial's client.py (PyAudio's blocking
 * stream.write).
 *
 * Messages: main → worker `{ type: 'connect' }` (once main has sent its Hello: the tutorial's
 * client.py connects right after it, and the gap between the two moves what A/V a server shows),
 * `{ type: 'wire', wire }` (decided from a datagram), `{ type: 'stop' }`; worker → main `ready`
 * (loaded), `connected`, `connect-failed`, `wire`, `handshake`, `closed`, and last `recording`.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { monoMs } from './clock.ts';
import { PlayoutBuffer } from './playout.ts';
import { emptyPlayout, type AudioPlayoutRecord, type ProbeAudio } from './recording.ts';
import { probeWire, wireFromStream, type AudioDecoder, type HandshakeInfo, type ProbeWire, type Wire } from './wires/index.ts';

export interface AudioWorkerData {
  host: string;
  port: number;
  wire: Wire | 'auto';
  /** Keep retrying the connect this long after main says `connect`, ms. */
  connectTimeoutMs: number;
  maxAheadMs: number;
  maxKeptPcmBytes: number;
  maxMessages: number;
}

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'connected'; atMs: number }
  | { type: 'connect-failed'; problem: string }
  | { type: 'wire'; wire: Wire }
  | { type: 'handshake'; handshake: HandshakeInfo; atMs: number }
  | { type: 'closed'; atMs: number; error?: string }
  | { type: 'recording'; recording: AudioRecording };

export type MainToWorker = { type: 'connect' } | { type: 'wire'; wire: Wire } | { type: 'stop' };

export interface AudioRecording {
  audio: ProbeAudio[];
  playout: AudioPlayoutRecord;
  audioBytes: number;
  audioError?: string;
  eos: boolean;
  truncated: string[];
}

const MAX_HELD_BACK_ENTRIES = 10_000;

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('audio-worker.ts runs only as a worker thread');
  const d = workerData as AudioWorkerData;
  const post = (m: WorkerToMain): void => port.postMessage(m);

  let wire: ProbeWire | undefined;
  let decoder: AudioDecoder | undefined;
  let playout: PlayoutBuffer | undefined;
  const pending: Buffer[] = [];
  const rec: AudioRecording = { audio: [], playout: emptyPlayout(d.maxAheadMs), audioBytes: 0, eos: false, truncated: [] };
  let keptPcm = 0;
  let socket: net.Socket | undefined;
  let stopped = false;
  let pausedAt: number | undefined;
  let resumeTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let connectDeadlineMs = Number.POSITIVE_INFINITY;

  const truncate = (what: string): void => {
    if (!rec.truncated.includes(what)) rec.truncated.push(what);
  };

  const setWire = (name: Wire): void => {
    if (wire) return;
    wire = probeWire(name);
    decoder = wire.audio();
    // A wire with a fixed format can play at once; otherwise the handshake says (see handle()).
    if (wire.audioBytesPerSecond) playout = new PlayoutBuffer({ bytesPerSecond: wire.audioBytesPerSecond, maxAheadMs: d.maxAheadMs });
  };

  const resume = (): void => {
    resumeTimer = undefined;
    if (pausedAt === undefined || !socket) return;
    const now = monoMs();
    rec.playout.heldBackMs += now - pausedAt;
    if (rec.playout.heldBack.length < MAX_HELD_BACK_ENTRIES) rec.playout.heldBack.push([pausedAt, now]);
    pausedAt = undefined;
    socket.resume();
  };

  const holdBackIfFull = (): void => {
    if (!playout || !socket || pausedAt !== undefined) return;
    const now = monoMs();
    if (!playout.full(now)) return;
    socket.pause();
    pausedAt = now;
    resumeTimer = setTimeout(resume, Math.max(0, playout.resumeAtMs() - now));
  };

  const handle = (chunk: Buffer, at: number): void => {
    if (!decoder) return;
    const out = decoder.push(chunk);
    if (out.handshake && !playout) {
      const h = out.handshake;
      playout = new PlayoutBuffer({ bytesPerSecond: Math.max(1, h.sampleRate * h.channels * 2), maxAheadMs: d.maxAheadMs });
      post({ type: 'handshake', handshake: h, atMs: at });
    }
    for (const m of out.messages) {
      const bytes = m.pcm.length;
      rec.audioBytes += bytes;
      if (bytes === 0) {
        rec.playout.emptyMessages += 1;
        rec.playout.emptyFirstMs ??= at;
        continue;
      }
      const playMs = playout ? playout.push(at, bytes) : at;
      if (rec.audio.length >= d.maxMessages) {
        truncate('audio messages');
        continue;
      }
      const a: ProbeAudio = { arrivalMs: at, playMs, bytes, ...(m.ptsUs !== undefined ? { ptsUs: m.ptsUs } : {}) };
      if (keptPcm + bytes <= d.maxKeptPcmBytes) {
        a.pcm = m.pcm;
        keptPcm += bytes;
      } else truncate('pcm');
      rec.audio.push(a);
    }
    if (out.eos) rec.eos = true;
    if (out.error) {
      rec.audioError ??= out.error;
      socket?.destroy();
    }
  };

  const onData = (chunk: Buffer): void => {
    const at = monoMs();
    if (!wire) {
      pending.push(chunk);
      const all = Buffer.concat(pending);
      const decided = wireFromStream(all);
      if (!decided) return; // not enough bytes to tell yet
      pending.length = 0;
      setWire(decided);
      post({ type: 'wire', wire: decided });
      chunk = all;
    }
    handle(chunk, at);
    holdBackIfFull();
  };

  const connect = (): void => {
    if (stopped) return;
    const s = net.connect({ host: d.host, port: d.port });
    const giveUp = setTimeout(() => s.destroy(new Error('connect timed out')), 2000);
    s.once('connect', () => {
      clearTimeout(giveUp);
      if (stopped) return void s.destroy();
      socket = s;
      post({ type: 'connected', atMs: monoMs() });
      s.on('data', onData);
      s.on('close', () => {
        if (pausedAt !== undefined) resume();
        post({ type: 'closed', atMs: monoMs(), ...(rec.audioError ? { error: rec.audioError } : {}) });
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(giveUp);
      if (socket === s) {
        rec.audioError ??= `audio connection: ${e.message}`;
        return;
      }
      s.destroy();
      if (monoMs() + 150 >= connectDeadlineMs || stopped) {
        post({ type: 'connect-failed', problem: `nothing accepts TCP connections on ${d.host}:${d.port} (${e.code ?? e.message})` });
      } else retryTimer = setTimeout(connect, 150);
    });
  };

  port.on('message', (m: MainToWorker) => {
    if (m.type === 'connect') {
      connectDeadlineMs = monoMs() + d.connectTimeoutMs;
      return void connect();
    }
    if (m.type === 'wire') {
      if (!wire) {
        setWire(m.wire);
        if (pending.length) {
          const all = Buffer.concat(pending);
          pending.length = 0;
          handle(all, monoMs());
        }
      }
      return;
    }
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    if (resumeTimer) clearTimeout(resumeTimer);
    if (pausedAt !== undefined) {
      const now = monoMs();
      rec.playout.heldBackMs += now - pausedAt;
      if (rec.playout.heldBack.length < MAX_HELD_BACK_ENTRIES) rec.playout.heldBack.push([pausedAt, now]);
      pausedAt = undefined;
    }
    socket?.removeAllListeners('close');
    socket?.destroy();
    if (playout) {
      const s = playout.stats;
      rec.playout.aheadMaxMs = s.aheadMaxMs;
      rec.playout.underruns = s.underruns;
      rec.playout.underrunMs = s.underrunMs;
    }
    post({ type: 'recording', recording: rec });
    port.close();
  });

  if (d.wire !== 'auto') setWire(d.wire);
  post({ type: 'ready' });
}

main();
