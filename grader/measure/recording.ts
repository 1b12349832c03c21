/**
 * What the probe records: every frame and audio message with when it arrived (and, for sound, when
 * a real-time player starts playing it). Times are ms on the caller's performance.now() timeline
 * once probeServer() returns (the probe process stamps CLOCK_MONOTONIC; see clock.ts).
 */
import type { Handshake } from '../../src/protocol/framed/index.ts';
import type { WireName } from '../../src/wire/index.ts';

/** The server's greeting as recorded (the framed Handshake without its message type). */
export type HandshakeInfo = Omit<Handshake, 'type'>;

export interface ProbeFrame {
  arrivalMs: number;
  ptsUs?: number;
  frameId?: number;
  bytes: number;
  jpeg?: Buffer;
}

export interface ProbeAudio {
  arrivalMs: number;
  /** When the real-time player starts this message: max(arrival, end of the previous one). */
  playMs: number;
  ptsUs?: number;
  bytes: number;
  pcm?: Buffer;
}

/** How the server behaved under the probe's real-time audio consumer (playout.ts). */
export interface AudioPlayoutRecord {
  /** The player's read-ahead limit, ms. */
  maxAheadMs: number;
  aheadMaxMs: number;
  underruns: number;
  underrunMs: number;
  /** Total time the reader was paused because the player was full (the server was held back), ms. */
  heldBackMs: number;
  /** Pause intervals [from, to] in ms (capped at 10 000 entries). */
  heldBack: Array<[number, number]>;
  /** Messages that carried no PCM (the tutorial's pickle.dumps(b'') after the end of its file). */
  emptyMessages: number;
  emptyFirstMs?: number;
}

export interface ProbeRecording {
  wire: WireName | 'unknown';
  handshake?: HandshakeInfo;
  connected: boolean;
  /** When the probe started (its UDP socket bound), ms. */
  startedMs: number;
  registeredMs?: number;
  connectedMs?: number;
  firstFrameMs?: number;
  /** firstFrameMs + seconds: the end of the window the probe meant to record (also when it stopped early). */
  plannedEndMs?: number;
  endedMs: number;
  /** The recording was cut short by the caller's signal (e.g. the server exited). */
  aborted: boolean;
  frames: ProbeFrame[];
  audio: ProbeAudio[];
  playout: AudioPlayoutRecord;
  datagrams: number;
  datagramBytes: number;
  garbageDatagrams: number;
  firstGarbage?: string;
  audioBytes: number;
  audioError?: string;
  audioClosed: boolean;
  audioClosedMs?: number;
  eos: boolean;
  /** Loss counted by the wire (framed: RFC 3550 A.3); undefined when the wire cannot count it (tutorial). */
  datagramsLost?: number;
  framesIncomplete?: number;
  truncated: string[];
  /** Why the recording is empty or short, in one line. */
  problem?: string;
}

export function emptyPlayout(maxAheadMs: number): AudioPlayoutRecord {
  return { maxAheadMs, aheadMaxMs: 0, underruns: 0, underrunMs: 0, heldBackMs: 0, heldBack: [], emptyMessages: 0 };
}

/** A recording with nothing in it yet (the wire is 'unknown' until the server's bytes tell). */
export function emptyRecording(wire: WireName | 'auto', startedMs: number, audioReadAheadMs: number): ProbeRecording {
  return {
    wire: wire === 'auto' ? 'unknown' : wire,
    connected: false,
    startedMs,
    endedMs: 0,
    aborted: false,
    frames: [],
    audio: [],
    playout: emptyPlayout(audioReadAheadMs),
    datagrams: 0,
    datagramBytes: 0,
    garbageDatagrams: 0,
    audioBytes: 0,
    audioClosed: false,
    eos: false,
    truncated: [],
  };
}

/** Adds `offsetMs` to every time in the recording (probe clock → caller's clock). */
export function shiftRecording(rec: ProbeRecording, offsetMs: number): ProbeRecording {
  const s = (t: number | undefined): number | undefined => (t === undefined ? undefined : t + offsetMs);
  const opt = <K extends string>(k: K, t: number | undefined): Partial<Record<K, number>> =>
    (t === undefined ? {} : { [k]: s(t)! }) as Partial<Record<K, number>>;
  return {
    ...rec,
    startedMs: rec.startedMs + offsetMs,
    endedMs: rec.endedMs + offsetMs,
    ...opt('registeredMs', rec.registeredMs),
    ...opt('connectedMs', rec.connectedMs),
    ...opt('firstFrameMs', rec.firstFrameMs),
    ...opt('plannedEndMs', rec.plannedEndMs),
    ...opt('audioClosedMs', rec.audioClosedMs),
    frames: rec.frames.map((f) => ({ ...f, arrivalMs: f.arrivalMs + offsetMs })),
    audio: rec.audio.map((a) => ({ ...a, arrivalMs: a.arrivalMs + offsetMs, playMs: a.playMs + offsetMs })),
    playout: {
      ...rec.playout,
      heldBack: rec.playout.heldBack.map(([a, b]) => [a + offsetMs, b + offsetMs]),
      ...opt('emptyFirstMs', rec.playout.emptyFirstMs),
    },
  };
}
