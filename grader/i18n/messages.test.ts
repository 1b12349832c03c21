import { describe, it, expect } from 'vitest';
import { LANGS, MESSAGES, t } from './messages.ts';
import { loadRubric } from '../score/rubric.ts';
import { scoreSubmission } from '../score/score-submission.ts';
import { allFigures, serverFigures } from '../testing/figure-fixtures.ts';
import { reportHtml } from '../report/html.ts';
import { toGradescope } from '../report/gradescope.ts';
import type { GradeReport } from '../report/types.ts';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe('message catalogue', () => {
  it('every message id exists, non-empty, in every language, with the same placeholders', () => {
    for (const [id, texts] of Object.entries(MESSAGES)) {
      for (const lang of LANGS) expect((texts as Record<string, string>)[lang], `${id}.${lang}`).toBeTruthy();
      expect(placeholders(texts.ru), id).toEqual(placeholders(texts.en));
    }
  });

  it('the Russian words are Russian (Cyrillic in every message that has words)', () => {
    for (const [id, texts] of Object.entries(MESSAGES))
      if (/[a-z]{3}/i.test(texts.en.replace(/\{\w+\}|ITU-R|BT\.1359|RFC|W3C|TCP|series\.json|fps|\|D\|/g, ''))) expect(texts.ru, id).toMatch(/[а-яё]/i);
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(t('ru', 'summary.score', { score: 9, max: 11, pass: 7 })).toBe('баллы 9 из 11 (проходной балл 7)');
    expect(t('en', 'summary.notGraded', {})).toBe('not graded: {reason}; grade again');
  });

  it('the default rubric gives every item a Russian title and fix, and scoring in ru uses them', async () => {
    const rubric = await loadRubric();
    for (const it of rubric.items) {
      expect(it.ru?.title, it.id).toMatch(/[а-яё]/i);
      expect(it.ru?.fix, it.id).toBeTruthy();
      if (it.fixPython) expect(it.ru?.fixPython, it.id).toBeTruthy();
    }
    const r = scoreSubmission(rubric, { figures: allFigures({ server: serverFigures({ jitterP99Ms: 9 }) }), language: 'python', lang: 'ru' });
    const jitter = r.items.find((i) => i.id === 'server.jitter')!;
    expect(jitter.title).toMatch(/джиттера/);
    expect(jitter.fix).toMatch(/t0 \+ n\/FPS/);
  });

  it("report.html and Gradescope speak the report's language", () => {
    const report = {
      tool: 'avsock-grader',
      startedAt: '',
      durationS: 1,
      repo: 'r',
      kind: 'python',
      score: 1,
      maxScore: 2,
      passMark: 2,
      passed: false,
      measured: { server: null, stream: null, client: null },
      checks: [{ id: 'a', title: 'A', kind: 'measure', status: 'fail', points: 0, maxPoints: 1, message: 'm', fix: 'f' }],
      repoFindings: [],
      changes: [],
      screenshot: null,
      screenshotInfo: { ok: false },
      problems: {},
      phases: [],
      lang: 'ru',
    } satisfies GradeReport;
    const html = reportHtml({ report, plots: [] });
    expect(html).toContain('<html lang="ru">');
    expect(html).toContain('Ниже проходного балла');
    expect(toGradescope(report).tests[0]!.output).toContain('**Как исправить:** f');
  });
});
