/**
 * npm run grade -- collect DIR --out gradebook.csv: a gradebook from report folders graded elsewhere (one GitHub
 * Actions job per student, see grader/workflows/grade-class.yml). DIR holds one folder per student
 * (`report-<student>` as actions/download-artifact names them, or just `<student>`), each with the
 * report.json that `npm run grade -- --out` wrote. A folder without one, or with one that is not a
 * grader report, is still a row: score 0 and the reason (the job's error.txt when it left one).
 */
import * as v from 'valibot';
import { checkShape, JsonShapeError, parseJson } from '../../src/json.ts';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import type { GradeReport } from '../report/types.ts';
import { writeGradebookHtml, type GradebookEntry } from '../report/gradebook-html.ts';
import type { Rubric } from '../score/rubric.ts';

export function csvField(v: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- cells are numbers, strings and booleans
  const s = v === undefined || v === null ? '' : String(v);
  // A leading = + - @ would run as a formula in a spreadsheet (CSV injection): quote it with a '.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function gradebookHeader(rubric: Rubric): string[] {
  return ['student', 'repo', 'score', 'maxScore', 'passed', ...rubric.items.map((i) => i.id), 'notes'];
}

/** One gradebook row from a report (the same columns `class` writes). */
export function gradebookRow(student: string, repo: string, report: GradeReport, rubric: Rubric, note = ''): string[] {
  const points = new Map(report.checks.map((c) => [c.id, c.points]));
  const problems = Object.entries(report.problems ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  const notGraded = report.notGraded ? `not graded: ${report.notGraded}; grade again` : '';
  return [
    student,
    repo,
    String(report.score),
    String(report.maxScore),
    report.notGraded ? 'not graded' : report.passed ? 'yes' : 'no',
    ...rubric.items.map((i) => String(points.get(i.id) ?? 0)),
    [notGraded, note, problems].filter(Boolean).join('; '),
  ];
}

/** A row for a student with no usable report: 0 everywhere and why. */
export function failedRow(student: string, repo: string, rubric: Rubric, reason: string): string[] {
  return [student, repo, '0', String(rubric.maxScore), 'no', ...rubric.items.map(() => '0'), reason];
}

export function gradebookCsv(rows: string[][], rubric: Rubric): string {
  return [gradebookHeader(rubric), ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** What the gradebook reads of a report.json; the rest is kept as it is. */
const ReportFieldsSchema = v.looseObject({
  score: v.number(),
  maxScore: v.number(),
  passed: v.boolean(),
  checks: v.array(v.looseObject({ id: v.string(), points: v.number() })),
  notGraded: v.optional(v.nullable(v.string())),
  problems: v.optional(v.record(v.string(), v.string())),
  repo: v.optional(v.nullable(v.string())),
});

/** Parses and checks a report.json; throws a one-line reason when it is not a grader report. */
export function parseReport(text: string): GradeReport {
  const value = parseJson(text, v.unknown(), 'report.json');
  if (typeof value !== 'object' || value === null || (value as { tool?: unknown }).tool !== 'avsock-grader') {
    throw new JsonShapeError('report.json is not an avsock grader report (no "tool": "avsock-grader")');
  }
  // Checked: the fields the gradebook reads; the others are the grader's own writing, passed through.
  return checkShape(value, ReportFieldsSchema, 'report.json') as unknown as GradeReport;
}

async function firstLine(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').then(
    (t) =>
      t
        .split('\n')
        .find((l) => l.trim())
        ?.trim()
        .slice(0, 300),
    () => undefined,
  );
}

/** gradebook.html beside the CSV (same name, .html). */
export function gradebookHtmlPath(csv: string): string {
  return csv.replace(/(\.csv)?$/i, '.html');
}

export interface CollectResult {
  csv: string;
  rows: number;
  reports: number;
  passed: number;
}

export async function collectGradebook(dir: string, out: string, rubric: Rubric): Promise<CollectResult> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      `collect ${dir}: ${error.code === 'ENOENT' ? 'no such folder' : error.message}; pass the folder the report artifacts were downloaded into`,
    );
  });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (folders.length === 0) throw new UsageError(`collect ${dir}: no student folders in it (expected report-<student>/report.json from each job)`);
  const rows: string[][] = [];
  const book: GradebookEntry[] = [];
  let reports = 0;
  let passed = 0;
  for (const folder of folders) {
    const student = folder.replace(/^report-/, '');
    const file = join(dir, folder, 'report.json');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) {
      const error = await firstLine(join(dir, folder, 'error.txt'));
      const why = `no report.json${error ? `: ${error}` : ' (the grading job failed before writing one)'}`;
      rows.push(failedRow(student, '', rubric, why));
      book.push({ student, folder: join(dir, folder), error: why });
      continue;
    }
    try {
      const report = parseReport(text);
      reports++;
      if (report.passed) passed++;
      rows.push(gradebookRow(student, report.repo ?? '', report, rubric));
      book.push({ student, folder: join(dir, folder), report });
    } catch (error) {
      rows.push(failedRow(student, '', rubric, (error as Error).message));
      book.push({ student, folder: join(dir, folder), error: (error as Error).message });
    }
  }
  await writeFile(out, gradebookCsv(rows, rubric));
  await writeGradebookHtml(gradebookHtmlPath(out), book);
  return { csv: out, rows: rows.length, reports, passed };
}
