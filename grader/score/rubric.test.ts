import { describe, it, expect } from 'vitest';
import { loadRubric, validateRubric } from './rubric.ts';
import { scoreSubmission } from './score.ts';

const item = (o: Record<string, unknown>) => ({ id: 'x', title: 'X', kind: 'measure', points: 1, figure: 'server.fps', min: 1, fix: 'do it', ...o });

describe('validateRubric()', () => {
  it('accepts the shipped grader/rubric.json with the tutorial mandatory steps worth 2 points', async () => {
    const r = await loadRubric();
    const mandatory = r.items.filter((i) => i.id.startsWith('mandatory.')).reduce((s, i) => s + i.points, 0);
    expect(mandatory).toBe(2);
    expect(r.passMark).toBeLessThanOrEqual(r.maxScore);
  });

  it.each([
    [{ items: [item({ points: -1 })], passMark: 0 }, /items\[0\]\.points must be a number ≥ 0, got -1/],
    [{ items: [item({ figure: 'fps' })], passMark: 0 }, /items\[0\]\.figure must name a measured figure/],
    [{ items: [item({ min: undefined })], passMark: 0 }, /items\[0\] needs a threshold/],
    [{ items: [item({}), item({})], passMark: 0 }, /items\[1\]\.id is a duplicate/],
    [{ items: [item({ kind: 'other' })], passMark: 0 }, /items\[0\]\.kind must be "check" or "measure"/],
    [{ items: [item({ kind: 'check', checks: [] })], passMark: 0 }, /items\[0\]\.checks must be a non-empty array/],
    [{ items: [item({ fix: '' })], passMark: 0 }, /items\[0\]\.fix must say how to fix/],
    [{ items: [item({ colour: 1 })], passMark: 0 }, /items\[0\]\.colour is not a known key/],
    [{ items: [item({})], passMark: 5 }, /passMark must be a number from 0 to the total of the points \(1\)/],
    [{ items: [] }, /items must be a non-empty array/],
  ])('rejects %j with a one-line error naming the key', (raw, message) => {
    expect(() => validateRubric(raw, 'r.json')).toThrow(message);
    try {
      validateRubric(raw, 'r.json');
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message.startsWith('r.json: ')).toBe(true);
    }
  });
});

describe('scoreSubmission()', () => {
  const rubric = validateRubric({
    passMark: 2,
    items: [
      item({ id: 'fps', figure: 'server.fpsErrorPct', maxAbs: 1, min: undefined }),
      item({ id: 'paced', figure: 'server.paced', equals: true, min: undefined }),
      item({ id: 'client', figure: 'client.framesReceived', min: 30 }),
      { id: 'gi', title: 'gitignore', kind: 'check', points: 0.5, checks: ['gitignore.exists'], fix: 'add one' },
    ],
  });

  it('gives points within thresholds and says why and how to fix for every lost point', () => {
    const r = scoreSubmission(rubric, {
      figures: { server: { fpsErrorPct: -2.5, paced: true }, client: null },
      findings: [{ id: 'gitignore.exists', status: 'fail', message: 'no .gitignore', fix: 'git add .gitignore' }],
      problems: { client: 'the client did not start' },
    });
    expect(r.score).toBe(1);
    expect(r.passed).toBe(false);
    const byId = Object.fromEntries(r.items.map((i) => [i.id, i]));
    expect(byId.fps!.message).toBe('server.fpsErrorPct = -2.50 (limit ±1)');
    expect(byId.fps!.fix).toBe('do it');
    expect(byId.client!.message).toContain('the client did not start');
    expect(byId.gi!.message).toContain('no .gitignore');
    expect(byId.gi!.fix).toBe('git add .gitignore');
  });

  it('treats NaN as not measured and warn as pass', () => {
    const r = scoreSubmission(rubric, {
      figures: { server: { fpsErrorPct: Number.NaN, paced: true }, client: { framesReceived: 100 } },
      findings: [{ id: 'gitignore.exists', status: 'warn', message: 'meh' }],
    });
    expect(r.items.find((i) => i.id === 'fps')!.status).toBe('fail');
    expect(r.score).toBe(2.5);
    expect(r.passed).toBe(true);
  });
});
