import { describe, it, expect } from 'vitest';
import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { GRADER_ROOT } from '../run/reference.ts';
import { tempDir } from '../testing/fixtures.ts';
import { ReportPictures } from './pictures.ts';
import type { PrairieLearnResults } from './prairielearn.ts';
import type { GradeReport } from './types.ts';
import { readSeries, writeReports } from './writers.ts';

const RECORDED = join(GRADER_ROOT, 'grader', 'testing', 'recorded');
const SHOT = join(RECORDED, 'screenshot.png');
const series = (await readSeries(join(RECORDED, 'series.json')))!;

describe('ReportPictures', () => {
  it('makes each picture once, whichever formats ask for it', async () => {
    const pictures = new ReportPictures(series, { screenshot: SHOT });
    const [plots, again] = await Promise.all([pictures.plots(), pictures.plots()]);
    expect(again).toBe(plots);
    expect(plots.map((p) => p.id)).toEqual(['intervals', 'fps', 'av', 'audio', 'jitter']);
    expect(await pictures.timelinePng()).toBe(await pictures.timelinePng());
    expect(await pictures.screenshotPng(800)).toBe(await pictures.screenshotPng(800));
    expect(await pictures.screenshotJpegUrl()).toMatch(/^data:image\/jpeg;base64,/);
  });

  it("rasterises the page's own frame-arrival plot, without its HTML legend", async () => {
    const pictures = new ReportPictures(series, { screenshot: SHOT });
    const intervals = (await pictures.plots()).find((p) => p.id === 'intervals')!;
    // The page shows a <figure> (legend + plot); the PNG is drawn from the <svg> inside it.
    expect(intervals.svg).toMatch(/^<figure/);
    expect(intervals.image).toMatch(/^<svg/);
    expect(intervals.image).not.toContain('<div');
    expect(intervals.svg).toContain(intervals.image);
    const meta = await sharp(await pictures.timelinePng()).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 720 });
    // A plot without a legend is the same <svg> on the page and in the PNG.
    const fps = (await pictures.plots()).find((p) => p.id === 'fps')!;
    expect(fps.image).toBe(fps.svg);
  });

  it('draws nothing, and fails on nothing, without a series or a readable screenshot', async () => {
    const pictures = new ReportPictures(null, { screenshot: join(RECORDED, 'no-such-screenshot.png') });
    expect(await pictures.plots()).toEqual([]);
    expect(await pictures.timelinePng()).toBeUndefined();
    expect(await pictures.screenshotJpegUrl()).toBeUndefined();
    expect(await pictures.screenshotPng(800)).toBeUndefined();
  });
});

describe('writeReports()', () => {
  it("writes the text reports and, from one set of pictures, report.html and PrairieLearn's file", async () => {
    const dir = await tempDir('avsock-reports-');
    try {
      await copyFile(join(RECORDED, 'series.json'), join(dir, 'series.json'));
      await copyFile(SHOT, join(dir, 'screenshot.png'));
      const recorded = JSON.parse(await readFile(join(RECORDED, 'report.json'), 'utf8')) as GradeReport;
      const report: GradeReport = {
        ...recorded,
        screenshot: join(dir, 'screenshot.png'),
        screenshotInfo: { ok: true, reportCopy: join(dir, 'screenshot.png') },
      };
      const files = {
        json: join(dir, 'report.json'),
        markdown: join(dir, 'report.md'),
        junit: join(dir, 'junit.xml'),
        gradescope: join(dir, 'gradescope', 'results.json'),
        html: join(dir, 'report.html'),
        prairielearn: join(dir, 'prairielearn', 'results.json'),
      };
      await writeReports(report, files);
      for (const file of [files.json, files.markdown, files.junit, files.gradescope]) expect((await stat(file)).size).toBeGreaterThan(0);
      const html = await readFile(files.html, 'utf8');
      expect(html.match(/<figure class="plot" data-plot="\w+"/g)).toHaveLength(5);
      expect(html).toMatch(/<img class="shot" id="screenshot" alt="[^"]*" src="data:image\/jpeg;base64,/);
      const pl = JSON.parse(await readFile(files.prairielearn, 'utf8')) as PrairieLearnResults;
      expect(pl.images.map((i) => i.url.slice(0, 22))).toEqual(['data:image/png;base64,', 'data:image/png;base64,']);
      // The PNG of the frame-arrival plot is the one drawn from the page's plot.
      const timeline = await new ReportPictures(series, {}).timelinePng();
      expect(pl.images[1]!.url).toBe(`data:image/png;base64,${timeline!.toString('base64')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
