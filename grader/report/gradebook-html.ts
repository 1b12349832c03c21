/**
 * gradebook.html beside gradebook.csv (the class and collect commands): one row per student with the score,
 * pass/fail, a thumbnail of the grader's screenshot, the key figures, flags (not graded, disturbed
 * run, no sandbox, screenshot reused) and a link to the student's report.html; the score
 * distribution above. Self-contained: thumbnails are data: URLs, the distribution an inline SVG,
 * and the only script sorts the table — so it works opened from disk or as a downloaded artifact.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import * as Plot from '@observablehq/plot';
// The same one-module build of linkedom as the report's plots (plots.ts says why).
import { parseHTML } from 'linkedom/worker';
import sharp from 'sharp';
import { GRADER_ROOT } from '../run/reference.ts';
import { fmt } from '../score/score-submission.ts';
import { esc, page } from './html.ts';
import { committedScreenshotHashes, findReuse } from './phash.ts';
import type { GradeReport } from './types.ts';

export interface GradebookEntry {
  student: string;
  /** The student's report folder (report.json, report.html, screenshot.png). */
  folder?: string;
  report?: GradeReport;
  /** Why there is no report. */
  error?: string;
}

async function thumbnail(folder: string | undefined): Promise<string | undefined> {
  if (!folder) return undefined;
  const png = await readFile(join(folder, 'screenshot.png')).catch(() => undefined);
  if (!png) return undefined;
  const jpeg = await sharp(png)
    .resize({ width: 220, withoutEnlargement: true })
    .jpeg({ quality: 60 })
    .toBuffer()
    .catch(() => undefined);
  return jpeg ? `data:image/jpeg;base64,${jpeg.toString('base64')}` : undefined;
}

/** Scores of graded students in bins of `width` points (bins with nobody are left out). */
export function scoreBins(scores: readonly number[], width = 0.5): Array<{ from: number; to: number; count: number }> {
  const counts = new Map<number, number>();
  for (const s of scores) {
    const bin = Math.floor(s / width + 1e-9);
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([bin, count]) => ({ from: bin * width, to: (bin + 1) * width, count }));
}

function distribution(scores: readonly number[], maxScore: number, passMark: number): string {
  const bins = scoreBins(scores);
  if (!bins.length) return '<p class="muted">Nobody was graded.</p>';
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const svg = Plot.plot({
    document: document,
    width: 720,
    height: 200,
    x: { label: 'score', domain: [0, Math.max(maxScore, ...bins.map((b) => b.to))] },
    // Whole students only: as many ticks as the tallest bar, at most 5.
    y: { label: 'students', grid: true, tickFormat: 'd', ticks: Math.min(5, Math.max(...bins.map((b) => b.count))) },
    marks: [
      Plot.rectY(bins, { x1: 'from', x2: 'to', y: 'count', fill: '#4269d0', insetLeft: 1, insetRight: 1, className: 'series' }),
      Plot.ruleX([passMark], { stroke: '#c62828', strokeDasharray: '4,3' }),
      Plot.ruleY([0]),
    ],
  }) as unknown as { outerHTML: string };
  return `<figure class="plot" data-plot="scores" data-points="${bins.length}">${svg.outerHTML}<figcaption>Scores of the graded students; red dashed: the pass mark (${passMark}).</figcaption></figure>`;
}

/** A cell with a sort key (numbers sort as numbers; a missing figure sorts last). */
function cell(html: string, key: string | number | undefined, cls = ''): string {
  const k = key === undefined || (typeof key === 'number' && !Number.isFinite(key)) ? '' : String(key);
  return `<td${cls ? ` class="${cls}"` : ''} data-sort="${esc(k)}">${html}</td>`;
}

function num(v: number | undefined, unit = ''): string {
  return v === undefined || !Number.isFinite(v) ? '<span class="muted">–</span>' : `${fmt(v)}${unit}`;
}

const SORT_SCRIPT = `
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    th.closest('tr').querySelectorAll('th').forEach(function (o) { o.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
      if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
      var nx = Number(x), ny = Number(y);
      return dir * (isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});`;

