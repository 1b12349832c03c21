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
import { monoMs } from './mono-clock.ts';
import { PlayoutBuffer } from './playout.ts';
import { emptyPlayout, type AudioPlayoutRecord, type HandshakeInfo, type ProbeAudio } from './recording.ts';
import { wireFor, wireFromStream, type StreamReader, type Wire, type WireName } from '../../src/wire/index.ts';

export interface AudioWorkerData {
  host: string;
  port: number;
  wire: WireName | 'auto';
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
  | { type: 'wire'; wire: WireName }
  | { type: 'handshake'; handshake: HandshakeInfo; atMs: number }
  | { type: 'closed'; atMs: number; error?: string }
  | { type: 'recording'; recording: AudioRecording };

export type MainToWorker = { type: 'connect' } | { type: 'wire'; wire: WireName } | { type: 'stop' };

export interface AudioRecording {
  audio: ProbeAudio[];
  playout: AudioPlayoutRecord;
  audioBytes: number;
  audioError?: string;
  eos: boolean;
  truncated: string[];
}

const MAX_HELD_BACK_ENTRIES = 10_000;
/** The largest audio message a hostile server can make the probe hold (a real client caps lower). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** One audio connection recorded as a real-time player would consume it; its methods are the worker's event handlers. */
class AudioRecorder {
  readonly #d: AudioWorkerData;
  readonly #post: (m: WorkerToMain) => void;
  readonly #rec: AudioRecording;
  readonly #pending: Buffer[] = [];
  #wire: Wire | undefined;
  #reader: StreamReader | undefined;
  #playout: PlayoutBuffer | undefined;
  #keptPcm = 0;
  #socket: net.Socket | undefined;
  #stopped = false;
  #pausedAt: number | undefined;
  #resumeTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #connectDeadlineMs = Number.POSITIVE_INFINITY;

  constructor(d: AudioWorkerData, post: (m: WorkerToMain) => void) {
    this.#d = d;
    this.#post = post;
    this.#rec = { audio: [], playout: emptyPlayout(d.maxAheadMs), audioBytes: 0, eos: false, truncated: [] };
    if (d.wire !== 'auto') this.#setWire(d.wire);
  }

  #truncate(what: string): void {
    if (!this.#rec.truncated.includes(what)) this.#rec.truncated.push(what);
  }

  #setWire(name: WireName): void {
    if (this.#wire) return;
    this.#wire = wireFor(name);
    this.#reader = this.#wire.newStreamReader({ maxMessageBytes: MAX_MESSAGE_BYTES });
    // A wire with a fixed format can play at once; otherwise the greeting says (see #handle()).
    if (this.#wire.fixedAudioFormat) this.#startPlayout(this.#wire.fixedAudioFormat);
  }

  #startPlayout(format: { sampleRate: number; channels: number }): void {
    this.#playout = new PlayoutBuffer({ bytesPerSecond: Math.max(1, format.sampleRate * format.channels * 2), maxAheadMs: this.#d.maxAheadMs });
  }

