/**
 * Rebuilds JPEG frames from VideoFragments with bounded memory.
 *
 * Rules (docs/PROTOCOL.md "Loss, duplicates, reordering"):
 * - Frames are returned in increasing frameId order (RFC 1982 serial arithmetic, so u32 wrap is
 *   fine). Once frame N is returned, every incomplete frame older than N is dropped (counted
 *   in framesDropped) and later fragments of frames ≤ N are ignored (lateFragments, or
 *   duplicateFragments when they belong to a frame already returned).
 * - A frame missing a fragment is never returned.
 * - At most maxFramesInFlight incomplete frames and maxBytesInFlight payload bytes are held;
 *   the oldest incomplete frame is evicted (dropped) to make room.
 * - A fragment that contradicts its frame (another count or ptsUs), or breaks the limits, is
 *   rejected (rejectedFragments) and changes nothing.
 * - A frameId more than restartWindow frames behind the newest one means the sender started a
 *   new programme: state is reset (restarts) instead of ignoring it for 2^31 frames.
 */
import { MAX_FRAGMENTS, type VideoFragment } from './video-fragment.ts';

export interface ReassembledFrame {
  frameId: number;
  ptsUs: number;
  jpeg: Buffer;
}

export interface FrameReassemblerOptions {
  /** Incomplete frames held at once (default 8: ~260 ms at 30 fps). */
  maxFramesInFlight?: number;
  /** Largest frame accepted, in payload bytes (default 4096 × 1376 ≈ 5.6 MB, what 4096 fragments can carry). */
  maxFrameBytes?: number;
  /** Payload bytes held in incomplete frames at once (default 32 MiB). */
  maxBytesInFlight?: number;
  /** Frames behind the newest that mean "the sender restarted" (default 300). */
  restartWindow?: number;
}

export interface ReassemblerStats {
  framesCompleted: number;
  /** Incomplete frames given up (a newer frame completed, or evicted); never shown. */
  framesDropped: number;
  duplicateFragments: number;
  /** Fragments contradicting their frame or over the limits. */
  rejectedFragments: number;
  /** Fragments of frames already dropped or superseded. */
  lateFragments: number;
  restarts: number;
}

interface Pending {
  frameId: number;
  ptsUs: number;
  count: number;
  parts: Map<number, Buffer>;
  bytes: number;
}

/** Serial-number difference a − b in (−2^31, 2^31] (RFC 1982). */
function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

const RECENT_COMPLETED = 64;

