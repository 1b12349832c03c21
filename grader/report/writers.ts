/**
 * Report writers: JSON, Markdown (also GitHub's job summary), JUnit XML (CI test tabs),
 * Gradescope's results.json ({score, tests: [{name, score, max_score, output}]}), and the two with
 * pictures — report.html and PrairieLearn's results.json — which share them (pictures.ts).
 */
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { toGradescope } from './gradescope.ts';
import { reportHtml } from './html.ts';
import { ReportPictures, screenshotFileOf } from './pictures.ts';
import { toPrairieLearn } from './prairielearn.ts';
import { ReportSeriesSchema, type ReportSeries } from './series.ts';
import { parseJson } from '../../src/json.ts';
import type { ServerFigureName } from '../measure/server-figures.ts';
import { fmt } from '../score/score-submission.ts';
import type { GradeReport } from './types.ts';

/** JSON with NaN/Infinity as null (JSON has no NaN), Buffers never included. */
export function toJson(report: unknown): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A Markdown section with a two-column table of figures. */
function figureTable(title: string, rows: Array<[string, unknown]>): string[] {
  return ['', `### ${title}`, '| figure | value |', '|---|---:|', ...rows.map(([k, v]) => `| ${k} | ${fmt(v)} |`)];
}

/** The server figures worth a row in the Markdown report (all are in the JSON one). */
const SERVER_FIGURES = [
  'aliveRatio',
  'longestStallMs',
  'fps',
  'sourceFps',
  'fpsErrorPct',
  'perSecondFpsMin',
  'perSecondFpsMax',
  'jitterP50Ms',
  'jitterP99Ms',
  'intervalP99Ms',
  'freezeCount',
  'driftMaxMs',
  'framesMissing',
  'avOffsetMs',
  'avPairs',
  'avSpreadMs',
  'audioSeconds',
  'rate',
  'leadMaxMs',
  'audioHeldBackPct',
  'audioUnderruns',
  'paced',
  'datagramsLost',
  'garbageDatagrams',
] as const satisfies ReadonlyArray<ServerFigureName>;

