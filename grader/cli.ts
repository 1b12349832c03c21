/**
 * npm run grade -- [command] [options]: the instructor's tool (also run by CI). See grader/README.md.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../src/errors.ts';
import { stopAllChildren } from '../src/process/children.ts';
import { choiceOption, numberOption, parseOptions, runMain } from '../src/cli/main.ts';
import { WIRE_NAMES, type WireName } from '../src/wire/index.ts';
import { GRADER_ROOT, gradeSubmission } from './grade.ts';
import { createProgress } from './progress.ts';
import { loadRubric, type Rubric } from './score/rubric.ts';
import { LANGS, translator, type Lang } from './i18n/messages.ts';
import { fmt, fmtUnit } from './score/score-submission.ts';
import { writeReports } from './report/writers.ts';
import type { GradeReport } from './report/types.ts';
import { screenshotName } from './screenshot/compose.ts';

const HELP = `npm run grade -- [command] [options]

Runs a submission over loopback, measures its server from outside, runs its client against the
reference server, screenshots both windows, checks the repo, and scores it (grader/rubric.json).
It RUNS STUDENT CODE: on Linux each submission runs in a bubblewrap sandbox (npm run doctor shows
whether one can be made); elsewhere use CI or the container image (Dockerfile).

Commands (npm run grade -- COMMAND --help for one command's options):
  grade                       one submission (the default: npm run grade grades this repo)
  class DIR|CSV               a whole class: a folder of repos, or roster.csv (student,repo)
  collect DIR                 a gradebook from report folders graded elsewhere
  gradescope-package FILE.zip a Gradescope autograder zip (setup.sh, run_autograder)
  init-class-workflow DIR     copy the GitHub Actions class workflow into DIR (.github/workflows/)

Exit code: 0 when the score reaches the rubric's pass mark, 1 below it, 2 on bad usage, 3 not graded
(the grader's or the machine's failure, e.g. the reference server did not start: grade again).`;

const MEASURE_HELP = `  --wire framed|tutorial  wire to use (default: detected)
  --seconds S          measurement length (default 8)
  --rubric FILE        rubric (default grader/rubric.json)
  --lang en|ru         language of the reports, the fix lines and the summary (default: the rubric's "lang", else en)
  --no-sandbox         run submissions with your own rights
  --no-calibrate       judge timing by the rubric's limits as written (default: fitted to this machine by
                       measuring the reference server first, kept for 12 h in .cache/calibration/)
  --recalibrate        measure the reference server again now
  --quiet              no progress lines`;

const GRADE_HELP = `npm run grade -- [grade] [options]

One submission: this repo, another folder, or a lab found in a student's practice repo.
  --repo PATH          the submission (default: this repo)
  --practice PATH      a student's practice repo: find this lab among its submodules and grade it
  --lab NAME|URL       which submodule is the lab (default: matched by this repo's origin URL or name)
  --clip FILE          clip to stream (default: the demo countdown with flash/beep markers)
  --out DIR            report folder (default reports/<date>)
  --no-save            keep the screenshot in the report folder only (not in <repo>/screenshots/)
  --json FILE          JSON report (default <out>/report.json)
  --markdown FILE      Markdown report (default <out>/report.md; also appended to $GITHUB_STEP_SUMMARY)
  --junit FILE         JUnit XML
  --gradescope FILE    Gradescope results.json (Markdown per item, visibility from the rubric, leaderboard)
  --prairielearn FILE  PrairieLearn external-grader results.json (score 0–1, gradable, two PNG images)
  --open               open report.html in the default browser at the end
${MEASURE_HELP}`;

const CLASS_HELP = `npm run grade -- class DIR|CSV [options]

A whole class: DIR is a folder of repos, CSV a roster (student,repo: a path or a git URL). Writes
a report folder per student, gradebook.csv and gradebook.html.
  --out DIR            where (default reports/<date>)
  --lab NAME|URL       for practice repos: which submodule is the lab
  --jobs N             parallel submissions (default: what the machine's cores allow);
                       only one is in its timing phase (server, client) at a time
  --regrade-not-graded with --out of an earlier run: grade again only the students marked
                       "not graded" there (or with no report); the others keep theirs
${MEASURE_HELP}`;

const COLLECT_HELP = `npm run grade -- collect DIR [--out FILE] [--rubric FILE]

A gradebook from report folders graded elsewhere (DIR/report-<student>/report.json), e.g. by the
class workflow's jobs. Writes --out FILE (default DIR/gradebook.csv) and gradebook.html beside it.`;

const PACKAGE_HELP = `npm run grade -- gradescope-package FILE.zip

Writes a Gradescope autograder zip: setup.sh installs what the grader needs, run_autograder grades
/autograder/submission and writes results.json.`;

const WORKFLOW_HELP = `npm run grade -- init-class-workflow DIR

Copies the GitHub Actions class workflow into DIR/.github/workflows/ with a roster template (never
overwrites one): a job per student, then the gradebook.`;

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
  const rows = r.checks.map((c) => [
    c.status === 'pass' ? 'PASS' : c.status === 'fail' ? 'FAIL' : '-',
    `${c.points}/${c.maxPoints}`,
    c.title,
    c.status === 'fail' ? `${c.message} → ${t('summary.fix')}: ${c.fix ?? ''}` : c.message,
  ]);
  const w0 = 4;
  const w1 = Math.max(6, ...rows.map((r) => r[1]!.length));
  const w2 = Math.max(...rows.map((r) => r[2]!.length));
  out.write('\n');
  for (const row of rows) out.write(`${row[0]!.padEnd(w0)}  ${row[1]!.padStart(w1)}  ${row[2]!.padEnd(w2)}  ${row[3]}\n`);
  out.write(
    `\n${t('summary.score', { score: r.score, max: r.maxScore, pass: r.passMark })}: ${t(r.notGraded ? 'verdict.notGraded' : r.passed ? 'verdict.passed' : 'verdict.failed')}\n`,
  );
  if (r.notGraded) out.write(`${t('summary.notGraded', { reason: r.notGraded })}\n`);
  if (r.screenshot) out.write(`screenshot: ${r.screenshot}\n`);
}

/** Options every measuring command takes (node:util parseArgs), kept beside MEASURE_HELP. */
const MEASURE_OPTIONS = {
  wire: { type: 'string' },
  seconds: { type: 'string' },
  rubric: { type: 'string' },
  lang: { type: 'string' },
  'no-sandbox': { type: 'boolean' },
  'no-calibrate': { type: 'boolean' },
  recalibrate: { type: 'boolean' },
  quiet: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GRADE_OPTIONS = {
  ...MEASURE_OPTIONS,
  repo: { type: 'string' },
  practice: { type: 'string' },
  lab: { type: 'string' },
  clip: { type: 'string' },
  out: { type: 'string' },
  'no-save': { type: 'boolean' },
  json: { type: 'string' },
  markdown: { type: 'string' },
  junit: { type: 'string' },
  gradescope: { type: 'string' },
  prairielearn: { type: 'string' },
  open: { type: 'boolean' },
} as const;

const CLASS_OPTIONS = {
  ...MEASURE_OPTIONS,
  out: { type: 'string' },
  lab: { type: 'string' },
  jobs: { type: 'string' },
  'regrade-not-graded': { type: 'boolean' },
} as const;

const HELP_ONLY = { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } } as const;
const COLLECT_OPTIONS = { ...HELP_ONLY, out: { type: 'string' }, rubric: { type: 'string' } } as const;

