import { describe, expect, it } from 'vitest';
import { allFigures, serverFigures, streamFigures } from '../testing/figure-fixtures.ts';
import { judgeStream, minAudioSeconds, unmeasurable } from './judge.ts';

/** Frame arrivals every 1000/fps ms from 1000 ms until `untilMs`. */
const frames = (untilMs: number, fps = 30, from = 1000): number[] =>
  Array.from({ length: Math.floor(((untilMs - from) * fps) / 1000) + 1 }, (_, i) => from + (i * 1000) / fps);

describe('judgeStream()', () => {
  it('passes video and audio that cover the whole window', () => {
    const s = judgeStream({ frameArrivalsMs: frames(9000), endedMs: 9000, windowS: 8, audioSeconds: 8 });
    expect(s).toMatchObject({ video: true, audio: true, ok: true });
    expect(s.reason).toBeUndefined();
  });

  it('fails a server that exited mid-window, quoting how and its last line', () => {
    const s = judgeStream({
      frameArrivalsMs: frames(4100),
      endedMs: 4200,
      windowS: 8,
      audioSeconds: 3,
      serverExit: { atMs: 4150, startedMs: 1050, how: 'code 1', tail: 'ZeroDivisionError: division by zero' },
    });
    expect(s.video).toBe(false);
    expect(s.ok).toBe(false);
    expect(s.reason).toBe('server exited after 3.1 s (code 1): ZeroDivisionError: division by zero; the last frame came 3.1 s into a 8 s window');
  });

  it('fails a stream that stops while the server stays up, and one that stalls longer than 2 s', () => {
    const stopped = judgeStream({ frameArrivalsMs: frames(5000), endedMs: 9000, windowS: 8, audioSeconds: 8 });
    expect(stopped.reason).toBe('the stream stopped 4.0 s into a 8 s window');
    const stall = [...frames(3000), ...frames(9000, 30, 5600)];
    const stalled = judgeStream({ frameArrivalsMs: stall, endedMs: 9000, windowS: 8, audioSeconds: 8 });
    expect(stalled.video).toBe(false);
    expect(stalled.reason).toMatch(/stalled for 2\.6 s at 2\.0 s/);
  });

  it('fails a stream that never started, with the probe reason', () => {
    const s = judgeStream({ frameArrivalsMs: [], endedMs: 9000, windowS: 8, audioSeconds: 0, probeProblem: 'no video datagram arrived' });
    expect(s).toMatchObject({ video: false, audio: false, ok: false, reason: 'the stream never started: no video datagram arrived' });
  });

  it('needs sound for "streams video and audio"', () => {
    const s = judgeStream({ frameArrivalsMs: frames(9000), endedMs: 9000, windowS: 8, audioSeconds: 0 });
    expect(s).toMatchObject({ video: true, audio: false, ok: false });
    expect(s.reason).toMatch(/no sound arrived/);
    expect(minAudioSeconds(8)).toBe(1);
  });
});

describe('unmeasurable()', () => {
  it('marks every server figure when the video did not cover the window', () => {
    const why = unmeasurable(allFigures({ stream: streamFigures({ video: false, ok: false, reason: 'gone' }) }));
    expect(why.get('server.fpsErrorPct')).toBe('gone');
    expect(why.get('server.freezeCount')).toBe('gone');
  });

  it('marks only the sound figures when there was no sound, and A/V when no marker pair was found', () => {
    const noSound = unmeasurable(allFigures({ stream: streamFigures({ audio: false, ok: false, reason: 'no sound arrived' }) }));
    expect(noSound.has('server.fpsErrorPct')).toBe(false);
    expect(noSound.get('server.paced')).toBe('no sound arrived');
    const noPairs = unmeasurable(
      allFigures({ server: serverFigures({ avSync: { ...serverFigures().avSync, pairs: 0, offsetMs: Number.NaN, maxAbsMs: Number.NaN } }) }),
    );
    expect(noPairs.get('server.avOffsetMs')).toMatch(/no flash\/beep pair/);
  });
});
