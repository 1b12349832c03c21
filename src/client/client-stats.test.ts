import { describe, expect, it } from 'vitest';
import { parseJson } from '../json.ts';
import { ClientStats, ClientStatsFileSchema } from './client-stats.ts';

describe('ClientStats', () => {
  it('mean fps excludes the first second; lost frames come from frame-id gaps', () => {
    const s = new ClientStats('framed', 0);
    for (let n = 0; n < 90; n++) {
      if (n === 10) continue; // never arrived
      const t = n * 40; // 25 fps
      s.onFrameReceived(t, { ptsUs: n * 40_000, frameId: 1000 + n });
      s.onFrameShown(t, 0);
    }
    const j = s.toJSON(4000);
    expect(j.fps).toBeCloseTo(25, 1);
    expect(j.framesLost).toBe(1);
    expect(j.jitterMs).toBe(0);
  });

  it('tutorial jitter is zero for perfectly regular arrivals, and loss is unknown', () => {
    const s = new ClientStats('tutorial', 0);
    for (let n = 0; n < 50; n++) s.onFrameReceived(n * 33.3);
    const j = s.toJSON(2000);
    expect(j.jitterMs).toBeLessThan(0.01);
    expect(j.framesLost).toBeNull();
    expect(j.sourceFps).toBeCloseTo(30.03, 1);
  });

  it('the stats file the client writes reads back through the schema other programs use, on both wires', () => {
    for (const wire of ['framed', 'tutorial'] as const) {
      const s = new ClientStats(wire, 0);
      for (let n = 0; n < 40; n++) s.onFrameReceived(n * 33.3, wire === 'framed' ? { ptsUs: n * 33_333, frameId: n } : undefined);
      const j = s.toJSON(2000);
      const read = parseJson(JSON.stringify(j), ClientStatsFileSchema, 'client-stats.json');
      expect(read).toEqual({
        fps: j.fps,
        framesReceived: 40,
        audioSeconds: j.audioSeconds,
        framesLost: j.framesLost,
        framesLate: j.framesLate,
        jitterMs: j.jitterMs,
        avOffsetMs: j.avOffsetMs,
      });
    }
    expect(() => parseJson('{"fps": 30, "framesReceived": 1}', ClientStatsFileSchema, 'client-stats.json')).toThrow('client-stats.json audioSeconds: missing');
    // A client that received nothing still writes a file that reads back.
    const empty = new ClientStats('tutorial', 0).toJSON(1000);
    expect(parseJson(JSON.stringify(empty), ClientStatsFileSchema, 'client-stats.json')).toMatchObject({ framesReceived: 0 });
    // A figure that was NaN is null in JSON, and NaN again when read.
    expect(parseJson('{"fps": null, "framesReceived": 0, "audioSeconds": 0}', ClientStatsFileSchema, 'client-stats.json').fps).toBeNaN();
  });
});
