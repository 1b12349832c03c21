import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import sharp from 'sharp';
import { GRADER_ROOT } from '../run/reference.ts';
import { loadRubric, validateRubric } from '../score/rubric.ts';
import { toGradescope } from './gradescope.ts';
import { ReportPictures, screenshotFileOf } from './pictures.ts';
import { PRAIRIELEARN_LIMIT_BYTES, toPrairieLearn } from './prairielearn.ts';

import type { GradeReport } from './types.ts';
import { readSeries, toJson } from './writers.ts';

const RECORDED = join(GRADER_ROOT, 'grader', 'testing', 'recorded');
const recorded = JSON.parse(await readFile(join(RECORDED, 'report.json'), 'utf8')) as GradeReport;
// Read as the writers read it: through its schema (a recorded grading's series.json).
const series = (await readSeries(join(RECORDED, 'series.json')))!;
const schema = JSON.parse(await readFile(join(GRADER_ROOT, 'grader', 'report', 'gradescope-results.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

function graded(o: Partial<GradeReport> = {}): GradeReport {
  const r: GradeReport = {
    ...recorded,
    screenshot: join(RECORDED, 'screenshot.png'),
    screenshotInfo: { ok: true, reportCopy: join(RECORDED, 'screenshot.png') },
    ...o,
  };
  if (!('notGraded' in o)) delete r.notGraded;
  return r;
}

const picturesOf = (r: GradeReport): ReportPictures => new ReportPictures(series, { lang: r.lang, screenshot: screenshotFileOf(r) });

describe('series.json', () => {
  it("a recorded grading's series reads back through its schema; a changed one is refused", async () => {
    expect(series.intervals.length).toBeGreaterThan(10);
    const dir = await mkdtemp(join(tmpdir(), 'avsock-series-'));
    try {
      await writeFile(join(dir, 'series.json'), JSON.stringify({ ...series, version: 2 }));
      expect(await readSeries(join(dir, 'series.json'))).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Gradescope results.json', () => {
  it("validates against the schema written from Gradescope's spec, Markdown outputs, extra_data, leaderboard", () => {
    const g = JSON.parse(toJson(toGradescope(graded()))) as Record<string, unknown> & { tests: Array<Record<string, unknown>> };
    expect(validate(g), JSON.stringify(validate.errors)).toBe(true);
    expect(g.output_format).toBe('md');
    const lost = g.tests.find((t) => t.status === 'failed')!;
    expect(lost.output).toMatch(/\*\*Measured:\*\*.*\n\n\*\*How to fix:\*\*/);
    expect(g.extra_data).toMatchObject({ server: expect.objectContaining({ fps: expect.any(Number) }) });
    expect(g.leaderboard).toEqual(recorded.leaderboard?.length ? recorded.leaderboard : undefined);
    // Nothing a student printed can turn into a link or HTML.
    expect(JSON.stringify(g)).not.toMatch(/\]\(|<a |<img /);
  });

  it("takes each item's visibility from the rubric and refuses an unknown one", async () => {
    const rubric = await loadRubric();
    const raw = JSON.parse(await readFile(join(GRADER_ROOT, 'grader', 'rubric.json'), 'utf8')) as { items: Array<Record<string, unknown>> };
    raw.items[0]!.visibility = 'after_published';
    const edited = validateRubric(raw);
    expect(edited.items[0]!.visibility).toBe('after_published');
    raw.items[0]!.visibility = 'later';
    expect(() => validateRubric(raw)).toThrow(/items\[0\]\.visibility must be one of visible, after_due_date, after_published, hidden/);
    const r = graded({ checks: recorded.checks.map((c, i) => (i === 0 ? { ...c, visibility: 'hidden' as const } : c)) });
    const g = toGradescope(r);
    expect(g.tests[0]!.visibility).toBe('hidden');
    expect(g.tests[1]!.visibility).toBe('visible');
    expect(validate(JSON.parse(toJson(g)))).toBe(true);
    expect(rubric.leaderboard.length).toBeGreaterThan(0);
  });

  it('a not-graded run says so and charges nothing', () => {
    const g = toGradescope(graded({ notGraded: 'client: the reference server did not start' }));
    expect(validate(JSON.parse(toJson(g)))).toBe(true);
    expect(g.score).toBe(0);
    expect(g.output).toMatch(/^\*\*Not graded: client: the reference server did not start/);
  });
});

describe('PrairieLearn results.json', () => {
  it('score 0–1, gradable, tests, the screenshot and the frame plot as PNG data URLs, under 1 MB', async () => {
    const r = graded();
    const pl = await toPrairieLearn(r, picturesOf(r));
    const size = Buffer.byteLength(toJson(pl));
    expect(size).toBeLessThan(PRAIRIELEARN_LIMIT_BYTES);
    expect(pl.gradable).toBe(true);
    expect(pl.score).toBeCloseTo(recorded.score / recorded.maxScore, 3);
    expect(pl.tests).toHaveLength(recorded.checks.length);
    expect(pl.images.map((i) => i.label)).toEqual([expect.stringMatching(/^Screenshot/), expect.stringMatching(/^Frame arrivals/)]);
    for (const img of pl.images) {
      expect(img.url).toMatch(/^data:image\/png;base64,/);
      const meta = await sharp(Buffer.from(img.url.slice(img.url.indexOf(',') + 1), 'base64')).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(300);
    }
  });

  it('a not-graded run is not gradable', async () => {
    const r = graded({ notGraded: 'the grader failed in its server phase: x' });
    const pl = await toPrairieLearn(r, picturesOf(r));
    expect(pl).toMatchObject({ gradable: false, score: 0, format_errors: ['the grader failed in its server phase: x'] });
  });
});
