/**
 * grader/rubric.json: which check or measured figure is worth how many points. Instructors edit it,
 * so it is validated with one-line errors that name the key (`items[3].max must be a number`).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../src/errors.ts';
import { FIGURE_NAMES, isFigureName, type FigureName } from './figure-record.ts';
import { isLang, LANGS, type Lang } from '../i18n/messages.ts';
import { parseNet, PROFILE_NAMES } from '../../src/net/spec.ts';

/** Gradescope's per-test visibility (its results.json spec). */
export const VISIBILITIES = ['visible', 'after_due_date', 'after_published', 'hidden'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** An item's words in Russian (the course's language), when the rubric gives them. */
export interface ItemTranslation {
  title?: string;
  fix?: string;
  fixPython?: string;
}

export interface CheckItem {
  id: string;
  ru?: ItemTranslation;
  /** Gradescope: when the student sees this item (default visible). */
  visibility?: Visibility;
  title: string;
  kind: 'check';
  points: number;
  checks: string[];
  fix: string;
  /** The fix line for a Python (tutorial) submission, when it differs. */
  fixPython?: string;
}

export interface MeasureItem {
  id: string;
  ru?: ItemTranslation;
  visibility?: Visibility;
  title: string;
  kind: 'measure';
  points: number;
  /** One of FIGURE_NAMES; checked when the rubric is loaded. */
  figure: FigureName;
  min?: number;
  max?: number;
  maxAbs?: number;
  equals?: boolean | number | string;
  fix: string;
  fixPython?: string;
}

export type RubricItem = CheckItem | MeasureItem;

export interface Rubric {
  passMark: number;
  items: RubricItem[];
  maxScore: number;
  /** Figures on Gradescope's leaderboard, |value| ascending (smaller is better). */
  leaderboard: FigureName[];
  /** The language of the reports unless --lang says otherwise (default en). */
  lang?: Lang;
  /** The robustness phase's settings, present when the rubric switches it on. */
  robustness?: RobustnessSettings;
}

/** The submission through impaired networks: each profile (src/net/spec.ts) for its client and its server. */
export interface RobustnessSettings {
  /** Profile names or specs (`lossy`, `loss=1%,truncate=2%`), each run on its own. */
  profiles: string[];
  /** How long the client runs and the server is probed, per profile, s. */
  seconds: number;
}

/** The rubric's `robustness` block: its items count only when it is enabled. */
interface RobustnessBlock extends RobustnessSettings {
  enabled: boolean;
  items: RubricItem[];
}

export const DEFAULT_RUBRIC = new URL('../rubric.json', import.meta.url).pathname;

export class RubricError extends UsageError {}

function fail(file: string, key: string, what: string, got: unknown): never {
  throw new RubricError(`${file}: ${key} ${what}, got ${JSON.stringify(got)}`);
}

