/**
 * npm run grade -- class DIR|roster.csv: grade many submissions with bounded parallelism. One broken submission
 * never stops the rest (each job is caught and becomes a row with its reason); ports come from the
 * grader's reservation (grader/run/launch/ports.ts) so parallel jobs never collide. Writes gradebook.csv
 * (student, score, each rubric item) and a folder per student with its reports and screenshot.
 *
 * roster.csv: a header line with at least `student` and `repo` (path or git URL; a practice repo
 * is recognised by its .gitmodules and the lab found inside it). DIR: every sub-folder is a student.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import { GRADER_ROOT, gradeSubmission } from '../grade.ts';
import { createProgress } from '../progress.ts';
import { writeReports } from '../report/writers.ts';
import type { Rubric } from '../score/rubric.ts';
import type { WireName } from '../../src/wire/index.ts';
import { findLabInPractice } from './lab-in-practice.ts';
import { detectKind } from '../run/launch/launch.ts';
import { failedRow, gradebookCsv, gradebookRow, parseReport } from './collect.ts';
import type { GradeReport } from '../report/types.ts';
import type { Lang } from '../i18n/messages.ts';
import { writeGradebookHtml, type GradebookEntry } from '../report/gradebook-html.ts';

export interface RosterEntry {
  student: string;
  repo: string;
}

/** Minimal RFC 4180 reader: quoted fields, doubled quotes, commas and newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  return rows;
}

export { csvField } from './collect.ts';

export async function readRoster(source: string): Promise<RosterEntry[]> {
  if (source.toLowerCase().endsWith('.csv')) {
    const rows = parseCsv(await readFile(source, 'utf8'));
    const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
    const si = header.indexOf('student');
    const ri = header.indexOf('repo');
    if (si < 0 || ri < 0) throw new UsageError(`${source}: the first line must name the columns student and repo, got "${header.join(',')}"`);
    return rows
      .map((r) => ({ student: (r[si] ?? '').trim(), repo: (r[ri] ?? '').trim() }))
      .filter((e) => e.student && e.repo)
      .map((e) => ({ ...e, repo: /^[a-z]+:\/\/|^git@/.test(e.repo) ? e.repo : resolve(dirname(source), e.repo) }));
  }
  const entries = await readdir(source, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => ({ student: e.name, repo: join(source, e.name) }))
    .sort((a, b) => a.student.localeCompare(b.student));
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'student';
}

export interface ClassOptions {
  source: string;
  out: string;
  jobs: number;
  seconds: number;
  rubric: Rubric;
  wire?: WireName;
  lab?: string;
  noSave: boolean;
  quiet: boolean;
  skip?: string[];
  /** Run each submission in the sandbox (grader/run/sandbox/sandbox.ts). */
  sandbox?: boolean;
  /** Fit the timing limits to this machine once for the class (grader/calibrate/). */
  calibrate?: boolean | 'refresh';
  /**
   * Grade again only the students whose report in `out` says "not graded" (or who have none); the
   * others keep their report and row.
   */
  regradeNotGraded?: boolean;
  /** The language of the reports (default: the rubric's). */
  lang?: Lang;
}

/** The report a previous run left in a student's folder, if it is a grader report. */
async function previousReport(folder: string): Promise<GradeReport | undefined> {
  const text = await readFile(join(folder, 'report.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return parseReport(text);
  } catch {
    return undefined;
  }
}

export async function gradeClass(opts: ClassOptions): Promise<{ csv: string; rows: number; passed: number; notGraded: number; regraded: number }> {
  const roster = await readRoster(opts.source);
  if (roster.length === 0) throw new UsageError(`${opts.source}: no students found`);
  await mkdir(opts.out, { recursive: true });
  const rows: string[][] = new Array<string[]>(roster.length);
  const entries: GradebookEntry[] = roster.map((e) => ({ student: e.student, folder: join(opts.out, safeName(e.student)) }));
  let next = 0;
  let passed = 0;
  let notGraded = 0;
  let regraded = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= roster.length) return;
      const entry = roster[index]!;
      const folder = join(opts.out, safeName(entry.student));
      const progress = createProgress({ total: 5, quiet: opts.quiet, prefix: entry.student, stream: process.stderr });
      let note = '';
      if (opts.regradeNotGraded) {
        const before = await previousReport(folder);
        if (before && !before.notGraded) {
          if (before.passed) passed += 1;
          rows[index] = gradebookRow(entry.student, entry.repo, before, opts.rubric);
          entries[index]!.report = before;
          continue;
        }
      }
      regraded += 1;
      try {
        await mkdir(folder, { recursive: true });
        let repo = entry.repo;
        if (/^[a-z]+:\/\/|^git@/.test(repo)) {
          const dir = await mkdtemp(join(tmpdir(), `avsock-class-${safeName(entry.student)}-`));
          const r = spawnSync('git', ['clone', '-q', repo, dir], { timeout: 120_000, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
          if (r.status !== 0) throw new Error(`cannot clone ${repo}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
          repo = dir;
        }
        if (!existsSync(repo)) throw new Error(`${repo} does not exist`);
        const kind = (await detectKind(repo)).kind;
        if (kind === 'unknown' && existsSync(join(repo, '.gitmodules'))) {
          const lab = await findLabInPractice(repo, { labRepo: GRADER_ROOT, ...(opts.lab ? { lab: opts.lab } : {}) });
          note = lab.message;
          if (!lab.path) throw new Error(lab.message);
          repo = lab.path;
        }
        const report = await gradeSubmission({
          repo,
          out: folder,
          seconds: opts.seconds,
          rubric: opts.rubric,
          progress,
          noSave: opts.noSave,
          ...(opts.wire ? { wire: opts.wire } : {}),
          ...(opts.skip ? { skip: opts.skip } : {}),
          ...(opts.sandbox !== undefined ? { sandbox: opts.sandbox } : {}),
          ...(opts.lang ? { lang: opts.lang } : {}),
          ...(opts.calibrate ? { calibrate: opts.calibrate } : {}),
        });
        await writeReports(report, {
          json: join(folder, 'report.json'),
          markdown: join(folder, 'report.md'),
          junit: join(folder, 'junit.xml'),
          gradescope: join(folder, 'results.json'),
          html: join(folder, 'report.html'),
        });
        if (report.passed) passed += 1;
        if (report.notGraded) notGraded += 1;
        entries[index]!.report = report;
        rows[index] = gradebookRow(entry.student, entry.repo, report, opts.rubric, note);
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!;
        progress.done('grade', 'failed', message);
        await writeFile(join(folder, 'error.txt'), `${message}\n`).catch(() => {});
        rows[index] = failedRow(entry.student, entry.repo, opts.rubric, message);
        entries[index]!.error = message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, roster.length) }, () => worker()));
  const csv = join(opts.out, 'gradebook.csv');
  await writeFile(csv, gradebookCsv(rows, opts.rubric));
  await writeGradebookHtml(join(opts.out, 'gradebook.html'), entries);
  return { csv, rows: roster.length, passed, notGraded, regraded };
}

export const CLASS_DEFAULT_OUT = (stamp: string): string => join(GRADER_ROOT, 'reports', `class-${basename(stamp)}`);
