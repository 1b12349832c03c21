/**
 * Applies the rubric to what was measured and found. Every lost point carries why (the figure and
 * its limit, or the failing check's message) and how to fix it.
 */
import type { Finding } from '../../src/check/readiness.ts';
import type { MeasureItem, Rubric, RubricItem } from './rubric.ts';
import type { Lang } from '../i18n/messages.ts';
import { figureValue, isMeasured, type Figures } from './figure-record.ts';
import { unmeasurable } from './judge.ts';

/** Which language a fix line must speak. */
export type FixLanguage = 'node' | 'python';

export interface ItemResult {
  id: string;
  title: string;
  kind: RubricItem['kind'];
  /** not-measured: the grader's own inputs cannot measure it (e.g. a clip without markers); out of the maximum. */
  status: 'pass' | 'fail' | 'not-measured';
  points: number;
  /** The item's points in the rubric, 0 when not measured (left out of the maximum). */
  maxPoints: number;
  /** One line: what was measured or found. */
  message: string;
  /** One line: how to fix it (failed items only). */
  fix?: string;
  /** Gradescope visibility from the rubric (default visible). */
  visibility?: RubricItem['visibility'];
}

export interface ScoreResult {
  score: number;
  maxScore: number;
  passMark: number;
  passed: boolean;
  items: ItemResult[];
}