type Command = 'grade' | 'class' | 'collect' | 'gradescope-package' | 'init-class-workflow';
const COMMANDS: readonly Command[] = ['grade', 'class', 'collect', 'gradescope-package', 'init-class-workflow'];

/** The modes that were flags before they were commands: still read, with a line saying the new form. */
const LEGACY_FLAGS: ReadonlyArray<readonly [flag: string, command: Command, operand: string]> = [
  ['--class', 'class', 'DIR|CSV'],
  ['--collect', 'collect', 'DIR'],
  ['--gradescope-package', 'gradescope-package', 'FILE.zip'],
  ['--init-class-workflow', 'init-class-workflow', 'DIR'],
];

/**
 * The command and its own arguments. A legacy mode flag (`--class DIR`) becomes its command
 * (`class DIR`), with a deprecation line on stderr; no command at all means `grade`.
 */
export function splitCommand(
  argv: readonly string[],
  warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): { command: Command; args: string[] } {
  const first = argv[0];
  if (first !== undefined && (COMMANDS as readonly string[]).includes(first)) return { command: first as Command, args: argv.slice(1) };
  if (first !== undefined && !first.startsWith('-'))
    throw new UsageError(`unknown command "${first}": use one of ${COMMANDS.join(', ')}; see npm run grade -- --help`);
  const legacy = LEGACY_FLAGS.filter(([flag]) => argv.some((a) => a === flag || a.startsWith(`${flag}=`)));
  if (legacy.length > 1 || (legacy.length === 1 && argv.some((a) => a === '--repo' || a === '--practice'))) {
    throw new UsageError('use one of --repo, --practice, --class, --collect, --init-class-workflow, --gradescope-package');
  }
  const [found] = legacy;
  if (!found) return { command: 'grade', args: [...argv] };
  const [flag, command, operand] = found;
  const at = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  const inline = argv[at]!.startsWith(`${flag}=`);
  const value = inline ? argv[at]!.slice(flag.length + 1) : argv[at + 1];
  if (value === undefined) throw new UsageError(`${flag} needs ${operand}; see npm run grade -- ${command} --help`);
  warn(`warning: ${flag} ${operand} is now a command: npm run grade -- ${command} ${operand} (the flag still works, for now)`);
  const rest = [...argv.slice(0, at), ...argv.slice(at + (inline ? 1 : 2))];
  return { command, args: [value, ...rest] };
}