  /** Closes the current held-back interval (the socket was paused since #pausedAt). */
  #endHoldBack(): void {
    if (this.#pausedAt === undefined) return;
    const now = monoMs();
    this.#rec.playout.heldBackMs += now - this.#pausedAt;
    if (this.#rec.playout.heldBack.length < MAX_HELD_BACK_ENTRIES) this.#rec.playout.heldBack.push([this.#pausedAt, now]);
    this.#pausedAt = undefined;
  }

  readonly #resume = (): void => {
    this.#resumeTimer = undefined;
    if (this.#pausedAt === undefined || !this.#socket) return;
    this.#endHoldBack();
    this.#socket.resume();
  };

  #holdBackIfFull(): void {
    if (!this.#playout || !this.#socket || this.#pausedAt !== undefined) return;
    const now = monoMs();
    if (!this.#playout.full(now)) return;
    this.#socket.pause();
    this.#pausedAt = now;
    this.#resumeTimer = setTimeout(this.#resume, Math.max(0, this.#playout.resumeAtMs() - now));
  }

  #keep(m: { pcm: Buffer; ptsUs?: number }, at: number): void {
    const bytes = m.pcm.length;
    const rec = this.#rec;
    rec.audioBytes += bytes;
    if (bytes === 0) {
      rec.playout.emptyMessages += 1;
      rec.playout.emptyFirstMs ??= at;
      return;
    }
    const playMs = this.#playout ? this.#playout.push(at, bytes) : at;
    if (rec.audio.length >= this.#d.maxMessages) return this.#truncate('audio messages');
    const a: ProbeAudio = { arrivalMs: at, playMs, bytes, ...(m.ptsUs !== undefined ? { ptsUs: m.ptsUs } : {}) };
    if (this.#keptPcm + bytes <= this.#d.maxKeptPcmBytes) {
      a.pcm = m.pcm;
      this.#keptPcm += bytes;
    } else this.#truncate('pcm');
    rec.audio.push(a);
  }

  #handle(chunk: Buffer, at: number): void {
    if (!this.#reader || !this.#wire) return;
    const { events, error } = this.#reader.push(chunk);
    for (const event of events) {
      if (event.type === 'greeting') {
        if (this.#playout) continue;
        const { type: _type, ...handshake } = event.handshake;
        this.#startPlayout(handshake);
        this.#post({ type: 'handshake', handshake, atMs: at });
      } else if (event.type === 'audio') {
        // A wire without timestamps gives the sound's own length as its clock: not a sender's
        // clock, so the analysis must not read it as one.
        this.#keep(this.#wire.numbersFrames ? { pcm: event.pcm, ptsUs: event.ptsUs } : { pcm: event.pcm }, at);
      } else this.#rec.eos = true;
    }
    if (error) {
      this.#rec.audioError ??= error.message;
      this.#socket?.destroy();
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    const at = monoMs();
    if (!this.#wire) {
      this.#pending.push(chunk);
      const all = Buffer.concat(this.#pending);
      const decided = wireFromStream(all, MAX_MESSAGE_BYTES);
      if (!decided) return; // not enough bytes to tell yet
      this.#pending.length = 0;
      this.#setWire(decided);
      this.#post({ type: 'wire', wire: decided });
      chunk = all;
    }
    this.#handle(chunk, at);
    this.#holdBackIfFull();
  };

  readonly #connect = (): void => {
    if (this.#stopped) return;
    const d = this.#d;
    const s = net.connect({ host: d.host, port: d.port });
    const giveUp = setTimeout(() => s.destroy(new Error('connect timed out')), 2000);
    s.once('connect', () => {
      clearTimeout(giveUp);
      if (this.#stopped) return void s.destroy();
      this.#socket = s;
      this.#post({ type: 'connected', atMs: monoMs() });
      s.on('data', this.#onData);
      s.on('close', () => {
        if (this.#pausedAt !== undefined) this.#resume();
        this.#post({ type: 'closed', atMs: monoMs(), ...(this.#rec.audioError ? { error: this.#rec.audioError } : {}) });
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(giveUp);
      if (this.#socket === s) {
        this.#rec.audioError ??= `audio connection: ${e.message}`;
        return;
      }
      s.destroy();
      if (monoMs() + 150 >= this.#connectDeadlineMs || this.#stopped) {
        this.#post({ type: 'connect-failed', problem: `nothing accepts TCP connections on ${d.host}:${d.port} (${e.code ?? e.message})` });
      } else this.#retryTimer = setTimeout(this.#connect, 150);
    });
  };

  /** Main said which wire (decided from a datagram): decode what was held back meanwhile. */
  #wireFromMain(name: WireName): void {
    if (this.#wire) return;
    this.#setWire(name);
    if (this.#pending.length) {
      const all = Buffer.concat(this.#pending);
      this.#pending.length = 0;
      this.#handle(all, monoMs());
    }
  }

  /** Ends the recording and returns it; the socket is closed without reporting 'closed'. */
  #stop(): AudioRecording {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#resumeTimer) clearTimeout(this.#resumeTimer);
    this.#endHoldBack();
    this.#socket?.removeAllListeners('close');
    this.#socket?.destroy();
    if (this.#playout) {
      const s = this.#playout.stats;
      this.#rec.playout.aheadMaxMs = s.aheadMaxMs;
      this.#rec.playout.underruns = s.underruns;
      this.#rec.playout.underrunMs = s.underrunMs;
    }
    return this.#rec;
  }

  /** Handles one message from main; true once the recording has been handed over. */
  onMessage(m: MainToWorker): boolean {
    if (m.type === 'connect') {
      this.#connectDeadlineMs = monoMs() + this.#d.connectTimeoutMs;
      this.#connect();
      return false;
    }
    if (m.type === 'wire') {
      this.#wireFromMain(m.wire);
      return false;
    }
    this.#post({ type: 'recording', recording: this.#stop() });
    return true;
  }
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('audio-worker.ts runs only as a worker thread');
  const recorder = new AudioRecorder(workerData as AudioWorkerData, (m) => port.postMessage(m));
  port.on('message', (m: MainToWorker) => {
    if (recorder.onMessage(m)) port.close();
  });
  port.postMessage({ type: 'ready' } satisfies WorkerToMain);
}

main();