export async function gradebookHtml(file: string, entries: readonly GradebookEntry[], templateRepo = GRADER_ROOT): Promise<string> {
  const template = await committedScreenshotHashes(templateRepo);
  const reuse = findReuse(
    entries.filter((e) => e.report?.committedScreenshots?.length).map((e) => ({ student: e.student, hashes: e.report!.committedScreenshots! })),
    template,
  );
  const graded = entries.filter((e) => e.report && !e.report.notGraded);
  const maxScore = Math.max(0, ...entries.map((e) => e.report?.maxScore ?? 0));
  const passMark = entries.find((e) => e.report)?.report?.passMark ?? 0;
  const rows: string[] = [];
  for (const e of entries) {
    const r = e.report;
    const html = e.folder ? join(e.folder, 'report.html') : undefined;
    const link = html && existsSync(html) ? relative(dirname(file), html).split(sep).join('/') : undefined;
    const name = link ? `<a href="${esc(encodeURI(link))}">${esc(e.student)}</a>` : esc(e.student);
    const thumb = await thumbnail(e.folder);
    const flags: string[] = [];
    if (!r) flags.push(`<span class="bad flag">no report: ${esc(e.error ?? 'unknown')}</span>`);
    if (r?.notGraded) flags.push(`<span class="warn flag" data-flag="not-graded">not graded: ${esc(r.notGraded)}</span>`);
    if (r?.machine?.disturbed) flags.push(`<span class="warn flag" data-flag="disturbed">disturbed run</span>`);
    if (r && r.sandboxed === false) flags.push(`<span class="flag" data-flag="no-sandbox">no sandbox</span>`);
    const reused = reuse.get(e.student);
    if (reused) flags.push(`<span class="warn flag" data-flag="screenshot-reused">screenshot reused: ${esc(reused)}</span>`);
    const s = r?.measured.server;
    const c = r?.measured.client;
    const verdict = !r
      ? '<span class="bad">no report</span>'
      : r.notGraded
        ? '<span class="warn">not graded</span>'
        : r.passed
          ? '<span class="ok">pass</span>'
          : '<span class="bad">fail</span>';
    rows.push(
      `<tr data-student="${esc(e.student)}">` +
        cell(name, e.student) +
        cell(r ? `${r.score} / ${r.maxScore}` : '–', r && !r.notGraded ? r.score : undefined, 'num') +
        cell(verdict, !r ? 'no report' : r.notGraded ? 'not graded' : r.passed ? 'pass' : 'fail') +
        cell(thumb ? `<img class="thumb" alt="screenshot of ${esc(e.student)}" src="${thumb}">` : '<span class="muted">none</span>', thumb ? 1 : 0) +
        cell(num(s?.fpsErrorPct, ' %'), s?.fpsErrorPct, 'num') +
        cell(num(s?.jitterP99Ms, ' ms'), s?.jitterP99Ms, 'num') +
        cell(num(s?.avOffsetMs, ' ms'), s?.avOffsetMs, 'num') +
        cell(num(c?.fps), c?.fps, 'num') +
        cell(flags.join(' '), flags.length) +
        '</tr>',
    );
  }
  const passed = graded.filter((e) => e.report!.passed).length;
  const notGraded = entries.filter((e) => e.report?.notGraded).length;
  const body = [
    `<h1>avsock gradebook</h1>`,
    `<p id="summary">${entries.length} students · ${graded.length} graded · <span class="ok">${passed} passed</span>${notGraded ? ` · <span class="warn">${notGraded} not graded: grade them again with <code>--regrade-not-graded</code></span>` : ''}. Click a column to sort; a name opens that student's report.</p>`,
    '<h2>Score distribution</h2>',
    distribution(
      graded.map((e) => e.report!.score),
      maxScore,
      passMark,
    ),
    '<h2>Students</h2>',
    '<div style="overflow-x:auto"><table class="sortable" id="students"><thead><tr><th>Student</th><th>Score</th><th>Result</th><th>Screenshot</th><th>fps error</th><th>jitter p99</th><th>A/V</th><th>client fps</th><th>Flags</th></tr></thead><tbody>',
    rows.join('\n'),
    '</tbody></table></div>',
    "<p class=\"muted\">fps error: the server's rate against the clip's; jitter p99 and A/V as measured by the grader's probe; client fps: what the student's client showed. Flags are for you, not deductions: a disturbed run's timing may be the machine's; a reused screenshot matches another student's or the template's committed one.</p>",
    '<style>th { cursor: pointer; user-select: none; } th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; } img.thumb { width: 110px; height: auto; display: block; } .flag { display: inline-block; margin: 1px 0; font-size: 0.85em; }</style>',
  ].join('\n');
  return page('avsock gradebook', body, SORT_SCRIPT);
}

export async function writeGradebookHtml(file: string, entries: readonly GradebookEntry[], templateRepo?: string): Promise<void> {
  await writeFile(file, await gradebookHtml(file, entries, templateRepo));
}