export class FrameReassembler {
  readonly maxFramesInFlight: number;
  readonly maxFrameBytes: number;
  readonly maxBytesInFlight: number;
  readonly restartWindow: number;
  readonly #stats: ReassemblerStats = {
    framesCompleted: 0,
    framesDropped: 0,
    duplicateFragments: 0,
    rejectedFragments: 0,
    lateFragments: 0,
    restarts: 0,
  };
  #pending = new Map<number, Pending>();
  #bytesInFlight = 0;
  /** Newest frameId returned (or undefined before the first). */
  #lastCompleted: number | undefined;
  #recentCompleted: number[] = [];

  constructor(opts: FrameReassemblerOptions = {}) {
    this.maxFramesInFlight = opts.maxFramesInFlight ?? 8;
    this.maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAGMENTS * 1376;
    this.maxBytesInFlight = opts.maxBytesInFlight ?? 32 * 1024 * 1024;
    this.restartWindow = opts.restartWindow ?? 300;
    for (const [k, v] of Object.entries({
      maxFramesInFlight: this.maxFramesInFlight,
      maxFrameBytes: this.maxFrameBytes,
      maxBytesInFlight: this.maxBytesInFlight,
      restartWindow: this.restartWindow,
    })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`FrameReassembler ${k} must be an integer ≥ 1, got ${v}`);
    }
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<ReassemblerStats> {
    return { ...this.#stats };
  }

  /** Incomplete frames held now. */
  get framesInFlight(): number {
    return this.#pending.size;
  }

  /** Payload bytes held in incomplete frames now. */
  get bytesInFlight(): number {
    return this.#bytesInFlight;
  }

  push(f: VideoFragment): ReassembledFrame | undefined {
    const s = this.#stats;
    if (!isValidFragment(f)) {
      s.rejectedFragments++;
      return undefined;
    }
    if (this.#lastCompleted !== undefined) {
      const behind = serialDiff(this.#lastCompleted, f.frameId);
      if (behind >= 0) {
        if (behind > this.restartWindow) {
          this.#restart();
        } else {
          if (this.#recentCompleted.includes(f.frameId)) s.duplicateFragments++;
          else s.lateFragments++;
          return undefined;
        }
      }
    }

    let p = this.#pending.get(f.frameId);
    if (p === undefined) {
      if (f.payload.length > this.maxFrameBytes) {
        s.rejectedFragments++;
        return undefined;
      }
      if (f.count === 1) return this.#complete({ frameId: f.frameId, ptsUs: f.ptsUs, count: 1, parts: new Map([[0, f.payload]]), bytes: f.payload.length });
      if (this.#pending.size >= this.maxFramesInFlight) {
        const oldest = this.#oldestPending()!;
        if (serialDiff(f.frameId, oldest.frameId) < 0) {
          // Older than everything we hold and no room: this frame is the one to give up.
          s.lateFragments++;
          return undefined;
        }
        this.#drop(oldest);
      }
      p = { frameId: f.frameId, ptsUs: f.ptsUs, count: f.count, parts: new Map(), bytes: 0 };
      this.#pending.set(f.frameId, p);
    } else if (p.count !== f.count || p.ptsUs !== f.ptsUs) {
      s.rejectedFragments++;
      return undefined;
    }

    if (p.parts.has(f.index)) {
      s.duplicateFragments++;
      return undefined;
    }
    if (p.bytes + f.payload.length > this.maxFrameBytes) {
      s.rejectedFragments++;
      this.#drop(p);
      return undefined;
    }
    while (this.#bytesInFlight + f.payload.length > this.maxBytesInFlight) {
      const oldest = this.#oldestPending()!;
      this.#drop(oldest);
      if (oldest === p) {
        s.rejectedFragments++;
        return undefined;
      }
    }
    p.parts.set(f.index, f.payload);
    p.bytes += f.payload.length;
    this.#bytesInFlight += f.payload.length;
    if (p.parts.size < p.count) return undefined;
    this.#pending.delete(p.frameId);
    this.#bytesInFlight -= p.bytes;
    return this.#complete(p);
  }

  #complete(p: Pending): ReassembledFrame {
    const chunks: Buffer[] = [];
    for (let i = 0; i < p.count; i++) chunks.push(p.parts.get(i)!);
    // Always copy: fragments are views into datagram buffers the caller may reuse.
    const jpeg = Buffer.concat(chunks, p.bytes);
    for (const q of [...this.#pending.values()]) {
      if (serialDiff(q.frameId, p.frameId) < 0) this.#drop(q);
    }
    this.#lastCompleted = p.frameId;
    this.#recentCompleted.push(p.frameId);
    if (this.#recentCompleted.length > RECENT_COMPLETED) this.#recentCompleted.shift();
    this.#stats.framesCompleted++;
    return { frameId: p.frameId, ptsUs: p.ptsUs, jpeg };
  }

  #drop(p: Pending): void {
    this.#pending.delete(p.frameId);
    this.#bytesInFlight -= p.bytes;
    this.#stats.framesDropped++;
  }

  #oldestPending(): Pending | undefined {
    let oldest: Pending | undefined;
    for (const p of this.#pending.values()) {
      if (oldest === undefined || serialDiff(p.frameId, oldest.frameId) < 0) oldest = p;
    }
    return oldest;
  }

  #restart(): void {
    for (const p of [...this.#pending.values()]) this.#drop(p);
    this.#lastCompleted = undefined;
    this.#recentCompleted = [];
    this.#stats.restarts++;
  }
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
}

function isValidFragment(f: VideoFragment): boolean {
  return (
    isU32(f.frameId) &&
    typeof f.ptsUs === 'number' &&
    Number.isSafeInteger(f.ptsUs) &&
    f.ptsUs >= 0 &&
    Number.isInteger(f.count) &&
    f.count >= 1 &&
    f.count <= MAX_FRAGMENTS &&
    Number.isInteger(f.index) &&
    f.index >= 0 &&
    f.index < f.count &&
    Buffer.isBuffer(f.payload) &&
    f.payload.length > 0
  );
}