/** One item of `items` (or `robustness.items`), `k` naming it in errors; `ids` catches duplicates across both. */
function validateItem(it: unknown, k: string, file: string, ids: Set<string>): RubricItem {
  if (typeof it !== 'object' || it === null) fail(file, k, 'must be an object', it);
  const o = it as Record<string, unknown>;
  const known = ['id', 'title', 'kind', 'points', 'checks', 'figure', 'min', 'max', 'maxAbs', 'equals', 'fix', 'fixPython', 'visibility', 'ru', '$comment'];
  for (const key of Object.keys(o)) if (!known.includes(key)) fail(file, `${k}.${key}`, `is not a known key (${known.join(', ')})`, key);
  if (typeof o.id !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(o.id)) fail(file, `${k}.id`, 'must be a word of letters, digits, . _ -', o.id);
  if (ids.has(o.id)) fail(file, `${k}.id`, 'is a duplicate', o.id);
  ids.add(o.id);
  if (typeof o.title !== 'string' || !o.title) fail(file, `${k}.title`, 'must be a non-empty string', o.title);
  if (typeof o.points !== 'number' || !Number.isFinite(o.points) || o.points < 0) fail(file, `${k}.points`, 'must be a number ≥ 0', o.points);
  if (typeof o.fix !== 'string' || !o.fix) fail(file, `${k}.fix`, 'must say how to fix a lost point (non-empty string)', o.fix);
  if (o.fixPython !== undefined && (typeof o.fixPython !== 'string' || !o.fixPython)) fail(file, `${k}.fixPython`, 'must be a non-empty string', o.fixPython);
  if (o.visibility !== undefined && !VISIBILITIES.includes(o.visibility as Visibility))
    fail(file, `${k}.visibility`, `must be one of ${VISIBILITIES.join(', ')}`, o.visibility);
  if (o.ru !== undefined) {
    const ru = o.ru as Record<string, unknown> | null;
    if (
      typeof ru !== 'object' ||
      ru === null ||
      Object.entries(ru).some(([key, v]) => !['title', 'fix', 'fixPython'].includes(key) || typeof v !== 'string' || !v)
    ) {
      fail(file, `${k}.ru`, 'must be an object of non-empty strings title, fix, fixPython', o.ru);
    }
  }
  const fixPython = {
    ...(typeof o.fixPython === 'string' ? { fixPython: o.fixPython } : {}),
    ...(o.visibility !== undefined ? { visibility: o.visibility as Visibility } : {}),
    ...(o.ru !== undefined ? { ru: o.ru as ItemTranslation } : {}),
  };
  if (o.kind === 'check') {
    if (!Array.isArray(o.checks) || o.checks.length === 0 || !o.checks.every((c) => typeof c === 'string')) {
      fail(file, `${k}.checks`, 'must be a non-empty array of check ids (see npm run check -- --json)', o.checks);
    }
    return { id: o.id, title: o.title, kind: 'check', points: o.points, checks: o.checks, fix: o.fix, ...fixPython };
  }
  if (o.kind === 'measure') {
    const figure = o.figure;
    if (typeof figure !== 'string' || !isFigureName(figure)) {
      const near =
        typeof figure === 'string'
          ? FIGURE_NAMES.filter(
              (n) =>
                n.toLowerCase() === figure.toLowerCase() ||
                n.endsWith(`.${figure}`) ||
                n.split('.')[1]!.toLowerCase() === figure.split('.').pop()!.toLowerCase(),
            )
          : [];
      fail(
        file,
        `${k}.figure`,
        `must name a measured figure (${near.length ? `did you mean ${near.join(' or ')}?` : `one of ${FIGURE_NAMES.join(', ')}`})`,
        o.figure,
      );
    }
    for (const t of ['min', 'max', 'maxAbs'] as const) {
      if (o[t] !== undefined && (typeof o[t] !== 'number' || !Number.isFinite(o[t]))) fail(file, `${k}.${t}`, 'must be a number', o[t]);
    }
    if (o.equals !== undefined && !['boolean', 'number', 'string'].includes(typeof o.equals))
      fail(file, `${k}.equals`, 'must be a boolean, number or string', o.equals);
    if (o.min === undefined && o.max === undefined && o.maxAbs === undefined && o.equals === undefined) {
      fail(file, k, 'needs a threshold: min, max, maxAbs or equals', o.id);
    }
    if (typeof o.min === 'number' && typeof o.max === 'number' && o.min > o.max) fail(file, `${k}.min`, `must not exceed max (${o.max})`, o.min);
    const item: MeasureItem = { id: o.id, title: o.title, kind: 'measure', points: o.points, figure, fix: o.fix, ...fixPython };
    if (o.min !== undefined) item.min = o.min as number;
    if (o.max !== undefined) item.max = o.max as number;
    if (o.maxAbs !== undefined) item.maxAbs = o.maxAbs as number;
    if (o.equals !== undefined) item.equals = o.equals as boolean | number | string;
    return item;
  }
  return fail(file, `${k}.kind`, 'must be "check" or "measure"', o.kind);
}

