import { describe, it, expect } from 'vitest';
import { allFigures, clientFigures, serverFigures, streamFigures } from '../testing/figure-fixtures.ts';
import { FIGURE_NAMES } from './figure-record.ts';
import { loadRubric, RubricError, validateRubric } from './rubric.ts';
import { scoreSubmission } from './score-submission.ts';

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
    [{ items: [item({ figure: 'fps' })], passMark: 0 }, /items\[0\]\.figure must name a measured figure \(did you mean server\.fps or client\.fps\?\)/],
    [{ items: [item({ figure: 'server.fpsErrorPtc' })], passMark: 0 }, /items\[0\]\.figure must name a measured figure .*got "server\.fpsErrorPtc"/],
    [{ items: [item({ min: undefined })], passMark: 0 }, /items\[0\] needs a threshold/],
    [{ items: [item({}), item({})], passMark: 0 }, /items\[1\]\.id is a duplicate/],
    [{ items: [item({ kind: 'other' })], passMark: 0 }, /items\[0\]\.kind must be "check" or "measure"/],
    [{ items: [item({ kind: 'check', checks: [] })], passMark: 0 }, /items\[0\]\.checks must be a non-empty array/],
    [{ items: [item({ fix: '' })], passMark: 0 }, /items\[0\]\.fix must say how to fix/],
    [{ items: [item({ fixPython: 3 })], passMark: 0 }, /items\[0\]\.fixPython must be a non-empty string/],
    [{ items: [item({ colour: 1 })], passMark: 0 }, /items\[0\]\.colour is not a known key/],
    [{ items: [item({})], passMark: 5 }, /passMark must be a number from 0 to the total of the points \(1\)/],
    [{ items: [] }, /items must be a non-empty array/],
  ])('rejects %j with a one-line error naming the key', (raw, message) => {
    expect(() => validateRubric(raw, 'r.json')).toThrow(message);
    try {
      validateRubric(raw, 'r.json');
    } catch (error) {
      expect(error).toBeInstanceOf(RubricError);
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message.startsWith('r.json: ')).toBe(true);
    }
  });

  it('every figure the shipped rubric scores is a known figure name', async () => {
    const r = await loadRubric();
    for (const it of r.items) if (it.kind === 'measure') expect(FIGURE_NAMES).toContain(it.figure);
  });
});

describe('scoreSubmission()', () => {
  const rubric = validateRubric({
    passMark: 2,
    items: [
      item({ id: 'fps', figure: 'server.fpsErrorPct', maxAbs: 1, min: undefined }),
      item({ id: 'paced', figure: 'server.paced', equals: true, min: undefined }),
      item({ id: 'client', figure: 'client.framesReceived', min: 30, fixPython: 'run client.py' }),
      { id: 'gi', title: 'gitignore', kind: 'check', points: 0.5, checks: ['gitignore.exists'], fix: 'add one' },
    ],
  });

  it('gives points within thresholds and says why and how to fix for every lost point', () => {
    const r = scoreSubmission(rubric, {
      figures: allFigures({ server: serverFigures({ fpsErrorPct: -2.5, fps: 29.25 }), client: null }),
      findings: [{ id: 'gitignore.exists', status: 'fail', message: 'no .gitignore', fix: 'git add .gitignore' }],
      problems: { client: 'the client did not start' },
    });
    expect(r.score).toBe(1);
    expect(r.passed).toBe(false);
    const byId = Object.fromEntries(r.items.map((i) => [i.id, i]));
    expect(byId.fps!.message).toBe('server.fpsErrorPct = -2.50 (limit ±1): sends 29.25 fps for a 30 fps file (2.50 % too slow)');
    expect(byId.fps!.fix).toBe('do it');
    expect(byId.client!.message).toContain('the client did not start');
    expect(byId.gi!.message).toContain('no .gitignore');
    expect(byId.gi!.fix).toBe('git add .gitignore');
  });

  it('says a server too fast is too fast, with the rate', () => {
    const r = scoreSubmission(rubric, { figures: allFigures({ server: serverFigures({ fps: 178, fpsErrorPct: 493 }) }) });
    expect(r.items[0]!.message).toMatch(/sends 178 fps for a 30 fps file \(no pacing\)/);
    expect(r.items[0]!.points).toBe(0);
  });

  it('speaks Python to a Python submission where the rubric has a fixPython line', () => {
    const r = scoreSubmission(rubric, { figures: allFigures({ client: clientFigures({ framesReceived: 0 }) }), language: 'python' });
    expect(r.items.find((i) => i.id === 'client')!.fix).toBe('run client.py');
  });

  it('treats NaN as not measured and warn as pass', () => {
    const r = scoreSubmission(rubric, {
      figures: allFigures({ server: serverFigures({ fpsErrorPct: Number.NaN }), client: clientFigures({ framesReceived: 100 }) }),
      findings: [{ id: 'gitignore.exists', status: 'warn', message: 'meh' }],
    });
    expect(r.items.find((i) => i.id === 'fps')!.status).toBe('fail');
    expect(r.score).toBe(2.5);
    expect(r.passed).toBe(true);
  });

  it('passes no server item on a stream that did not cover the window, and gives its reason', () => {
    const reason = 'server exited after 3.1 s (code 1): ZeroDivisionError: division by zero';
    const r = scoreSubmission(rubric, { figures: allFigures({ stream: streamFigures({ video: false, ok: false, reason }) }) });
    for (const id of ['fps', 'paced']) {
      const it = r.items.find((i) => i.id === id)!;
      expect(it.points, id).toBe(0);
      expect(it.message).toContain('ZeroDivisionError');
    }
  });

  it('gives 0 to the sound items when no sound came, while video items still count', () => {
    const r = scoreSubmission(rubric, { figures: allFigures({ stream: streamFigures({ audio: false, ok: false, reason: 'no sound arrived' }) }) });
    expect(r.items.find((i) => i.id === 'fps')!.points).toBe(1);
    expect(r.items.find((i) => i.id === 'paced')!).toMatchObject({ points: 0, message: 'server.paced: no sound arrived' });
  });
});

describe('scoreSubmission() on the stream item', () => {
  const rubric = validateRubric({
    passMark: 0,
    items: [
      item({ id: 'streams', figure: 'stream.ok', equals: true, min: undefined }),
      item({ id: 'fps', figure: 'server.fpsErrorPct', maxAbs: 1, min: undefined }),
    ],
  });

  it('gives the judgement reason for a stream that failed, and the rate of one that ran too fast before it ended', () => {
    const r = scoreSubmission(rubric, {
      figures: allFigures({
        server: serverFigures({ fps: 178, fpsErrorPct: 493 }),
        stream: streamFigures({ video: false, ok: false, reason: 'server exited after 3.4 s (code 1)' }),
      }),
    });
    expect(r.items[0]!.message).toBe('stream.ok = false (must be true): server exited after 3.4 s (code 1)');
    expect(r.items[1]!.message).toBe('server.fpsErrorPct: server exited after 3.4 s (code 1); while it ran it sends 178 fps for a 30 fps file (no pacing)');
  });
});
