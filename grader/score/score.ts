/**
 * Applies the rubric to what was measured and found. Every lost point carries why (the figure and
 * its limit, or the failing check's message) and how to fix it.
 */
import type { Finding } from '../check/index.ts';
import type { MeasureItem, Rubric, RubricItem } from './rubric.ts';

export interface ItemResult {
  id: string;
  title: string;
  kind: RubricItem['kind'];
  status: 'pass' | 'fail';
  points: number;
  maxPoints: number;
  /** One line: what was measured or found. */
  message: string;
  /** One line: how to fix it (failed items only). */
  fix?: string;
}

export interface ScoreResult {
  score: number;
  maxScore: number;
  passMark: number;
  passed: boolean;
  items: ItemResult[];
}

/** Figures by dotted path: measured.server.fps, measured.client.framesReceived, screenshot.ok … */
export type Figures = Record<string, unknown>;

/** `problems` gives the reason a whole section could not be measured (e.g. server: "did not start"). */
export function lookupFigure(figures: Figures, path: string): unknown {
  let cur: unknown = figures;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'not measured';
    return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 10) / 10) : v.toFixed(Math.abs(v) < 1 ? 3 : 2);
  }
  return JSON.stringify(v);
}

function limitText(it: MeasureItem): string {
  const parts: string[] = [];
  if (it.equals !== undefined) parts.push(`must be ${JSON.stringify(it.equals)}`);
  if (it.maxAbs !== undefined) parts.push(`limit ±${it.maxAbs}`);
  if (it.min !== undefined && it.max !== undefined) parts.push(`limit ${it.min}…${it.max}`);
  else if (it.min !== undefined) parts.push(`minimum ${it.min}`);
  else if (it.max !== undefined) parts.push(`maximum ${it.max}`);
  return parts.join(', ');
}

function measure(it: MeasureItem, figures: Figures, problems: Record<string, string>): ItemResult {
  const base = { id: it.id, title: it.title, kind: it.kind, maxPoints: it.points };
  const v = lookupFigure(figures, it.figure);
  const section = it.figure.split('.')[0]!;
  const missing = v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v));
  if (missing) {
    const why = problems[section] ?? 'not measured';
    return { ...base, status: 'fail', points: 0, message: `${it.figure}: ${why}`, fix: it.fix };
  }
  let ok = true;
  if (it.equals !== undefined) ok &&= v === it.equals;
  if (typeof v === 'number') {
    if (it.maxAbs !== undefined) ok &&= Math.abs(v) <= it.maxAbs;
    if (it.min !== undefined) ok &&= v >= it.min;
    if (it.max !== undefined) ok &&= v <= it.max;
  } else if (it.maxAbs !== undefined || it.min !== undefined || it.max !== undefined) ok = false;
  const reason = problems[section] ?? problems[`${section}.note`];
  const extra = reason && !ok ? `: ${reason}` : '';
  const message = `${it.figure} = ${fmt(v)} (${limitText(it)})${extra}`;
  return ok ? { ...base, status: 'pass', points: it.points, message } : { ...base, status: 'fail', points: 0, message, fix: it.fix };
}

function check(it: Extract<RubricItem, { kind: 'check' }>, findings: Finding[] | undefined, problem?: string): ItemResult {
  const base = { id: it.id, title: it.title, kind: it.kind, maxPoints: it.points };
  if (!findings) return { ...base, status: 'fail', points: 0, message: `repo checks did not run: ${problem ?? 'unknown reason'}`, fix: it.fix };
  const relevant = findings.filter((f) => it.checks.includes(f.id));
  if (relevant.length === 0) return { ...base, status: 'fail', points: 0, message: `none of ${it.checks.join(', ')} was reported by the repo check`, fix: it.fix };
  const failed = relevant.filter((f) => f.status === 'fail');
  if (failed.length === 0) {
    const warned = relevant.filter((f) => f.status === 'warn');
    const message = warned.length ? `passed with warnings: ${warned.map((f) => `${f.id}: ${f.message}`).join('; ')}` : relevant.map((f) => f.message).join('; ');
    return { ...base, status: 'pass', points: it.points, message };
  }
  return {
    ...base,
    status: 'fail',
    points: 0,
    message: failed.map((f) => `${f.id}: ${f.message}`).join('; '),
    fix: failed.map((f) => f.fix).filter(Boolean).join('; ') || it.fix,
  };
}

export function scoreSubmission(rubric: Rubric, input: { figures: Figures; findings?: Finding[]; problems?: Record<string, string> }): ScoreResult {
  const problems = input.problems ?? {};
  const items = rubric.items.map((it) => (it.kind === 'check' ? check(it, input.findings, problems.checks) : measure(it, input.figures, problems)));
  // Points are summed in hundredths so 0.1 + 0.2 reads 0.3.
  const score = Math.round(items.reduce((s, r) => s + r.points * 100, 0)) / 100;
  return { score, maxScore: rubric.maxScore, passMark: rubric.passMark, passed: score >= rubric.passMark, items };
}
