/**
 * Gradescope's results.json (its autograder specification): each rubric item a test whose output
 * is Markdown with the figure, the limit, the reason and the fix; a visibility per item from the
 * rubric; the measured figures in extra_data; the rubric's leaderboard figures. Nothing links
 * outside the results (report.html stays in the autograder's artifacts).
 */
import { fmt } from '../score/score-submission.ts';
import type { Visibility } from '../score/rubric.ts';
import type { GradeReport } from './types.ts';
import { translator } from '../i18n/messages.ts';

type T = ReturnType<typeof translator>;

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  output_format: 'md';
  visibility: Visibility;
  tags: string[];
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'md';
  test_output_format: 'md';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  extra_data: Record<string, unknown>;
  tests: GradescopeTest[];
  leaderboard?: Array<{ name: string; value: number; order: 'asc' }>;
}

/** Markdown that cannot open a link, an image or raw HTML: what students print goes through here. */
export function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}

function testOutput(c: GradeReport['checks'][number], t: T): string {
  if (c.status === 'pass') return `✅ ${mdText(c.message)}`;
  if (c.status === 'not-measured') return `➖ ${mdText(c.message)}. ${t('lms.notCounted')}`;
  return [`❌ **${t('report.measured')}** ${mdText(c.message)}`, '', `**${t('lms.howToFix')}** ${mdText(c.fix ?? '')}`].join('\n');
}

function summary(r: GradeReport, t: T): string {
  const lines: string[] = [];
  if (r.notGraded) lines.push(`**${t('lms.notGraded', { reason: mdText(r.notGraded) })}**`, '');
  else lines.push(`**${t('lms.score', { score: r.score, max: r.maxScore, verdict: r.passed ? t('lms.passed') : t('lms.below', { pass: r.passMark }) })}**`, '');
  const s = r.measured.server;
  if (s)
    lines.push(
      `Measured: ${fmt(s.fps)} fps of ${fmt(s.sourceFps)} · jitter p99 ${fmt(s.jitterP99Ms)} ms · drift ${fmt(s.driftMaxMs)} ms · A/V ${Number.isFinite(s.avOffsetMs) ? `${fmt(s.avOffsetMs)} ms` : 'not measured'}.`,
    );
  if (r.measured.stream && !r.measured.stream.ok) lines.push('', `Stream: ${mdText(r.measured.stream.reason ?? 'incomplete')}`);
  if (r.machine?.disturbed) lines.push('', t('lms.busy', { reason: mdText(r.machine.reason ?? '') }));
  const lost = r.checks.filter((c) => c.status === 'fail');
  if (lost.length) lines.push('', t('lms.lost', { items: lost.map((c) => mdText(c.title)).join('; ') }));
  return lines.join('\n');
}

/** The figures as plain numbers (NaN → null), for the instructor's exports. */
function extraData(r: GradeReport): Record<string, unknown> {
  const pick = (o: object | null): Record<string, unknown> | null =>
    o
      ? Object.fromEntries(
          Object.entries(o)
            .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean')
            .map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : v]),
        )
      : null;
  return {
    tool: r.tool,
    ...(r.commit ? { commit: r.commit } : {}),
    kind: r.kind,
    ...(r.wire ? { wire: r.wire } : {}),
    ...(r.notGraded ? { notGraded: r.notGraded } : {}),
    passed: r.passed,
    server: pick(r.measured.server),
    stream: pick(r.measured.stream),
    client: pick(r.measured.client),
    ...(r.machine ? { machine: { disturbed: r.machine.disturbed, cpuBusyPct: r.machine.cpuBusyPct, cores: r.machine.cores } } : {}),
  };
}

export function toGradescope(r: GradeReport): GradescopeResults {
  const t = translator(r.lang);
  return {
    score: r.notGraded ? 0 : r.score,
    execution_time: Math.round(r.durationS),
    output: summary(r, t),
    output_format: 'md',
    test_output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    extra_data: extraData(r),
    tests: r.checks.map((c, i) => ({
      name: c.title,
      number: String(i + 1),
      score: r.notGraded ? 0 : c.points,
      max_score: c.maxPoints,
      status: c.status === 'fail' ? 'failed' : 'passed',
      output: testOutput(c, t),
      output_format: 'md',
      visibility: c.visibility ?? 'visible',
      tags: [c.kind, c.id],
    })),
    ...(r.leaderboard?.length ? { leaderboard: r.leaderboard } : {}),
  };
}
