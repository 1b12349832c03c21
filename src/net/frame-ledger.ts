/**
 * Frames as the path treated them, counted from the datagrams' fate, so the relay can say what a
 * receiver must have seen: frames delivered whole, frames that lost a piece, frames whose last piece
 * came after a newer frame was already whole, and — the figure a framed receiver reports — the
 * frames missing between the first and the last whole one (a receiver cannot see losses outside the
 * span it received, RFC 3550 A.3). A receiver that shows frames in order (the framed client's
 * reassembler) gives up a frame once a newer one is whole; so does this count.
 *
 * Pure: the relay tags each datagram with its frame on the way in (the wire knows how) and reports
 * its fate; memory is bounded by MAX_OPEN_FRAMES frames not yet settled.
 */

import type { FramePart } from '../wire/wire.ts';

export type { FramePart };

export interface FrameCounts {
  /** Frames the path was offered (a piece at least). */
  readonly frames: number;
  /** Frames all of whose pieces were delivered intact. */
  readonly whole: number;
  /** Of those, whole only after a newer frame was whole: an in-order receiver drops them. */
  readonly outOfOrder: number;
  /** Frames that lost at least one piece on the way. */
  readonly incomplete: number;
  /** Frames with a piece cut short (truncated). */
  readonly damaged: number;
  /** Frames an in-order receiver counts lost: ids missing between its first and its latest whole frame. */
  readonly lostInSpan: number;
}

interface Open {
  readonly count: number;
  readonly got: Set<number>;
  lostPiece: boolean;
  damaged: boolean;
}

/** Frames not yet settled that are remembered; beyond, the oldest is forgotten (counted incomplete). */
export const MAX_OPEN_FRAMES = 1024;

/** Serial-number difference a − b in (−2^31, 2^31] (RFC 1982), for u32 frame ids. */
function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class FrameLedger {
  readonly #open = new Map<number, Open>();
  #frames = 0;
  #whole = 0;
  #outOfOrder = 0;
  #incomplete = 0;
  #damaged = 0;
  #lostInSpan = 0;
  /** Latest frame id that was whole in order (the receiver's newest), once there is one. */
  #newest: number | undefined;

  counts(): FrameCounts {
    return {
      frames: this.#frames,
      whole: this.#whole,
      outOfOrder: this.#outOfOrder,
      incomplete: this.#incomplete,
      damaged: this.#damaged,
      lostInSpan: this.#lostInSpan,
    };
  }

  /** A piece was offered to the path. */
  offered(part: FramePart): void {
    this.#entry(part);
  }

  /** A piece was lost on the way. */
  lost(part: FramePart): void {
    const open = this.#entry(part);
    if (open && !open.lostPiece) {
      open.lostPiece = true;
      this.#incomplete += 1;
    }
  }

  /** A piece reached the receiver: `intact` false when it was cut short. */
  delivered(part: FramePart, intact: boolean): void {
    const open = this.#open.get(part.frameId);
    if (!open || open.lostPiece) return;
    if (!intact) {
      if (!open.damaged) this.#damaged += 1;
      open.damaged = true;
    }
    open.got.add(part.index);
    if (open.got.size < open.count || open.damaged) return;
    this.#open.delete(part.frameId);
    this.#whole += 1;
    if (this.#newest !== undefined && serialDiff(part.frameId, this.#newest) <= 0) {
      this.#outOfOrder += 1;
      return;
    }
    if (this.#newest !== undefined) this.#lostInSpan += serialDiff(part.frameId, this.#newest) - 1;
    this.#newest = part.frameId;
    // Older frames that lost a piece can never be whole: forget them. Older ones still in flight
    // stay, to be counted whole (and out of order) if their last piece comes.
    for (const [id, o] of [...this.#open]) if (o.lostPiece && serialDiff(id, part.frameId) < 0) this.#open.delete(id);
  }

  #entry(part: FramePart): Open | undefined {
    let open = this.#open.get(part.frameId);
    if (open) return open;
    if (this.#newest !== undefined && serialDiff(part.frameId, this.#newest) <= 0) {
      // A piece of a frame already settled: counted once, when first offered.
      return undefined;
    }
    this.#frames += 1;
    open = { count: part.count, got: new Set(), lostPiece: false, damaged: false };
    this.#open.set(part.frameId, open);
    if (this.#open.size > MAX_OPEN_FRAMES) {
      const oldest = this.#open.keys().next().value!;
      const forgotten = this.#open.get(oldest)!;
      if (!forgotten.lostPiece) this.#incomplete += 1;
      this.#open.delete(oldest);
    }
    return open;
  }
}