function validateRobustness(raw: unknown, file: string, ids: Set<string>): RobustnessBlock {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, 'robustness', 'must be an object', raw);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!['$comment', 'enabled', 'profiles', 'seconds', 'items'].includes(key))
      fail(file, `robustness.${key}`, 'is not a known key (enabled, profiles, seconds, items)', key);
  if (typeof o.enabled !== 'boolean') fail(file, 'robustness.enabled', 'must be true or false', o.enabled);
  if (!Array.isArray(o.profiles) || o.profiles.length === 0) fail(file, 'robustness.profiles', 'must be a non-empty array of profiles or specs', o.profiles);
  const profiles = (o.profiles as unknown[]).map((p, i) => {
    const key = `robustness.profiles[${i}]`;
    if (typeof p !== 'string') fail(file, key, `must be a profile (${PROFILE_NAMES.join(', ')}) or a spec`, p);
    try {
      parseNet(p, key);
    } catch (error) {
      throw new RubricError(`${file}: ${(error as Error).message}`);
    }
    return p;
  });
  const seconds = o.seconds ?? 6;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 2 || seconds > 60)
    fail(file, 'robustness.seconds', 'must be a number of seconds from 2 to 60', o.seconds);
  if (!Array.isArray(o.items) || o.items.length === 0) fail(file, 'robustness.items', 'must be a non-empty array', o.items);
  const items = (o.items as unknown[]).map((it, i) => {
    const item = validateItem(it, `robustness.items[${i}]`, file, ids);
    if (item.kind !== 'measure' || !item.figure.startsWith('robustness.'))
      fail(file, `robustness.items[${i}]`, 'must be a measure item of a robustness.* figure', item.id);
    return item;
  });
  return { enabled: o.enabled, profiles, seconds, items };
}

/** Validates parsed JSON; `file` only names the source in errors. */
export function validateRubric(raw: unknown, file = 'rubric.json'): Rubric {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, '(top level)', 'must be an object', raw);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r))
    if (!['$comment', 'passMark', 'items', 'leaderboard', 'lang', 'robustness'].includes(key))
      fail(file, key, 'is not a known key (passMark, items, leaderboard, lang, robustness)', key);
  if (r.lang !== undefined && !isLang(r.lang)) fail(file, 'lang', `must be one of ${LANGS.join(', ')}`, r.lang);
  const leaderboard = r.leaderboard ?? [];
  if (!Array.isArray(leaderboard) || !leaderboard.every((f) => typeof f === 'string' && isFigureName(f)))
    fail(file, 'leaderboard', `must be an array of figure names (${FIGURE_NAMES.slice(0, 3).join(', ')} …)`, r.leaderboard);
  if (!Array.isArray(r.items) || r.items.length === 0) fail(file, 'items', 'must be a non-empty array', r.items);
  const ids = new Set<string>();
  const items: RubricItem[] = (r.items as unknown[]).map((it, i) => validateItem(it, `items[${i}]`, file, ids));
  const robustness = r.robustness === undefined ? undefined : validateRobustness(r.robustness, file, ids);
  if (robustness?.enabled) items.push(...robustness.items);
  const maxScore = items.reduce((s, it) => s + it.points, 0);
  if (typeof r.passMark !== 'number' || !Number.isFinite(r.passMark) || r.passMark < 0 || r.passMark > maxScore) {
    fail(file, 'passMark', `must be a number from 0 to the total of the points (${maxScore})`, r.passMark);
  }
  return {
    passMark: r.passMark,
    items,
    maxScore,
    leaderboard,
    ...(isLang(r.lang) ? { lang: r.lang } : {}),
    ...(robustness?.enabled ? { robustness: { profiles: robustness.profiles, seconds: robustness.seconds } } : {}),
  };
}

export async function loadRubric(file = DEFAULT_RUBRIC): Promise<Rubric> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RubricError(`${file}: cannot read the rubric (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass --rubric PATH`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RubricError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return validateRubric(raw, file);
}
