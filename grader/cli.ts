/**
 * npm run grade -- [options]: the instructor's tool (also run by CI). See grader/README.md.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../src/errors.ts';
import { stopAllChildren } from '../src/process/children.ts';
import { choiceOption, numberOption, parseOptions, runMain } from '../src/cli/main.ts';
import { WIRE_NAMES } from '../src/wire/index.ts';
import { GRADER_ROOT, gradeSubmission } from './grade.ts';
import { createProgress } from './progress.ts';
import { loadRubric } from './score/rubric.ts';
import { LANGS, translator } from './i18n/messages.ts';
import { fmt, fmtUnit } from './score/score.ts';
import { writeReports } from './report/writers.ts';
import type { GradeReport } from './report/types.ts';
import { screenshotName } from './screenshot/compose.ts';

const HELP = `npm run grade -- [options]

Runs a submission over loopback, measures its server from outside, runs its client against the
reference server, screenshots both windows, checks the repo, and scores it (grader/rubric.json).
It RUNS STUDENT CODE: on Linux each submission runs in a bubblewrap sandbox (npm run doctor shows
whether one can be made); elsewhere use CI or the container image (Dockerfile).

One submission:
  --repo PATH          the submission (default: this repo)
  --wire framed|tutorial  wire to use (default: detected)
  --seconds S          measurement length (default 8)
  --clip FILE          clip to stream (default: the demo countdown with flash/beep markers)
  --out DIR            report folder (default reports/<date>)
  --no-save            keep the screenshot in the report folder only (not in <repo>/screenshots/)
  --json FILE          JSON report (default <out>/report.json)
  --markdown FILE      Markdown report (default <out>/report.md; also appended to $GITHUB_STEP_SUMMARY)
  --junit FILE         JUnit XML
  --gradescope FILE    Gradescope results.json (Markdown per item, visibility from the rubric, leaderboard)
  --prairielearn FILE  PrairieLearn external-grader results.json (score 0–1, gradable, two PNG images)
  --rubric FILE        rubric (default grader/rubric.json)
  --lang en|ru         language of the reports, the fix lines and this summary (default: the rubric's "lang", else en)
A whole class:
  --practice PATH      a student's practice repo: find this lab among its submodules and grade it
  --lab NAME|URL       which submodule is the lab (default: matched by this repo's origin URL or name)
  --class DIR|CSV      a folder of repos, or roster.csv (student,repo): writes gradebook.csv
  --jobs N             parallel submissions for --class (default: what the machine's cores allow);
                       only one is in its timing phase (server, client) at a time
  --regrade-not-graded with --class and --out of an earlier run: grade again only the students
                       marked "not graded" there (or with no report); the others keep theirs
  --no-sandbox         run submissions with your own rights (refused for --class/--practice without it)
  --collect DIR        gradebook from report folders graded elsewhere (report-<student>/report.json);
                       writes --out FILE (default DIR/gradebook.csv)
  --init-class-workflow DIR   copy the GitHub Actions class workflow into DIR (.github/workflows/)
  --gradescope-package FILE.zip  write a Gradescope autograder zip (setup.sh, run_autograder)
Other:
  --open               open report.html in the default browser at the end
  --quiet              no progress lines
  --help

Exit code: 0 when the score reaches the rubric's pass mark, 1 below it, 2 on bad usage, 3 not graded
(the grader's or the machine's failure, e.g. the reference server did not start: grade again).`;

/**
 * Whether submissions run in the sandbox (grader/run/sandbox/sandbox.ts). Without one, a class or a practice
 * repo (other people's code) is refused unless --no-sandbox says so; a single repo of your own is
 * graded with a warning.
 */
async function sandboxFor(what: 'class' | 'repo', off: boolean): Promise<boolean> {
  if (off) {
    process.stderr.write('warning: --no-sandbox: submissions run with your own rights\n');
    return false;
  }
  const { detectSandbox } = await import('./run/sandbox/sandbox.ts');
  const s = detectSandbox();
  if (s.ok) return true;
  if (what === 'class') throw new UsageError(`no sandbox for other people's code: ${s.reason}; ${s.fix} (or pass --no-sandbox to run it with your own rights)`);
  process.stderr.write(`warning: no sandbox (${s.reason}): the submission runs with your own rights; ${s.fix}\n`);
  return false;
}

