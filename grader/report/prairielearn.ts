/**
 * PrairieLearn's external-grader results.json (--prairielearn FILE): score 0–1, gradable (false
 * when the run was not graded — PrairieLearn then does not count it against the student), a test
 * per rubric item with its message and fix, and two images as PNG data URLs — the screenshot and
 * the frame-arrival plot, rasterised by resvg (no browser) — with the whole file kept under
 * PrairieLearn's 1 MB limit.
 */
import type { ReportPictures } from './pictures.ts';
import type { GradeReport } from './types.ts';
import { translator } from '../i18n/messages.ts';

/** PrairieLearn refuses a results file above 1 MB. */
export const PRAIRIELEARN_LIMIT_BYTES = 1_000_000;

export interface PrairieLearnResults {
  gradable: boolean;
  score: number;
  message: string;
  output: string;
  format_errors: string[];
  tests: Array<{ name: string; description: string; points: number; max_points: number; message: string; output: string }>;
  images: Array<{ label: string; url: string }>;
}

function pngUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Screenshot widths tried in turn until the whole file fits; none as the last resort. */
const SCREENSHOT_WIDTHS = [800, 560, 400] as const;

/** The results of a graded run; `pictures` are the run's, shared with report.html when it is written too. */
export async function toPrairieLearn(r: GradeReport, pictures: ReportPictures): Promise<PrairieLearnResults> {
  // Both pictures at once: sharp and resvg work on libuv's threads.
  const timelinePng = pictures.timelinePng();
  void pictures.screenshotPng(SCREENSHOT_WIDTHS[0]);
  const t = translator(r.lang);
  const tests = r.checks.map((c) => ({
    name: c.title,
    description: c.id,
    points: r.notGraded ? 0 : c.points,
    max_points: c.maxPoints,
    message: c.status === 'fail' ? `${c.message} — ${t('lms.howToFix')} ${c.fix ?? ''}` : c.message,
    output: c.status === 'fail' ? `${t('report.measured')} ${c.message}\n${t('lms.howToFix')} ${c.fix ?? ''}` : c.message,
  }));
  const message = r.notGraded
    ? t('lms.notGraded', { reason: r.notGraded })
    : t('lms.score', { score: r.score, max: r.maxScore, verdict: r.passed ? t('lms.passed') : t('lms.below', { pass: r.passMark }) });
  const base: PrairieLearnResults = {
    gradable: !r.notGraded,
    score: r.notGraded || r.maxScore === 0 ? 0 : Math.round((r.score / r.maxScore) * 10_000) / 10_000,
    message,
    output: [message, ...r.checks.filter((c) => c.status === 'fail').map((c) => `- ${c.title}: ${c.message}\n  ${t('lms.howToFix')} ${c.fix ?? ''}`)].join(
      '\n',
    ),
    format_errors: r.notGraded ? [r.notGraded] : [],
    tests,
    images: [],
  };
  const timeline = await timelinePng;
  // Shrink the screenshot until the whole file fits.
  for (const width of [...SCREENSHOT_WIDTHS, 0]) {
    const shot = width ? await pictures.screenshotPng(width) : undefined;
    const images = [
      ...(shot ? [{ label: t('lms.screenshotLabel'), url: pngUrl(shot) }] : []),
      ...(timeline ? [{ label: t('plot.intervals.title'), url: pngUrl(timeline) }] : []),
    ];
    const out = { ...base, images };
    if (Buffer.byteLength(JSON.stringify(out)) < PRAIRIELEARN_LIMIT_BYTES) return out;
  }
  return base;
}