/** One operand, required, for the commands that take one. */
function operandOf(command: Command, positionals: string[], what: string): string {
  if (positionals.length !== 1)
    throw new UsageError(
      `npm run grade -- ${command} takes one ${what}${positionals.length ? `, got ${positionals.length}` : ''}; see npm run grade -- ${command} --help`,
    );
  return positionals[0]!;
}

/** Ctrl-C or a kill stops every child first (servers, probes, Chromium), then exits 130. */
function stopChildrenOnSignal(): void {
  const stop = (): void => {
    void stopAllChildren().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

interface MeasureSettings {
  wire: WireName | undefined;
  seconds: number;
  rubric: Rubric;
  lang: Lang;
  calibrate: boolean | 'refresh';
}

async function measureSettings(values: {
  wire?: string | undefined;
  seconds?: string | undefined;
  rubric?: string | undefined;
  lang?: string | undefined;
  'no-calibrate'?: boolean | undefined;
  recalibrate?: boolean | undefined;
}): Promise<MeasureSettings> {
  if (values['no-calibrate'] && values.recalibrate) throw new UsageError('use one of --no-calibrate, --recalibrate');
  const calibrate = values['no-calibrate'] ? false : values.recalibrate ? ('refresh' as const) : true;
  const wire = values.wire === undefined ? undefined : choiceOption('wire', values.wire, WIRE_NAMES, 'framed');
  const seconds = numberOption('seconds', values.seconds, 8, { min: 2, max: 120 });
  const rubric = await loadRubric(values.rubric ? resolve(values.rubric) : undefined);
  const lang = values.lang === undefined ? (rubric.lang ?? 'en') : choiceOption('lang', values.lang, LANGS, 'en');
  return { wire, seconds, rubric, lang, calibrate };
}

function defaultOut(): string {
  return join(GRADER_ROOT, 'reports', screenshotName().replace(/\.png$/, ''));
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const { command, args } = splitCommand(argv);
  switch (command) {
    case 'grade':
      return gradeCommand(args);
    case 'class':
      return classCommand(args);
    case 'collect':
      return collectCommand(args);
    case 'gradescope-package':
      return writeCommand(command, args, PACKAGE_HELP, 'FILE.zip', async (file) => (await import('./gradescope/package.ts')).writeGradescopePackage(file));
    case 'init-class-workflow':
      return writeCommand(command, args, WORKFLOW_HELP, 'DIR', async (dir) => (await import('./class/workflow.ts')).initClassWorkflow(dir));
  }
}

/** A command that takes one path, writes something there and says what (gradescope-package, init-class-workflow). */
async function writeCommand(command: Command, args: string[], help: string, operand: string, write: (path: string) => Promise<string>): Promise<number> {
  const { values, positionals } = parseOptions('grade', args, HELP_ONLY, true);
  if (values.help) return printHelp(help);
  process.stdout.write(`${await write(resolve(operandOf(command, positionals, operand)))}\n`);
  return 0;
}

function printHelp(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

async function collectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('grade', args, COLLECT_OPTIONS, true);
  if (values.help) return printHelp(COLLECT_HELP);
  const dir = resolve(operandOf('collect', positionals, 'DIR'));
  const rubric = await loadRubric(values.rubric ? resolve(values.rubric) : undefined);
  const { collectGradebook } = await import('./class/collect.ts');
  const r = await collectGradebook(dir, resolve(values.out ?? join(dir, 'gradebook.csv')), rubric);
  process.stdout.write(`gradebook: ${r.csv} (${r.rows} students, ${r.reports} reports, ${r.passed} passed)\n`);
  process.stdout.write(`gradebook: ${pathToFileURL(r.csv.replace(/(\.csv)?$/i, '.html')).href}\n`);
  return 0;
}

async function classCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('grade', args, CLASS_OPTIONS, true);
  if (values.help) return printHelp(CLASS_HELP);
  const source = resolve(operandOf('class', positionals, 'DIR|CSV'));
  const { wire, seconds, rubric, lang, calibrate } = await measureSettings(values);
  const jobs = numberOption('jobs', values.jobs, defaultJobs(), { min: 1, max: 16, integer: true });
  if (values['regrade-not-graded'] && !values.out) throw new UsageError("--regrade-not-graded goes with --out FOLDER (the earlier run's folder)");
  const out = resolve(values.out ?? defaultOut());
  const sandbox = await sandboxFor('class', Boolean(values['no-sandbox']));
  stopChildrenOnSignal();
  const { gradeClass } = await import('./class/grade-class.ts');
  const book = await gradeClass({
    source,
    out,
    jobs,
    seconds,
    rubric,
    sandbox,
    ...(wire ? { wire } : {}),
    ...(values.lab ? { lab: values.lab } : {}),
    noSave: true,
    quiet: Boolean(values.quiet),
    lang,
    calibrate,
    regradeNotGraded: Boolean(values['regrade-not-graded']),
  });
  process.stdout.write(
    `gradebook: ${book.csv} (${book.rows} students, ${book.regraded} graded now, ${book.passed} passed${book.notGraded ? `, ${book.notGraded} NOT GRADED: grade them again with npm run grade -- class ${positionals[0]} --regrade-not-graded --out ${out}` : ''})\n`,
  );
  process.stdout.write(`gradebook: ${pathToFileURL(join(out, 'gradebook.html')).href}\n`);
  return book.notGraded ? 3 : 0;
}

async function gradeCommand(args: string[]): Promise<number> {
  const { values } = parseOptions('grade', args, GRADE_OPTIONS);
  if (values.help) return printHelp(GRADE_HELP);
  if (values.repo !== undefined && values.practice !== undefined) throw new UsageError('use one of --repo, --practice');
  const { wire, seconds, rubric, lang, calibrate } = await measureSettings(values);
  const out = resolve(values.out ?? defaultOut());
  const sandbox = await sandboxFor(values.practice ? 'class' : 'repo', Boolean(values['no-sandbox']));
  stopChildrenOnSignal();

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
  const report = await gradeSubmission({
    repo,
    out,
    seconds,
    rubric,
    progress,
    sandbox,
    lang,
    calibrate,
    noSave: Boolean(values['no-save']),
    ...(wire ? { wire } : {}),
    ...(values.clip ? { clip: resolve(values.clip) } : {}),
  });
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
    process.stdout.write(
      `measured: ${fmt(s.fps)} fps (source ${fmt(s.sourceFps)}), jitter p99 ${fmt(s.jitterP99Ms)} ms, drift ${fmt(s.driftMaxMs)} ms, A/V ${fmtUnit(s.avOffsetMs, 'ms')}\n`,
    );
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
