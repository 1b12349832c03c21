/**
 * report.html and gradebook.html in real Chromium: no console error, no request leaving the file,
 * every plot with one mark per point of its series, the screenshots decoded. Inputs are a recorded
 * grading run (grader/testing/recorded/) given to three students, one of them not graded — no
 * streaming. AVSOCK_UPDATE_DOCS=1 also writes the pictures of both pages shown in the READMEs.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import sharp from 'sharp';
import { CHROMIUM_ARGS, resolveChromium } from '../../../src/platform/tools.ts';
import { need } from '../../../test/support/requirements.ts';
import { collectGradebook } from '../../class/collect.ts';
import { loadRubric } from '../../score/rubric.ts';
import { tempDir } from '../../testing/fixtures.ts';
import { GRADER_ROOT } from '../../run/reference.ts';
import type { GradeReport } from '../types.ts';
import { toJson, writeHtmlReport } from '../writers.ts';

const noBrowser = await need('browser');
const UPDATE_DOCS = process.env.AVSOCK_UPDATE_DOCS === '1';
const RECORDED = join(GRADER_ROOT, 'grader', 'testing', 'recorded');
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** Three students from one recorded run: a pass, a fail with a reused screenshot, a not-graded run. */
async function classFolder(): Promise<string> {
  const dir = await tempDir('avsock-pages-');
  made.push(dir);
  const recorded = JSON.parse(await readFile(join(RECORDED, 'report.json'), 'utf8')) as GradeReport;
  const base: GradeReport = {
    ...recorded,
    notGraded: undefined,
    machine: recorded.machine ? { ...recorded.machine, disturbed: false, cpuBusyPct: 35, loadavgStart: 0.4 } : undefined,
  };
  delete base.notGraded;
  const shared = [{ file: 'screenshots/2026-11-25_03-23-17.png', hash: '0f0f0f0f0f0f0f0f' }];
  const students: Record<string, GradeReport> = {
    alice: { ...base, score: 10, passed: true, committedScreenshots: shared },
    bob: { ...base, score: 5.5, passed: false, sandboxed: false, committedScreenshots: shared, machine: recorded.machine },
    carol: { ...base, score: 0, passed: false, notGraded: 'client: the reference server did not start (exit 1)', committedScreenshots: [] },
  };
  for (const [name, report] of Object.entries(students)) {
    const folder = join(dir, `report-${name}`);
    await mkdir(folder, { recursive: true });
    await copyFile(join(RECORDED, 'series.json'), join(folder, 'series.json'));
    await copyFile(join(RECORDED, 'screenshot.png'), join(folder, 'screenshot.png'));
    const r = { ...report, screenshot: join(folder, 'screenshot.png'), screenshotInfo: { ok: true, reportCopy: join(folder, 'screenshot.png') } };
    await writeFile(join(folder, 'report.json'), toJson(r));
    await writeHtmlReport(r, join(folder, 'report.html'));
  }
  return dir;
}

interface Seen {
  errors: string[];
  requests: string[];
}

async function open(browser: Browser, file: string): Promise<{ page: Page; seen: Seen }> {
  const page = await browser.newPage();
  const seen: Seen = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && r.url() !== pathToFileURL(file).href) seen.requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 15_000 });
  return { page, seen };
}

/** Per plot: the points its series has (data-points) and the elements of its `series` mark. */
function plotMarks(page: Page): Promise<Array<{ id: string; points: number; marks: number; svg: boolean }>> {
  return page.$$eval('figure.plot', (figures) =>
    figures.map((f) => ({
      id: f.getAttribute('data-plot') ?? '',
      points: Number(f.getAttribute('data-points')),
      marks: f.querySelector('g.series')?.children.length ?? 0,
      svg: f.querySelector('svg') !== null,
    })),
  );
}

