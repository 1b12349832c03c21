import { describe, expect, it } from 'vitest';
import { FrameLedger } from './frame-ledger.ts';

const part = (frameId: number, index: number, count: number) => ({ frameId, index, count });

/** Offers frames of `count` pieces; `fate(frame, index)` says lost / damaged / delivered. */
function run(ledger: FrameLedger, frames: number[], count: number, fate: (f: number, i: number) => 'lost' | 'cut' | 'ok'): void {
  for (const f of frames) {
    for (let i = 0; i < count; i++) {
      const p = part(f, i, count);
      ledger.offered(p);
      const what = fate(f, i);
      if (what === 'lost') ledger.lost(p);
      else ledger.delivered(p, what === 'ok');
    }
  }
}

describe('FrameLedger', () => {
  it('counts whole and incomplete frames, and the lost ones between the first and last whole frame', () => {
    const ledger = new FrameLedger();
    // Frames 0 and 1 lose a piece before any whole frame (a receiver cannot see those), 2 is whole,
    // 3 and 5 lose a piece, 4 and 6 are whole, 7 loses one after the last whole frame.
    const lossy = new Set([0, 1, 3, 5, 7]);
    run(ledger, [0, 1, 2, 3, 4, 5, 6, 7], 3, (f, i) => (lossy.has(f) && i === 1 ? 'lost' : 'ok'));
    expect(ledger.counts()).toEqual({ frames: 8, whole: 3, outOfOrder: 0, incomplete: 5, damaged: 0, lostInSpan: 2 });
  });

  it('a frame completed after a newer one is whole but out of order, and lost to an in-order receiver', () => {
    const ledger = new FrameLedger();
    for (const f of [0, 1, 2]) for (let i = 0; i < 2; i++) ledger.offered(part(f, i, 2));
    ledger.delivered(part(0, 0, 2), true);
    ledger.delivered(part(0, 1, 2), true);
    ledger.delivered(part(1, 0, 2), true); // frame 1's last piece overtaken by frame 2
    ledger.delivered(part(2, 0, 2), true);
    ledger.delivered(part(2, 1, 2), true);
    ledger.delivered(part(1, 1, 2), true);
    expect(ledger.counts()).toEqual({ frames: 3, whole: 3, outOfOrder: 1, incomplete: 0, damaged: 0, lostInSpan: 1 });
  });

  it('a cut piece damages its frame; a duplicate piece changes nothing', () => {
    const ledger = new FrameLedger();
    run(ledger, [0, 1, 2], 2, (f, i) => (f === 1 && i === 0 ? 'cut' : 'ok'));
    ledger.delivered(part(2, 1, 2), true);
    expect(ledger.counts()).toEqual({ frames: 3, whole: 2, outOfOrder: 0, incomplete: 0, damaged: 1, lostInSpan: 1 });
  });

  it('ids wrap at 2^32', () => {
    const ledger = new FrameLedger();
    run(ledger, [0xffff_fffe, 0xffff_ffff, 0, 1], 1, (f) => (f === 0xffff_ffff ? 'lost' : 'ok'));
    expect(ledger.counts()).toMatchObject({ frames: 4, whole: 3, lostInSpan: 1 });
  });
});