/**
 * Parallel submissions by default: one per two cores (each graded submission runs a server, a probe
 * and a reference server at once, and the measurement must not starve), at least 1.
 */
export function defaultJobs(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

export function printTable(r: GradeReport, out: NodeJS.WriteStream = process.stdout): void {
  const t = translator(r.lang);
  const rows = r.checks.map((c) => [c.status === 'pass' ? 'PASS' : c.status === 'fail' ? 'FAIL' : '-', `${c.points}/${c.maxPoints}`, c.title, c.status === 'fail' ? `${c.message} → ${t('summary.fix')}: ${c.fix ?? ''}` : c.message]);
  const w0 = 4;
  const w1 = Math.max(6, ...rows.map((r) => r[1]!.length));
  const w2 = Math.max(...rows.map((r) => r[2]!.length));
  out.write('\n');
  for (const row of rows) out.write(`${row[0]!.padEnd(w0)}  ${row[1]!.padStart(w1)}  ${row[2]!.padEnd(w2)}  ${row[3]}\n`);
  out.write(`\n${t('summary.score', { score: r.score, max: r.maxScore, pass: r.passMark })}: ${t(r.notGraded ? 'verdict.notGraded' : r.passed ? 'verdict.passed' : 'verdict.failed')}\n`);
  if (r.notGraded) out.write(`${t('summary.notGraded', { reason: r.notGraded })}\n`);
  if (r.screenshot) out.write(`screenshot: ${r.screenshot}\n`);
}

/** The command line (node:util parseArgs), kept beside HELP. */
const OPTIONS = {
  repo: { type: 'string' },
  wire: { type: 'string' },
  seconds: { type: 'string' },
  clip: { type: 'string' },
  out: { type: 'string' },
  'no-save': { type: 'boolean' },
  json: { type: 'string' },
  markdown: { type: 'string' },
  junit: { type: 'string' },
  gradescope: { type: 'string' },
  prairielearn: { type: 'string' },
  rubric: { type: 'string' },
  lang: { type: 'string' },
  practice: { type: 'string' },
  lab: { type: 'string' },
  class: { type: 'string' },
  jobs: { type: 'string' },
  'no-sandbox': { type: 'boolean' },
  collect: { type: 'string' },
  'regrade-not-graded': { type: 'boolean' },
  'init-class-workflow': { type: 'string' },
  'gradescope-package': { type: 'string' },
  open: { type: 'boolean' },
  quiet: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseOptions('grade', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const wire = values.wire === undefined ? undefined : choiceOption('wire', values.wire, WIRE_NAMES, 'framed');
  const seconds = numberOption('seconds', values.seconds, 8, { min: 2, max: 120 });
  const jobs = numberOption('jobs', values.jobs, defaultJobs(), { min: 1, max: 16, integer: true });
  const rubric = await loadRubric(values.rubric ? resolve(values.rubric) : undefined);
  const lang = values.lang === undefined ? (rubric.lang ?? 'en') : choiceOption('lang', values.lang, LANGS, 'en');
  const stamp = screenshotName().replace(/\.png$/, '');
  const out = resolve(values.out ?? join(GRADER_ROOT, 'reports', stamp));
  const modes = [values.repo, values.practice, values.class, values.collect, values['init-class-workflow'], values['gradescope-package']].filter((v) => v !== undefined).length;
  if (modes > 1) throw new UsageError('use one of --repo, --practice, --class, --collect, --init-class-workflow, --gradescope-package');
  if (values.collect) {
    const { collectGradebook } = await import('./class/collect.ts');
    const r = await collectGradebook(resolve(values.collect), resolve(values.out ?? join(values.collect, 'gradebook.csv')), rubric);
    process.stdout.write(`gradebook: ${r.csv} (${r.rows} students, ${r.reports} reports, ${r.passed} passed)\n`);
    process.stdout.write(`gradebook: ${pathToFileURL(r.csv.replace(/(\.csv)?$/i, '.html')).href}\n`);
    return 0;
  }
  if (values['init-class-workflow']) {
    const { initClassWorkflow } = await import('./class/workflow.ts');
    process.stdout.write(`${await initClassWorkflow(resolve(values['init-class-workflow']))}\n`);
    return 0;
  }
  if (values['gradescope-package']) {
    const { writeGradescopePackage } = await import('./gradescope/package.ts');
    process.stdout.write(`${await writeGradescopePackage(resolve(values['gradescope-package']))}\n`);
    return 0;
  }
  const sandbox = await sandboxFor(values.class || values.practice ? 'class' : 'repo', Boolean(values['no-sandbox']));

  const stop = (): void => {
    void stopAllChildren().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  if (values['regrade-not-graded'] && (!values.class || !values.out)) throw new UsageError('--regrade-not-graded goes with --class DIR|CSV --out FOLDER (the earlier run\'s folder)');
  if (values.class) {
    const { gradeClass } = await import('./class/class.ts');
    const book = await gradeClass({ source: resolve(values.class), out, jobs, seconds, rubric, sandbox, ...(wire ? { wire } : {}), ...(values.lab ? { lab: values.lab } : {}), noSave: true, quiet: Boolean(values.quiet), lang, regradeNotGraded: Boolean(values['regrade-not-graded']) });
    process.stdout.write(`gradebook: ${book.csv} (${book.rows} students, ${book.regraded} graded now, ${book.passed} passed${book.notGraded ? `, ${book.notGraded} NOT GRADED: grade them again with --regrade-not-graded --out ${out}` : ''})\n`);
    process.stdout.write(`gradebook: ${pathToFileURL(join(out, 'gradebook.html')).href}\n`);
    return book.notGraded ? 3 : 0;
  }

  let repo = resolve(values.repo ?? GRADER_ROOT);
  if (values.practice) {
    const { findLabInPractice } = await import('./class/lab-in-practice.ts');
    const found = await findLabInPractice(resolve(values.practice), { labRepo: GRADER_ROOT, ...(values.lab ? { lab: values.lab } : {}) });
    process.stderr.write(`practice: ${found.message}\n`);
    if (!found.path) throw new UsageError(found.message);
    repo = found.path;
  }

  await mkdir(out, { recursive: true });
  const progress = createProgress({ total: 5, quiet: Boolean(values.quiet) });
  const report = await gradeSubmission({ repo, out, seconds, rubric, progress, sandbox, lang, noSave: Boolean(values['no-save']), ...(wire ? { wire } : {}), ...(values.clip ? { clip: resolve(values.clip) } : {}) });
  progress.finish();
  const html = join(out, 'report.html');
  await writeReports(report, {
    html,
    series: join(out, 'series.json'),
    json: resolve(values.json ?? join(out, 'report.json')),
    ...(values.prairielearn ? { prairielearn: resolve(values.prairielearn) } : {}),
    markdown: resolve(values.markdown ?? join(out, 'report.md')),
    ...(values.junit ? { junit: resolve(values.junit) } : {}),
    ...(values.gradescope ? { gradescope: resolve(values.gradescope) } : {}),
  });
  await printEnd(report, out, html, Boolean(values.open));
  return exitCodeOf(report);
}

/** The terminal summary, then the report's file:// address last (opened with --open). */
async function printEnd(report: GradeReport, out: string, html: string, open: boolean): Promise<void> {
  printTable(report);
  process.stdout.write(`reports: ${out}\n`);
  if (report.measured.server) {
    const s = report.measured.server;
    process.stdout.write(`measured: ${fmt(s.fps)} fps (source ${fmt(s.sourceFps)}), jitter p99 ${fmt(s.jitterP99Ms)} ms, drift ${fmt(s.driftMaxMs)} ms, A/V ${fmtUnit(s.avOffsetMs, 'ms')}\n`);
  }
  process.stdout.write(`report: ${pathToFileURL(html).href}\n`);
  if (open) {
    const { openInDefaultApp } = await import('../src/platform/open-file.ts');
    const problem = openInDefaultApp(html);
    if (problem) process.stderr.write(`warning: ${problem}\n`);
  }
}

/** 0 passed, 1 below the pass mark, 3 not graded (the grader's or the machine's failure: grade again). */
export function exitCodeOf(r: GradeReport): number {
  return r.notGraded ? 3 : r.passed ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  runMain('grade', async (argv) => {
    try {
      return await main(argv);
    } finally {
      await stopAllChildren();
      // The grader must never hang: whatever handle a library left open, leave 2 s after the end.
      setTimeout(() => process.exit(), 2000);
    }
  });
}