export function toMarkdown(r: GradeReport): string {
  const lines: string[] = [];
  lines.push(
    r.notGraded
      ? `## avsock: ⚠️ not graded — grade again`
      : `## avsock grade: ${r.score} / ${r.maxScore} ${r.passed ? '✅ passed' : `❌ below the pass mark (${r.passMark})`}`,
  );
  if (r.notGraded) lines.push('', `**Not graded:** ${mdEscape(r.notGraded)}; grade again. The figures below are not the submission's score.`);
  lines.push('');
  lines.push(
    `Repo \`${r.repo}\`${r.commit ? ` at \`${r.commit.slice(0, 12)}\`` : ''} · ${r.kind}${r.wire ? ` · wire ${r.wire}` : ''} · ${r.startedAt} · ${r.durationS.toFixed(1)} s`,
  );
  lines.push('');
  lines.push('| | Item | Points | Details |');
  lines.push('|---|---|---:|---|');
  for (const c of r.checks) {
    const details = c.status === 'fail' ? `${c.message} — **fix:** ${c.fix ?? ''}` : c.message;
    lines.push(
      `| ${c.status === 'pass' ? '✅' : c.status === 'fail' ? '❌' : '➖'} | ${mdEscape(c.title)} | ${c.points}/${c.maxPoints} | ${mdEscape(details)} |`,
    );
  }
  const st = r.measured.stream;
  if (st) {
    lines.push(
      '',
      `Stream over the whole window: ${st.ok ? 'video and audio throughout' : `**${mdEscape(st.reason ?? 'incomplete')}**`} (video ${fmt(st.videoSeconds)} s, longest gap ${fmt(st.longestGapS)} s)`,
    );
  }
  const s = r.measured.server;
  if (s) {
    lines.push(
      ...figureTable(
        'Server, measured by the grader',
        SERVER_FIGURES.filter((k) => k in s).map((k) => [k, s[k]]),
      ),
    );
  }
  if (r.serverOutput && st && !st.ok) lines.push('', "Server's last output:", '```', r.serverOutput.replace(/```/g, "'''"), '```');
  const c = r.measured.client;
  if (c) {
    lines.push(
      ...figureTable(
        'Client: what it showed and played against what it was sent',
        Object.entries(c).filter(([, v]) => typeof v !== 'object' || v === null),
      ),
    );
  }
  const robust = r.measured.robustness;
  if (robust) {
    lines.push(
      '',
      '### Through impaired networks (the impairment relay in the path)',
      '| profile | client | shown ÷ whole | sound | what the relay did (client) | server pace | problem |',
    );
    lines.push('|---|---|---:|---:|---|---:|---|');
    for (const run of robust.runs) {
      const cl = run.client;
      const sv = run.server;
      const problem = [cl?.problem, sv?.problem].filter(Boolean).join('; ');
      lines.push(
        `| \`${mdEscape(run.profile)}\` | ${cl ? (cl.running ? 'running' : '**stopped**') : '–'} | ${cl ? fmt(cl.shownShare) : '–'} | ${cl ? `×${fmt(cl.audioRatio)}` : '–'} | ${cl ? mdEscape(cl.relay) : '–'} | ${sv ? `×${fmt(sv.keepsPace)}` : '–'} | ${mdEscape(problem)} |`,
      );
    }
  }
  const cal = r.calibration;
  if (cal) {
    const f = cal.figures;
    lines.push(
      '',
      `Timing limits fitted to this machine: the reference server ${cal.cached ? `(measured ${cal.measuredAt})` : '(measured before this run)'} reached fps error ${fmt(f['server.fpsErrorPct'])} %, jitter p99 ${fmt(f['server.jitterP99Ms'])} ms, drift ${fmt(f['server.driftMaxMs'])} ms, ${fmt(f['server.freezeCount'])} freezes, A/V ${fmt(f['server.avOffsetMs'])} ms${cal.widened.length ? `; widened: ${cal.widened.map((w) => `${w.item} ${w.from} → ${w.to}`).join(', ')}` : '; every limit stands as written'}${cal.tooDisturbed ? ` — **${mdEscape(cal.tooDisturbed)}**` : ''}`,
    );
  }
  if (r.machine) {
    const m = r.machine;
    lines.push(
      '',
      `Machine during the window: load ${fmt(m.loadavgStart)} on ${m.cores} cores, CPUs ${m.cpuBusyPct === null ? '?' : `${fmt(m.cpuBusyPct)} %`} busy${m.disturbed ? ` — **disturbed run** (${mdEscape(m.reason ?? '')}): timing figures may be the machine's` : ''}`,
    );
  }
  if (r.changes.length) {
    lines.push('', '### Changes the grader made to its copy');
    for (const ch of r.changes) lines.push(`- ${mdEscape(ch)}`);
  }
  lines.push('');
  lines.push(r.screenshot ? `Screenshot: \`${r.screenshot}\`` : `Screenshot: none (${r.screenshotInfo.reason ?? 'not taken'})`);
  if (Object.keys(r.problems).length) {
    lines.push('');
    lines.push('### Problems');
    for (const [k, v] of Object.entries(r.problems)) lines.push(`- **${k}**: ${mdEscape(v)}`);
  }
  lines.push('');
  lines.push(`Phases: ${r.phases.map((p) => `${p.name} ${p.status} ${p.seconds.toFixed(1)} s`).join(' · ')}`);
  return `${lines.join('\n')}\n`;
}

