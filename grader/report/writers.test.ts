import { describe, it, expect } from 'vitest';
import { toGradescope, toJson, toJunit, toMarkdown } from './writers.ts';
import type { GradeReport } from './types.ts';
import { serverFigures } from '../testing/figure-fixtures.ts';

const report: GradeReport = {
  tool: 'avsock-grader',
  startedAt: '2025-01-01T00:00:00.000Z',
  durationS: 12.5,
  repo: '/tmp/a&b <repo>',
  kind: 'node',
  wire: 'framed',
  score: 1.5,
  maxScore: 2.5,
  passMark: 2,
  passed: false,
  measured: { server: serverFigures({ fps: 29.97, sourceFps: 30, jitterP99Ms: Number.NaN, driftMaxMs: 1, avOffsetMs: 3 }), stream: null, client: null },
  changes: ['server.py:24 port: port 9688 -> 20001 (9688 → 20001)'],
  checks: [
    { id: 'server.fps', title: 'FPS <ok>', kind: 'measure', status: 'pass', points: 1, maxPoints: 1, message: 'fps = 29.97' },
    {
      id: 'server.audio',
      title: 'Audio "paced"',
      kind: 'measure',
      status: 'fail',
      points: 0,
      maxPoints: 1,
      message: 'paced = false \u0007 & <bad>',
      fix: 'pace it',
    },
    { id: 'gi', title: 'gitignore | pipes', kind: 'check', status: 'pass', points: 0.5, maxPoints: 0.5, message: 'ok' },
  ],
  repoFindings: [],
  screenshot: null,
  screenshotInfo: { ok: false, reason: 'blank' },
  problems: { screenshot: 'blank' },
  phases: [{ name: 'server', status: 'ok', seconds: 10 }],
};

describe('report writers', () => {
  it('JSON has the keys outside checks read, NaN as null', () => {
    const j = JSON.parse(toJson(report));
    expect(j.score).toBe(1.5);
    expect(j.maxScore).toBe(2.5);
    expect(j.measured.server.fps).toBe(29.97);
    expect(j.measured.server.jitterP99Ms).toBeNull();
    expect(j.checks[1]).toMatchObject({ id: 'server.audio', status: 'fail' });
    expect(j).toHaveProperty('screenshot', null);
  });

  it('JUnit XML is well-formed: escaped, no control characters, counts match', () => {
    const xml = toJunit(report);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    // eslint-disable-next-line no-control-regex -- the control characters XML forbids are what is looked for
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('&lt;bad&gt;');
    expect(xml).toContain('a&amp;b &lt;repo&gt;');
    // Balanced tags (a small structural check without an XML library).
    const open = (xml.match(/<testcase\b/g) ?? []).length;
    const closed = (xml.match(/<\/testcase>/g) ?? []).length;
    expect(open).toBe(3);
    expect(closed).toBe(3);
    expect((xml.match(/<failure /g) ?? []).length).toBe(1);
    // No raw '&' that is not an entity.
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
  });

  it('Gradescope results.json has score and tests[{name, score, max_score, output}]', () => {
    const g = toGradescope(report);
    expect(g.score).toBe(1.5);
    expect(g.tests).toHaveLength(3);
    for (const t of g.tests) {
      expect(typeof t.name).toBe('string');
      expect(typeof t.score).toBe('number');
      expect(typeof t.max_score).toBe('number');
      expect(typeof t.output).toBe('string');
    }
    expect(g.tests[1]!.output).toContain('**How to fix:** pace it');
  });

  it('Markdown has the score, a row per item and escapes pipes', () => {
    const md = toMarkdown(report);
    expect(md).toContain('1.5 / 2.5');
    expect(md).toContain('gitignore \\| pipes');
    expect(md).toContain('**fix:** pace it');
  });
});