/** Every <img> decoded, with its natural size. */
function images(page: Page): Promise<Array<{ id: string; ok: boolean; width: number }>> {
  return page.$$eval('img', (imgs) =>
    Promise.all(
      imgs.map((img) =>
        img.decode().then(
          () => ({ id: img.id || img.alt, ok: true, width: img.naturalWidth }),
          () => ({ id: img.id || img.alt, ok: false, width: 0 }),
        ),
      ),
    ),
  );
}

describe.skipIf(noBrowser)('report.html and gradebook.html in Chromium', () => {
  it(
    'render offline: no console error, no request, one mark per series point, screenshots decode',
    async () => {
      const dir = await classFolder();
      const csv = join(dir, 'gradebook.csv');
      await collectGradebook(dir, csv, await loadRubric());
      const browser = await puppeteer.launch({
        executablePath: (await resolveChromium({ download: false })).path,
        headless: true,
        args: [...CHROMIUM_ARGS],
        defaultViewport: { width: 1000, height: 800 },
        timeout: 20_000,
      });
      try {
        const report = await open(browser, join(dir, 'report-bob', 'report.html'));
        const plots = await plotMarks(report.page);
        expect(plots.map((p) => p.id)).toEqual(['intervals', 'fps', 'av', 'audio', 'jitter']);
        for (const p of plots) {
          expect(p.svg, p.id).toBe(true);
          expect(p.points, p.id).toBeGreaterThan(0);
          expect(p.marks, p.id).toBe(p.points);
        }
        const shots = await images(report.page);
        expect(shots).toEqual([expect.objectContaining({ id: 'screenshot', ok: true })]);
        expect(shots[0]!.width).toBeGreaterThan(100);
        expect(await report.page.$eval('#machine', (e) => e.getAttribute('data-disturbed'))).toBe('true');
        expect(await report.page.$$eval('tr[data-item] .fix', (f) => f.length)).toBeGreaterThan(0);

        const book = await open(browser, join(dir, 'gradebook.html'));
        const rows = await book.page.$$eval('#students tbody tr', (trs) =>
          trs.map((tr) => ({
            student: tr.getAttribute('data-student'),
            flags: Array.from(tr.querySelectorAll('[data-flag]')).map((f) => f.getAttribute('data-flag')),
            link: tr.querySelector('a')?.getAttribute('href'),
          })),
        );
        expect(rows).toEqual([
          { student: 'alice', flags: ['screenshot-reused'], link: 'report-alice/report.html' },
          { student: 'bob', flags: ['disturbed', 'no-sandbox', 'screenshot-reused'], link: 'report-bob/report.html' },
          { student: 'carol', flags: ['not-graded'], link: 'report-carol/report.html' },
        ]);
        const bookPlots = await plotMarks(book.page);
        expect(bookPlots).toEqual([{ id: 'scores', points: 2, marks: 2, svg: true }]);
        const thumbs = await images(book.page);
        expect(thumbs.length).toBe(3);
        expect(thumbs.every((t) => t.ok && t.width > 0)).toBe(true);
        // Sorting by score, descending on the second click: alice first, carol (not graded) last.
        await book.page.click('#students th:nth-child(2)');
        await book.page.click('#students th:nth-child(2)');
        expect(await book.page.$$eval('#students tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-student')))).toEqual(['alice', 'bob', 'carol']);

        expect(report.seen).toEqual({ errors: [], requests: [] });
        expect(book.seen).toEqual({ errors: [], requests: [] });
        if (UPDATE_DOCS) {
          for (const [p, name] of [
            [report.page, 'report-html.png'],
            [book.page, 'gradebook-html.png'],
          ] as const) {
            const png = await p.screenshot({ fullPage: true });
            await sharp(png)
              .resize({ width: 800 })
              .png({ palette: true, quality: 90 })
              .toFile(join(GRADER_ROOT, 'docs', name));
          }
        }
      } finally {
        await browser.close();
      }
    },
    UPDATE_DOCS ? 180_000 : 60_000,
  );
});