/** A figure with its unit, or "not measured" alone (never "not measured ms"). */
export function fmtUnit(v: unknown, unit: string): string {
  return typeof v === 'number' && !Number.isFinite(v) ? 'not measured' : `${fmt(v)} ${unit}`;
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

/** The section whose problem explains a missing figure (stream.* is the server's stream). */
function sectionOf(figure: string): string {
  const section = figure.slice(0, figure.indexOf('.'));
  return section === 'stream' ? 'server' : section;
}

/** Too fast is as wrong as too slow: say the rate, not only the percentage. */
function rateText(it: MeasureItem, figures: Figures, v: number): string {
  if (it.figure !== 'server.fpsErrorPct' || !figures.server) return '';
  const { fps, sourceFps } = figures.server;
  if (!Number.isFinite(fps) || !Number.isFinite(sourceFps)) return '';
  const how = v > 50 ? 'no pacing' : v > 0 ? `${fmt(v)} % too fast` : `${fmt(-v)} % too slow`;
  return `: sends ${fmt(fps)} fps for a ${fmt(sourceFps)} fps file (${how})`;
}

interface MeasureContext {
  figures: Figures;
  problems: Record<string, string>;
  missingWhy: Map<string, string>;
  inputsCannot: ReadonlyMap<string, string>;
  language: FixLanguage;
  lang: Lang;
}

function fixFor(it: RubricItem, language: FixLanguage, lang: Lang = 'en'): string {
  const ru = lang === 'ru' ? it.ru : undefined;
  if (language === 'python' && (ru?.fixPython ?? it.fixPython)) return (ru?.fixPython ?? it.fixPython)!;
  return ru?.fix ?? it.fix;
}

/** The item's title in the report's language. */
function titleFor(it: RubricItem, lang: Lang = 'en'): string {
  return (lang === 'ru' ? it.ru?.title : undefined) ?? it.title;
}

function measure(it: MeasureItem, ctx: MeasureContext): ItemResult {
  const base = { id: it.id, title: titleFor(it, ctx.lang), kind: it.kind, maxPoints: it.points, ...(it.visibility ? { visibility: it.visibility } : {}) };
  const inputs = ctx.inputsCannot.get(it.figure);
  if (inputs !== undefined) return { ...base, maxPoints: 0, status: 'not-measured', points: 0, message: `not measured: ${inputs}` };
  const fix = fixFor(it, ctx.language, ctx.lang);
  const section = sectionOf(it.figure);
  const v = figureValue(ctx.figures, it.figure);
  const cannot = ctx.missingWhy.get(it.figure);
  if (cannot !== undefined || !isMeasured(v)) {
    const why = cannot ?? ctx.problems[section] ?? 'not measured';
    // A rate far off is worth saying even when the window as a whole did not count.
    const s = ctx.figures.server;
    const rate =
      it.figure === 'server.fpsErrorPct' && s && Number.isFinite(s.fpsErrorPct) && Math.abs(s.fpsErrorPct) > 5
        ? `; while it ran it${rateText(it, ctx.figures, s.fpsErrorPct).slice(1)}`
        : '';
    return { ...base, status: 'fail', points: 0, message: `${it.figure}: ${why}${rate}`, fix };
  }
  let ok = true;
  if (it.equals !== undefined) ok &&= v === it.equals;
  if (typeof v === 'number') {
    if (it.maxAbs !== undefined) ok &&= Math.abs(v) <= it.maxAbs;
    if (it.min !== undefined) ok &&= v >= it.min;
    if (it.max !== undefined) ok &&= v <= it.max;
  } else if (it.maxAbs !== undefined || it.min !== undefined || it.max !== undefined) ok = false;
  const reason = (it.figure.startsWith('stream.') ? ctx.figures.stream?.reason : undefined) ?? ctx.problems[section] ?? ctx.problems[`${section}.note`];
  const rate = typeof v === 'number' && !ok ? rateText(it, ctx.figures, v) : '';
  const extra = rate || (reason && !ok ? `: ${reason}` : '');
  const message = `${it.figure} = ${fmt(v)} (${limitText(it)})${extra}`;
  return ok ? { ...base, status: 'pass', points: it.points, message } : { ...base, status: 'fail', points: 0, message, fix };
}

function check(
  it: Extract<RubricItem, { kind: 'check' }>,
  findings: Finding[] | undefined,
  language: FixLanguage,
  problem?: string,
  lang: Lang = 'en',
): ItemResult {
  const base = { id: it.id, title: titleFor(it, lang), kind: it.kind, maxPoints: it.points, ...(it.visibility ? { visibility: it.visibility } : {}) };
  const fix = fixFor(it, language, lang);
  if (!findings) return { ...base, status: 'fail', points: 0, message: `repo checks did not run: ${problem ?? 'unknown reason'}`, fix };
  const relevant = findings.filter((f) => it.checks.includes(f.id));
  if (relevant.length === 0) return { ...base, status: 'fail', points: 0, message: `none of ${it.checks.join(', ')} was reported by the repo check`, fix };
  const failed = relevant.filter((f) => f.status === 'fail');
  if (failed.length === 0) {
    const warned = relevant.filter((f) => f.status === 'warn');
    const message = warned.length
      ? `passed with warnings: ${warned.map((f) => `${f.id}: ${f.message}`).join('; ')}`
      : relevant.map((f) => f.message).join('; ');
    return { ...base, status: 'pass', points: it.points, message };
  }
  return {
    ...base,
    status: 'fail',
    points: 0,
    message: failed.map((f) => `${f.id}: ${f.message}`).join('; '),
    fix:
      failed
        .map((f) => f.fix)
        .filter(Boolean)
        .join('; ') || fix,
  };
}

export interface ScoreInput {
  figures: Figures;
  findings?: Finding[];
  /** Why a section (server, client, screenshot, checks) could not be measured. */
  problems?: Record<string, string>;
  /** python: fix lines speak Python (rubric `fixPython`). Default node. */
  language?: FixLanguage;
  /**
   * Figures the grader's own inputs cannot measure (figure → why), e.g. A/V on a clip without
   * flash/beep markers: their items are "not measured" and left out of the maximum.
   */
  notMeasurable?: ReadonlyMap<string, string>;
  /** The language of titles and fix lines (the rubric's `ru` words for ru). Default en. */
  lang?: Lang;
}

export function scoreSubmission(rubric: Rubric, input: ScoreInput): ScoreResult {
  const problems = input.problems ?? {};
  const language = input.language ?? 'node';
  const ctx: MeasureContext = {
    figures: input.figures,
    problems,
    missingWhy: unmeasurable(input.figures),
    inputsCannot: input.notMeasurable ?? new Map(),
    language,
    lang: input.lang ?? 'en',
  };
  const items = rubric.items.map((it) => (it.kind === 'check' ? check(it, input.findings, language, problems.checks, input.lang) : measure(it, ctx)));
  // Points are summed in hundredths so 0.1 + 0.2 reads 0.3.
  const hundredths = (f: (r: ItemResult) => number): number => Math.round(items.reduce((s, r) => s + f(r) * 100, 0)) / 100;
  const score = hundredths((r) => r.points);
  const maxScore = hundredths((r) => r.maxPoints);
  // Items left out of the maximum take their share of the pass mark with them.
  const passMark = maxScore === rubric.maxScore ? rubric.passMark : Math.round((rubric.passMark * maxScore * 100) / rubric.maxScore) / 100;
  return { score, maxScore, passMark, passed: score >= passMark, items };
}
