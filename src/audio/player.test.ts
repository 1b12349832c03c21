import { describe, expect, it } from 'vitest';
import { ManualClock } from '../timing/manual-clock.ts';
import { AudioPlayer } from './player.ts';
import type { AudioSink } from './sinks.ts';

const RATE = 44100;
const CH = 2;
const FRAMES = 1024;
const CHUNK_US = (FRAMES * 1e6) / RATE; // 23.22 ms
const ptsOf = (k: number): number => Math.round((k * FRAMES * 1e6) / RATE); // the contract's chunk PTS

/** A sink that accepts everything at once (like ALSA's null/file plugin) and records when. */
class RecordingSink implements AudioSink {
  readonly kind = 'null' as const;
  writes: Array<{ atMs: number; bytes: number; first: number }> = [];
  closed = false;
  constructor(private readonly clock: ManualClock) {}
  write(pcm: Buffer): void {
    this.writes.push({ atMs: this.clock.now(), bytes: pcm.length, first: pcm.readInt16LE(0) });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  get realWrites(): number {
    return this.writes.filter((w) => w.first !== 0).length;
  }
}

/** Chunk k filled with the value k+1 (never 0, so filler silence is told apart). */
function chunk(k: number, frames = FRAMES): { ptsUs: number; pcm: Buffer } {
  const pcm = Buffer.alloc(frames * CH * 2);
  for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(k + 1, i);
  return { ptsUs: ptsOf(k), pcm };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Moves the manual clock forward 1 ms at a time, letting the player's pump run between steps. */
async function run(clock: ManualClock, ms: number): Promise<void> {
  await flush();
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await flush();
  }
}

function setup(opts: Partial<ConstructorParameters<typeof AudioPlayer>[0]> = {}) {
  const clock = new ManualClock(1000);
  const sink = new RecordingSink(clock);
  const player = new AudioPlayer({ clock, sink, sampleRate: RATE, channels: CH, leadMs: 50, writeAheadMs: 30, ...opts });
  return { clock, sink, player };
}

describe('AudioPlayer', () => {
  it('starts the first chunk leadMs after the first enqueue, written writeAheadMs early', async () => {
    const { clock, sink, player } = setup();
    try {
      expect(player.currentPtsUs()).toBeUndefined();
      player.enqueue(chunk(0));
      await run(clock, 19);
      expect(sink.writes).toHaveLength(0); // due at 1050, written at 1020
      await run(clock, 1);
      expect(sink.writes).toHaveLength(1);
      expect(player.currentPtsUs()).toBeUndefined(); // written, not yet heard
      await run(clock, 30);
      expect(clock.now()).toBe(1050);
      expect(player.currentPtsUs()).toBe(0);
      await run(clock, 10);
      expect(player.currentPtsUs()).toBe(10_000);
    } finally {
      await player.close();
    }
  });

  it('paces by the clock, not by the sink: a sink that takes everything still gets real time', async () => {
    const { clock, sink, player } = setup();
    try {
      for (let k = 0; k < 50; k++) player.enqueue(chunk(k, FRAMES)); // 1.16 s of sound at once
      await run(clock, 250);
      // By 1250 ms, sound up to 200 ms of programme is due, plus the 30 ms write-ahead.
      const dueChunks = Math.ceil(230_000 / CHUNK_US);
      expect(sink.writes.length).toBeGreaterThanOrEqual(dueChunks - 1);
      expect(sink.writes.length).toBeLessThanOrEqual(dueChunks + 1);
      for (let k = 0; k < sink.writes.length; k++) {
        const dueAt = 1050 + ptsOf(k) / 1000;
        expect(sink.writes[k]!.atMs).toBeGreaterThanOrEqual(dueAt - 30 - 1);
        expect(sink.writes[k]!.atMs).toBeLessThanOrEqual(dueAt - 30 + 1);
      }
      expect(player.currentPtsUs()).toBe(200_000);
      expect(player.playedSeconds).toBeCloseTo(0.2, 2);
    } finally {
      await player.close();
    }
  });

  it('playedSeconds reaches the whole programme and drain() resolves once it is heard', async () => {
    const { clock, player } = setup();
    try {
      for (let k = 0; k < 10; k++) player.enqueue(chunk(k));
      let drained = false;
      void player.drain().then(() => (drained = true));
      await run(clock, 50 + 232 - 2);
      expect(drained).toBe(false);
      await run(clock, 4);
      expect(drained).toBe(true);
      expect(player.playedSeconds).toBeCloseTo((10 * FRAMES) / RATE, 4);
    } finally {
      await player.close();
    }
  });

  it('stalls the audio clock on underrun and resumes from the last sample when data returns', async () => {
    const { clock, player } = setup();
    try {
      player.enqueue(chunk(0));
      player.enqueue(chunk(1));
      await run(clock, 50 + 200);
      const stalled = player.currentPtsUs()!;
      expect(stalled).toBe(Math.round(ptsOf(2))); // end of chunk 1
      await run(clock, 100);
      expect(player.currentPtsUs()).toBe(stalled); // no sound, no time
      player.enqueue(chunk(2)); // contiguous, but late
      await run(clock, 30);
      expect(player.underruns).toBe(1);
      expect(player.currentPtsUs()).toBe(stalled); // resumes writeAheadMs after the data came back
      await run(clock, 10);
      expect(player.currentPtsUs()).toBe(stalled + 10_000);
    } finally {
      await player.close();
    }
  });

  it('schedules a chunk after a PTS jump by its PTS and fills the hole with silence', async () => {
    const { clock, sink, player } = setup();
    try {
      player.enqueue(chunk(0));
      player.enqueue(chunk(5)); // chunks 1–4 never came: a 93 ms hole
      await run(clock, 50 + 120);
      // The clock ran through the hole: 170 ms after the start it reads 120 ms.
      expect(player.currentPtsUs()).toBe(120_000);
      expect(player.silenceUs).toBeGreaterThan(4 * CHUNK_US - 100);
      const real = sink.writes.filter((w) => w.first !== 0);
      expect(real.map((w) => w.first)).toEqual([1, 6]);
      const writeAt = 1050 + ptsOf(5) / 1000 - 30;
      expect(real[1]!.atMs).toBeGreaterThanOrEqual(writeAt);
      expect(real[1]!.atMs).toBeLessThanOrEqual(writeAt + 1); // the test clock moves in 1 ms steps
      expect(player.playedSeconds).toBeCloseTo(CHUNK_US / 1e6 + (120_000 - ptsOf(5)) / 1e6, 3);
    } finally {
      await player.close();
    }
  });

  it('drops a chunk that comes after its time was already played', async () => {
    const { clock, player } = setup();
    try {
      player.enqueue(chunk(0));
      player.enqueue(chunk(1));
      player.enqueue(chunk(2));
      await run(clock, 100);
      player.enqueue(chunk(1)); // a duplicate of something already written
      await run(clock, 5);
      expect(player.lateChunks).toBe(1);
    } finally {
      await player.close();
    }
  });

  it('bounds its queue: far behind, the oldest chunks are dropped and counted', async () => {
    const { clock, player } = setup({ maxQueueMs: 200 });
    try {
      for (let k = 0; k < 50; k++) player.enqueue(chunk(k));
      expect(player.droppedChunks).toBeGreaterThan(35);
      expect(player.queuedMs).toBeLessThanOrEqual(200);
      await run(clock, 60);
      // The timeline skipped the dropped time instead of playing silence for it.
      expect(player.silenceUs).toBe(0);
    } finally {
      await player.close();
    }
  });

  it('close() stops at once, closes the sink, and ignores later chunks', async () => {
    const { clock, sink, player } = setup();
    for (let k = 0; k < 20; k++) player.enqueue(chunk(k));
    await run(clock, 60);
    const written = sink.writes.length;
    await player.close();
    expect(sink.closed).toBe(true);
    player.enqueue(chunk(21));
    await run(clock, 200);
    expect(sink.writes.length).toBe(written);
    await player.close(); // idempotent
  });
});
