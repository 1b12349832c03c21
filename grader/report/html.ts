/**
 * report.html: one self-contained page per graded submission, written beside report.json — the
 * screenshot and the plots inline (a data: URL and SVG), no script, no request to any server, so it
 * reads the same opened from disk, as a downloaded CI artifact, on a phone and printed.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { fmt } from '../score/score.ts';
import { renderPlots, type RenderedPlot } from './plots.ts';
import type { ReportSeries } from './series.ts';
import type { GradeReport } from './types.ts';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The screenshot as a JPEG data: URL, at most 1280 px wide (a PNG of both windows is ~1 MB; this is ~100 kB). */
export async function screenshotDataUrl(file: string | undefined, width = 1280): Promise<string | undefined> {
  if (!file) return undefined;
  const png = await readFile(file).catch(() => undefined);
  if (!png) return undefined;
  const jpeg = await sharp(png).resize({ width, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer().catch(() => undefined);
  return jpeg ? `data:image/jpeg;base64,${jpeg.toString('base64')}` : undefined;
}

export const PAGE_CSS = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --muted: #555; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 960px; padding: 16px; color: #111; background: #fff; }
h1 { font-size: 1.5em; margin: 0.2em 0; } h2 { font-size: 1.15em; margin: 1.6em 0 0.4em; border-bottom: 1px solid #ddd; }
.muted { color: var(--muted); } .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.banner { padding: 10px 14px; border-radius: 6px; margin: 10px 0; border: 1px solid; }
.banner.bad { background: #fdecea; border-color: var(--bad); } .banner.warn { background: #fff8e1; border-color: var(--warn); } .banner.ok { background: #e8f5e9; border-color: var(--ok); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; vertical-align: top; padding: 5px 7px; border-bottom: 1px solid #e4e4e4; }
th { background: #f4f4f4; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.fix { display: block; margin-top: 3px; } code, pre { font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
figure { margin: 10px 0 18px; } figure svg { max-width: 100%; height: auto; } figcaption { color: var(--muted); font-size: 0.9em; }
img.shot { max-width: 100%; height: auto; border: 1px solid #ccc; }
@media (max-width: 600px) { body { padding: 8px; font-size: 14px; } th, td { padding: 4px; } }
@media print { body { max-width: none; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
`;

function plotFigure(p: RenderedPlot): string {
  const body = p.svg ?? `<p class="muted">Not drawn: ${esc(p.empty ?? 'no data')}.</p>`;
  return `<figure class="plot" data-plot="${p.id}" data-points="${p.points}"><h3>${esc(p.title)}</h3>${body}<figcaption>${esc(p.caption)}</figcaption></figure>`;
}

function statusCell(status: string): string {
  return status === 'pass' ? '<span class="ok">✔ pass</span>' : status === 'fail' ? '<span class="bad">✘ lost</span>' : '<span class="muted">– not measured</span>';
}

function rubricTable(r: GradeReport): string {
  const rows = r.checks.map((c) => {
    const fix = c.status === 'fail' && c.fix ? `<span class="fix"><b>Fix:</b> ${esc(c.fix)}</span>` : '';
    return `<tr data-item="${esc(c.id)}"><td>${statusCell(c.status)}</td><td>${esc(c.title)}</td><td class="num">${c.points} / ${c.maxPoints}</td><td>${esc(c.message)}${fix}</td></tr>`;
  });
  return `<table class="rubric"><thead><tr><th></th><th>Item</th><th>Points</th><th>What was measured, why a point was lost, how to fix it</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function headline(r: GradeReport): string {
  if (r.notGraded) return `<div class="banner warn" id="verdict"><b>Not graded:</b> ${esc(r.notGraded)}; grade again. The figures below are not the submission's score.</div>`;
  return r.passed
    ? `<div class="banner ok" id="verdict"><b>Passed:</b> ${r.score} of ${r.maxScore} points (pass mark ${r.passMark}).</div>`
    : `<div class="banner bad" id="verdict"><b>Below the pass mark:</b> ${r.score} of ${r.maxScore} points (pass mark ${r.passMark}).</div>`;
}

function machine(r: GradeReport): string {
  const m = r.machine;
  if (!m) return '<p class="muted">The server was not measured, so the machine\'s load was not recorded.</p>';
  const busy = m.cpuBusyPct === null ? 'unknown' : `${fmt(m.cpuBusyPct)} %`;
  const line = `Load ${fmt(m.loadavgStart)} → ${fmt(m.loadavgEnd)} on ${m.cores} cores, CPUs ${busy} busy during the server's window.`;
  return m.disturbed
    ? `<p class="warn" id="machine" data-disturbed="true"><b>Disturbed run:</b> ${esc(m.reason ?? '')}. ${esc(line)} Timing figures (fps, jitter, drift, freezes) may be the machine's rather than the submission's: grade again on a quiet machine before trusting a lost timing point.</p>`
    : `<p id="machine" data-disturbed="false">${esc(line)} Quiet enough: the timing figures are the submission's.</p>`;
}

export interface HtmlInput {
  report: GradeReport;
  series: ReportSeries | null;
  /** data: URL of the screenshot, if one was taken. */
  screenshot?: string;
}

export function reportHtml({ report: r, series, screenshot }: HtmlInput): string {
  const plots = series ? renderPlots(series) : [];
  const s = r.measured.server;
  const st = r.measured.stream;
  const parts: string[] = [];
  parts.push(`<h1>avsock grade: ${esc(r.notGraded ? 'not graded' : `${r.score} / ${r.maxScore}`)}</h1>`);
  parts.push(`<p class="muted">${esc(r.repo)}${r.commit ? ` @ <code>${esc(r.commit.slice(0, 12))}</code>` : ''} · ${esc(r.kind)}${r.wire ? ` · wire ${esc(r.wire)}` : ''} · ${esc(r.startedAt)} · ${r.durationS.toFixed(1)} s</p>`);
  parts.push(headline(r));
  parts.push('<h2>Rubric</h2>', rubricTable(r));
  if (s) {
    parts.push(`<p>Measured by the grader: <b>${fmt(s.fps)}</b> fps of ${fmt(s.sourceFps)} · jitter p99 <b>${fmt(s.jitterP99Ms)}</b> ms · drift ${fmt(s.driftMaxMs)} ms · A/V ${Number.isFinite(s.avOffsetMs) ? `${fmt(s.avOffsetMs)} ms` : 'not measured'} · ${fmt(s.audioSeconds)} s of sound${s.paced ? ' (paced)' : ' (not paced)'}.</p>`);
  }
  if (st) parts.push(`<p>Stream over the whole window: ${st.ok ? '<span class="ok">video and audio throughout</span>' : `<span class="bad">${esc(st.reason ?? 'incomplete')}</span>`}.</p>`);
  parts.push('<h2>Screenshot</h2>', screenshot ? `<img class="shot" id="screenshot" alt="Both windows, composed by the grader" src="${screenshot}">` : `<p class="muted" id="screenshot-missing">No screenshot: ${esc(r.screenshotInfo.reason ?? 'not taken')}.</p>`);
  parts.push('<h2>What the probe recorded</h2>');
  if (plots.length) parts.push(...plots.map(plotFigure));
  else parts.push(`<p class="muted">No frame arrived, so there is nothing to draw${r.problems.server ? `: ${esc(r.problems.server)}` : ''}.</p>`);
  parts.push('<h2>The machine</h2>', machine(r));
  if (r.serverOutput) parts.push("<h2>The server's last lines</h2>", `<pre id="server-output">${esc(r.serverOutput)}</pre>`);
  if (r.changes.length) parts.push('<h2>Changes the grader made to its copy</h2>', `<ul id="changes">${r.changes.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`);
  const problems = Object.entries(r.problems);
  if (problems.length) parts.push('<h2>Problems</h2>', `<ul>${problems.map(([k, v]) => `<li><b>${esc(k)}</b>: ${esc(v)}</li>`).join('')}</ul>`);
  parts.push(`<p class="muted">Phases: ${r.phases.map((p) => `${esc(p.name)} ${esc(p.status)} ${p.seconds.toFixed(1)} s`).join(' · ')}. The plots' data is in series.json beside this file.</p>`);
  return page(`avsock grade — ${r.notGraded ? 'not graded' : `${r.score}/${r.maxScore}`}`, parts.join('\n'));
}

/** A complete page: no script, no external resource (the CSP forbids loading any). */
export function page(title: string, body: string, script = ''): string {
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'${script ? "; script-src 'unsafe-inline'" : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${esc(title)}</title><style>${PAGE_CSS}</style></head>
<body>
${body}
${script ? `<script>${script}</script>` : ''}
</body></html>
`;
}
