/**
 * report.html: one self-contained page per graded submission, written beside report.json — the
 * screenshot and the plots inline (a data: URL and SVG), no script, no request to any server, so it
 * reads the same opened from disk, as a downloaded CI artifact, on a phone and printed.
 */
import { fmt } from '../score/score-submission.ts';
import type { RenderedPlot } from './plots.ts';
import type { GradeReport } from './types.ts';
import { translator } from '../i18n/messages.ts';

type T = ReturnType<typeof translator>;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
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

function plotFigure(p: RenderedPlot, t: T): string {
  const body = p.svg ?? `<p class="muted">${esc(t('report.notDrawn', { reason: p.empty ?? '' }))}</p>`;
  return `<figure class="plot" data-plot="${p.id}" data-points="${p.points}"><h3>${esc(p.title)}</h3>${body}<figcaption>${esc(p.caption)}</figcaption></figure>`;
}

function statusCell(status: string, t: T): string {
  return status === 'pass'
    ? `<span class="ok">✔ ${t('status.pass')}</span>`
    : status === 'fail'
      ? `<span class="bad">✘ ${t('status.lost')}</span>`
      : `<span class="muted">– ${t('status.notMeasured')}</span>`;
}

function rubricTable(r: GradeReport, t: T): string {
  const rows = r.checks.map((c) => {
    const fix = c.status === 'fail' && c.fix ? `<span class="fix"><b>${t('report.fix')}</b> ${esc(c.fix)}</span>` : '';
    return `<tr data-item="${esc(c.id)}"><td>${statusCell(c.status, t)}</td><td>${esc(c.title)}</td><td class="num">${c.points} / ${c.maxPoints}</td><td>${esc(c.message)}${fix}</td></tr>`;
  });
  return `<table class="rubric"><thead><tr><th></th><th>${t('report.item')}</th><th>${t('report.points')}</th><th>${t('report.details')}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function headline(r: GradeReport, t: T): string {
  if (r.notGraded) return `<div class="banner warn" id="verdict">${esc(t('report.notGradedBanner', { reason: r.notGraded }))}</div>`;
  const vars = { score: r.score, max: r.maxScore, pass: r.passMark };
  return r.passed
    ? `<div class="banner ok" id="verdict">${esc(t('report.passedBanner', vars))}</div>`
    : `<div class="banner bad" id="verdict">${esc(t('report.failedBanner', vars))}</div>`;
}

function machine(r: GradeReport, t: T): string {
  const m = r.machine;
  if (!m) return `<p class="muted">${esc(t('report.noMachine'))}</p>`;
  const busy = m.cpuBusyPct === null ? '?' : `${fmt(m.cpuBusyPct)} %`;
  const line = t('report.machineLine', { start: fmt(m.loadavgStart), end: fmt(m.loadavgEnd), cores: m.cores, busy });
  return m.disturbed
    ? `<p class="warn" id="machine" data-disturbed="true">${esc(t('report.disturbed', { reason: m.reason ?? '' }))} ${esc(line)}</p>`
    : `<p id="machine" data-disturbed="false">${esc(line)} ${esc(t('report.quiet'))}</p>`;
}

export interface HtmlInput {
  report: GradeReport;
  /** The plots of the run's series (ReportPictures.plots()); none when no frame arrived. */
  plots: readonly RenderedPlot[];
  /** data: URL of the screenshot, if one was taken. */
  screenshot?: string;
}

export function reportHtml({ report: r, plots, screenshot }: HtmlInput): string {
  const t = translator(r.lang);
  const s = r.measured.server;
  const st = r.measured.stream;
  const parts: string[] = [];
  parts.push(`<h1>${esc(t('report.title', { score: r.notGraded ? t('report.notGradedTitle') : `${r.score} / ${r.maxScore}` }))}</h1>`);
  parts.push(
    `<p class="muted">${esc(r.repo)}${r.commit ? ` @ <code>${esc(r.commit.slice(0, 12))}</code>` : ''} · ${esc(r.kind)}${r.wire ? ` · wire ${esc(r.wire)}` : ''} · ${esc(r.startedAt)} · ${r.durationS.toFixed(1)} s</p>`,
  );
  parts.push(headline(r, t));
  parts.push(`<h2>${t('report.rubric')}</h2>`, rubricTable(r, t));
  if (s) {
    parts.push(
      `<p>${t('report.measured')} <b>${fmt(s.fps)}</b> fps of ${fmt(s.sourceFps)} · jitter p99 <b>${fmt(s.jitterP99Ms)}</b> ms · drift ${fmt(s.driftMaxMs)} ms · A/V ${Number.isFinite(s.avOffsetMs) ? `${fmt(s.avOffsetMs)} ms` : 'not measured'} · ${fmt(s.audioSeconds)} s of sound${s.paced ? ' (paced)' : ' (not paced)'}.</p>`,
    );
  }
  if (st)
    parts.push(
      `<p>${t('report.stream', { state: st.ok ? `<span class="ok">${t('report.streamOk')}</span>` : `<span class="bad">${esc(st.reason ?? '?')}</span>` })}</p>`,
    );
  parts.push(
    `<h2>${t('report.screenshot')}</h2>`,
    screenshot
      ? `<img class="shot" id="screenshot" alt="${esc(t('lms.screenshotLabel'))}" src="${screenshot}">`
      : `<p class="muted" id="screenshot-missing">${esc(t('report.noScreenshot', { reason: r.screenshotInfo.reason ?? '?' }))}</p>`,
  );
  parts.push(`<h2>${t('report.recorded')}</h2>`);
  if (plots.length) parts.push(...plots.map((p) => plotFigure(p, t)));
  else parts.push(`<p class="muted">${esc(t('report.nothingToDraw'))}${r.problems.server ? ` ${esc(r.problems.server)}` : ''}</p>`);
  parts.push(`<h2>${t('report.machine')}</h2>`, machine(r, t));
  if (r.serverOutput) parts.push(`<h2>${t('report.serverLines')}</h2>`, `<pre id="server-output">${esc(r.serverOutput)}</pre>`);
  if (r.changes.length) parts.push(`<h2>${t('report.changes')}</h2>`, `<ul id="changes">${r.changes.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`);
  const problems = Object.entries(r.problems);
  if (problems.length) parts.push(`<h2>${t('report.problems')}</h2>`, `<ul>${problems.map(([k, v]) => `<li><b>${esc(k)}</b>: ${esc(v)}</li>`).join('')}</ul>`);
  parts.push(`<p class="muted">${esc(t('report.phases', { phases: r.phases.map((p) => `${p.name} ${p.status} ${p.seconds.toFixed(1)} s`).join(' · ') }))}</p>`);
  return page(t('report.title', { score: r.notGraded ? t('report.notGradedTitle') : `${r.score}/${r.maxScore}` }), parts.join('\n'), '', r.lang ?? 'en');
}

/** A complete page: no script, no external resource (the CSP forbids loading any). */
export function page(title: string, body: string, script = '', lang = 'en'): string {
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'${script ? "; script-src 'unsafe-inline'" : ''}`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${esc(title)}</title><style>${PAGE_CSS}</style></head>
<body>
${body}
${script ? `<script>${script}</script>` : ''}
</body></html>
`;
}
