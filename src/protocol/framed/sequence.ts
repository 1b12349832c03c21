/**
 * Loss / duplicate / reorder statistics from u32 datagram sequence numbers, after RFC 3550
 * Appendix A.1 (extended sequence numbers with a cycle count, MAX_DROPOUT, MAX_MISORDER and the
 * "two sequential packets after a big jump mean the source restarted" rule) and A.3
 * (lost = expected − received). Two changes for a 32-bit space and clearer figures:
 * - a window of the last REORDER_WINDOW sequence numbers tells a duplicate from a late packet, so
 *   `received` counts distinct datagrams and `lost` never goes negative because of duplicates;
 * - when the source restarts, the counts of the finished run are kept, not thrown away.
 */
import { DecodeError } from '../errors.ts';

const SEQ_MOD = 2 ** 32;
/** RFC 3550 A.1: a forward jump of ≥ this many is not believed until confirmed. */
export const MAX_DROPOUT = 3000;
/** RFC 3550 A.1: packets up to this far behind the highest are "late", not a restart. */
export const MAX_MISORDER = 100;
const REORDER_WINDOW = 1024; // ≥ MAX_MISORDER; power of two for the ring index

export class SequenceTracker {
  #started = false;
  #baseExt = 0; // extended seq of the first packet of this run
  #maxExt = 0; // highest extended seq seen in this run
  #received = 0; // distinct datagrams of this run
  #badSeq: number | undefined; // RFC 3550 bad_seq: the seq that would confirm a restart
  #seen = new Float64Array(REORDER_WINDOW).fill(-1);
  // Totals from finished runs (before a restart).
  #priorExpected = 0;
  #priorReceived = 0;
  #duplicates = 0;
  #reordered = 0;
  #restarts = 0;
  #ignored = 0;

  observe(seq: number): void {
    if (!Number.isInteger(seq) || seq < 0 || seq >= SEQ_MOD) {
      throw new DecodeError(`sequence number must be a u32, got ${seq}`);
    }
    if (!this.#started) {
      this.#init(seq);
      return;
    }
    const maxSeq = this.#maxExt % SEQ_MOD;
    const udelta = (seq - maxSeq + SEQ_MOD) % SEQ_MOD;
    if (udelta === 0) {
      this.#duplicates++;
    } else if (udelta < MAX_DROPOUT) {
      // In order, possibly with a gap (counted as lost until it turns up).
      this.#badSeq = undefined;
      this.#mark(this.#maxExt + udelta);
      this.#maxExt += udelta;
      this.#received++;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
      // A very large jump. RFC 3550 A.1: believe it only if the next packet follows it.
      if (this.#badSeq === seq) {
        this.#priorExpected += this.#runExpected();
        this.#priorReceived += this.#received;
        this.#restarts++;
        this.#init(seq);
      } else {
        this.#badSeq = (seq + 1) % SEQ_MOD;
        this.#ignored++;
      }
    } else {
      // Behind the highest by fewer than MAX_MISORDER: a duplicate or a late (reordered) packet.
      const ext = this.#maxExt - (SEQ_MOD - udelta);
      if (ext < this.#baseExt) {
        this.#ignored++; // from before the first packet we saw: outside this run's accounting
      } else if (this.#seen[ext % REORDER_WINDOW] === ext) {
        this.#duplicates++;
      } else {
        this.#mark(ext);
        this.#received++;
        this.#reordered++;
      }
    }
  }

  #init(seq: number): void {
    this.#started = true;
    this.#baseExt = seq;
    this.#maxExt = seq;
    this.#received = 1;
    this.#badSeq = undefined;
    this.#seen.fill(-1);
    this.#seen[seq % REORDER_WINDOW] = seq;
  }

  #mark(ext: number): void {
    this.#seen[ext % REORDER_WINDOW] = ext;
  }

  #runExpected(): number {
    return this.#started ? this.#maxExt - this.#baseExt + 1 : 0;
  }

  /** Datagrams expected so far: the span of sequence numbers seen (RFC 3550 A.3), summed over runs. */
  get expected(): number {
    return this.#priorExpected + this.#runExpected();
  }

  /** Distinct datagrams received (duplicates not counted). */
  get received(): number {
    return this.#priorReceived + this.#received;
  }

  /** expected − received (RFC 3550 A.3); ≥ 0 here because duplicates are not counted as received. */
  get lost(): number {
    return this.expected - this.received;
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /** Datagrams that arrived after a higher sequence number (and filled a gap). */
  get reordered(): number {
    return this.#reordered;
  }

  /** Times the source was judged to have restarted (RFC 3550 A.1 big jump confirmed). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Datagrams left out of the figures: an unconfirmed big jump, or older than the first packet. */
  get ignored(): number {
    return this.#ignored;
  }

  /** Highest sequence number seen (u32), or -1 before the first. */
  get highestSeq(): number {
    return this.#started ? this.#maxExt % SEQ_MOD : -1;
  }
}
