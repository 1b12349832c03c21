/**
 * A real-time audio player's buffer, as the tutorial's client.py has one: it plays 44.1 kHz PCM at
 * the sound card's rate, and its blocking `stream.write` stops it reading the socket while the card
 * is full — so the server feels TCP back-pressure exactly when a real player would apply it.
 *
 * Pure: times come in, decisions go out. Message k starts playing at max(arrival_k, end_{k−1}) (a
 * player never skips sound and cannot play what has not arrived; it starts as soon as it has data);
 * the reader pauses once more than `maxAheadMs` of sound is queued and resumes when the queue has
 * drained to `resumeAheadMs`. A gap between the end of the queue and the next arrival is an underrun
 * (the listener hears silence the file does not have).
 */
export interface PlayoutOptions {
  /** PCM bytes per second of sound (44100 Hz × 2 ch × 2 B = 176400). */
  bytesPerSecond: number;
  /** Sound queued ahead of the speaker before the reader stops reading (default 1000 ms). */
  maxAheadMs?: number;
  /** Queue level at which reading resumes (default maxAheadMs − 250 ms, at least 0). */
  resumeAheadMs?: number;
  /** A gap shorter than this is scheduling noise, not an audible underrun (default 20 ms). */
  underrunMinMs?: number;
}

export interface PlayoutStats {
  /** Largest queue right after a message arrived, ms of sound. */
  aheadMaxMs: number;
  underruns: number;
  underrunMs: number;
  /** Sound queued so far, s. */
  soundSeconds: number;
}

export class PlayoutBuffer {
  readonly maxAheadMs: number;
  readonly resumeAheadMs: number;
  readonly #bps: number;
  readonly #underrunMinMs: number;
  #playEndMs = Number.NEGATIVE_INFINITY;
  #stats: PlayoutStats = { aheadMaxMs: 0, underruns: 0, underrunMs: 0, soundSeconds: 0 };

  constructor(opts: PlayoutOptions) {
    if (!(opts.bytesPerSecond > 0)) throw new RangeError(`PlayoutBuffer: bytesPerSecond must be > 0, got ${opts.bytesPerSecond}`);
    this.#bps = opts.bytesPerSecond;
    this.maxAheadMs = opts.maxAheadMs ?? 1000;
    this.resumeAheadMs = Math.max(0, opts.resumeAheadMs ?? this.maxAheadMs - 250);
    this.#underrunMinMs = opts.underrunMinMs ?? 20;
  }

  /** A message of `bytes` PCM arrived at `atMs`: when its first sample reaches the speaker. */
  push(atMs: number, bytes: number): number {
    if (bytes <= 0) return Math.max(atMs, this.#playEndMs); // pickle.dumps(b''): plays nothing, takes no time
    const started = Number.isFinite(this.#playEndMs);
    const gap = atMs - this.#playEndMs;
    if (started && gap >= this.#underrunMinMs) {
      this.#stats.underruns += 1;
      this.#stats.underrunMs += gap;
    }
    const playMs = Math.max(atMs, this.#playEndMs);
    this.#playEndMs = playMs + (bytes * 1000) / this.#bps;
    this.#stats.soundSeconds += bytes / this.#bps;
    this.#stats.aheadMaxMs = Math.max(this.#stats.aheadMaxMs, this.#playEndMs - atMs);
    return playMs;
  }

  /** Sound queued ahead of the speaker at `nowMs`. */
  aheadMs(nowMs: number): number {
    return Number.isFinite(this.#playEndMs) ? Math.max(0, this.#playEndMs - nowMs) : 0;
  }

  /** True when the reader must stop reading (the card is full). */
  full(nowMs: number): boolean {
    return this.aheadMs(nowMs) > this.maxAheadMs;
  }

  /** When the queue will have drained to resumeAheadMs: the time to read again. */
  resumeAtMs(): number {
    return this.#playEndMs - this.resumeAheadMs;
  }

  get stats(): PlayoutStats {
    return { ...this.#stats };
  }
}
