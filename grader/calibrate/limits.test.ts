import { describe, expect, it } from 'vitest';
import { loadRubric } from '../score/rubric.ts';
import { calibrateRubric, MARGIN, type Baseline, type CalibratedFigure } from './limits.ts';

function baseline(figures: Partial<Record<CalibratedFigure, number>>): Baseline {
  return {
    measuredAt: '2026-12-07T00:00:00.000Z',
    machine: 'test',
    wire: 'framed',
    figures: {
      'server.fpsErrorPct': 0.02,
      'server.jitterP99Ms': 0.8,
      'server.driftMaxMs': 2,
      'server.freezeCount': 0,
      'server.avOffsetMs': 5,
      ...figures,
    },
  };
}

const rubric = await loadRubric();
const limitOf = (r: typeof rubric, id: string): unknown => {
  const it = r.items.find((i) => i.id === id);
  return it?.kind === 'measure' ? { min: it.min, max: it.max, maxAbs: it.maxAbs } : undefined;
};

describe('calibrateRubric', () => {
  it('keeps every limit a reference meets on this machine', () => {
    const c = calibrateRubric(rubric, baseline({}));
    expect(c.widened).toEqual([]);
    expect(c.tooDisturbed).toBeUndefined();
    expect(c.rubric.items).toEqual(rubric.items);
  });

  it('widens a limit the reference misses to its figure with the margin, and says from what to what', () => {
    const c = calibrateRubric(rubric, baseline({ 'server.jitterP99Ms': 6, 'server.fpsErrorPct': -1.2, 'server.avOffsetMs': 60, 'server.freezeCount': 1 }));
    expect(limitOf(c.rubric, 'server.jitter')).toEqual({ max: 6 * MARGIN, min: undefined, maxAbs: undefined });
    expect(limitOf(c.rubric, 'server.fps')).toEqual({ maxAbs: 1.8, min: undefined, max: undefined });
    // Only the side of the A/V window the reference missed moves.
    expect(limitOf(c.rubric, 'server.avsync')).toEqual({ min: -125, max: 90, maxAbs: undefined });
    // A count rounds up: one freeze of the reference allows two.
    expect(limitOf(c.rubric, 'server.freezes')).toEqual({ max: 2, min: undefined, maxAbs: undefined });
    expect(c.widened.map((w) => `${w.item}: ${w.from} → ${w.to}`)).toEqual([
      'server.fps: ±1 → ±1.80',
      'server.jitter: maximum 5 → maximum 9',
      'server.freezes: maximum 0 → maximum 2',
      'server.avsync: -125…45 → -125…90',
    ]);
    // The rubric it came from is left as it was.
    expect(limitOf(rubric, 'server.jitter')).toEqual({ max: 5, min: undefined, maxAbs: undefined });
  });

  it('calls a machine where the reference misses a limit by more than 3× too disturbed to judge timing', () => {
    const c = calibrateRubric(rubric, baseline({ 'server.jitterP99Ms': 16 }));
    expect(c.tooDisturbed).toMatch(/reference server itself measured server\.jitterP99Ms 16 against maximum 5 .*timing cannot be judged here/);
    expect(limitOf(c.rubric, 'server.jitter')).toEqual({ max: 5, min: undefined, maxAbs: undefined });
  });

  it('leaves an item alone when the reference did not measure its figure', () => {
    const c = calibrateRubric(rubric, baseline({ 'server.avOffsetMs': Number.NaN, 'server.jitterP99Ms': Number.NaN }));
    expect(c.widened).toEqual([]);
    expect(c.rubric.items).toEqual(rubric.items);
  });
});