function xmlEscape(s: string): string {
  // XML 1.0 forbids most control characters even escaped: drop them (student output may hold any byte).
  return (
    s
      // eslint-disable-next-line no-control-regex -- these control characters are exactly what must go
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

export function toJunit(r: GradeReport): string {
  const failures = r.checks.filter((c) => c.status === 'fail').length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="avsock-grade" tests="${r.checks.length}" failures="${failures}" time="${r.durationS.toFixed(3)}">`);
  out.push(
    `  <testsuite name="${xmlEscape(r.repo)}" tests="${r.checks.length}" failures="${failures}" errors="0" skipped="${r.checks.filter((c) => c.status === 'not-measured').length}" time="${r.durationS.toFixed(3)}" timestamp="${xmlEscape(r.startedAt)}">`,
  );
  out.push(`    <properties><property name="score" value="${r.score}"/><property name="maxScore" value="${r.maxScore}"/></properties>`);
  for (const c of r.checks) {
    const name = xmlEscape(`${c.id}: ${c.title} (${c.points}/${c.maxPoints})`);
    if (c.status === 'pass')
      out.push(`    <testcase classname="avsock.${xmlEscape(c.kind)}" name="${name}"><system-out>${xmlEscape(c.message)}</system-out></testcase>`);
    else if (c.status === 'not-measured')
      out.push(`    <testcase classname="avsock.${xmlEscape(c.kind)}" name="${name}"><skipped message="${xmlEscape(c.message)}"/></testcase>`);
    else {
      out.push(`    <testcase classname="avsock.${xmlEscape(c.kind)}" name="${name}">`);
      out.push(`      <failure message="${xmlEscape(c.message)}">${xmlEscape(`${c.message}\nfix: ${c.fix ?? ''}`)}</failure>`);
      out.push('    </testcase>');
    }
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export { toGradescope, type GradescopeResults } from './gradescope.ts';

async function write(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** GitHub shows a step summary up to 1 MiB; ours is cut well below that. */
const SUMMARY_LIMIT = 1024 * 1024 - 1024;

/** series.json beside the report, or null when there is none (no frame arrived). */
export async function readSeries(file: string): Promise<ReportSeries | null> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return null;
  try {
    return parseJson(text, ReportSeriesSchema, 'series.json') as ReportSeries;
  } catch {
    return null; // drawn without plots, as when no frame arrived
  }
}

/** The pictures of a graded run: its series.json drawn, its screenshot encoded, each once. */
async function picturesOf(r: GradeReport, seriesFile: string): Promise<ReportPictures> {
  return new ReportPictures(await readSeries(seriesFile), { lang: r.lang, screenshot: screenshotFileOf(r) });
}

async function writeHtml(r: GradeReport, file: string, pictures: ReportPictures): Promise<void> {
  const [plots, screenshot] = await Promise.all([pictures.plots(), pictures.screenshotJpegUrl()]);
  await write(file, reportHtml({ report: r, plots, ...(screenshot ? { screenshot } : {}) }));
}

/** report.html from the report, its series.json and its screenshot. */
export async function writeHtmlReport(r: GradeReport, html: string, seriesFile = join(dirname(html), 'series.json')): Promise<void> {
  await writeHtml(r, html, await picturesOf(r, seriesFile));
}

/**
 * Every report asked for. The text ones first, so a picture that cannot be made leaves them
 * written; then report.html and PrairieLearn's file together, from one set of pictures.
 */
export async function writeReports(
  r: GradeReport,
  files: { json?: string; markdown?: string; junit?: string; gradescope?: string; html?: string; prairielearn?: string; series?: string },
): Promise<void> {
  if (files.json) await write(files.json, toJson(r));
  const md = toMarkdown(r);
  if (files.markdown) await write(files.markdown, md);
  if (files.junit) await write(files.junit, toJunit(r));
  if (files.gradescope) await write(files.gradescope, toJson(toGradescope(r)));
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    const used = await stat(summary).then(
      (s) => s.size,
      () => 0,
    );
    const room = SUMMARY_LIMIT - used;
    if (room > 200)
      await appendFile(summary, Buffer.byteLength(md) <= room ? md : `${md.slice(0, room - 100)}\n\n(cut: the full report is in the artifacts)\n`);
  }
  const { html, prairielearn } = files;
  if (!html && !prairielearn) return;
  const pictures = await picturesOf(r, files.series ?? join(dirname((html ?? files.json ?? prairielearn)!), 'series.json'));
  await Promise.all([
    html ? writeHtml(r, html, pictures) : undefined,
    prairielearn ? toPrairieLearn(r, pictures).then((results) => write(prairielearn, toJson(results))) : undefined,
  ]);
}
