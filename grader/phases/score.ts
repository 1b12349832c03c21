/**
 * Phase 6: the typed figures and findings scored against the rubric, assembled into the report.
 */
import { git } from '../../src/platform/git.ts';
import type { Finding } from '../check/index.ts';
import type { Wire } from '../measure/probe.ts';
import type { GradeReport, PhaseRecord } from '../report/types.ts';
import type { Figures } from '../score/figures.ts';
import type { Rubric } from '../score/rubric.ts';
import { fmt, scoreSubmission } from '../score/score.ts';
import type { ServerMeasured } from './server.ts';
import type { Screenshot } from './screenshot.ts';
import type { Outcome } from './runner.ts';

export interface Results {
  repo: string;
  kind: 'node' | 'python' | 'unknown';
  wire: Wire | undefined;
  server: Outcome<ServerMeasured>;
  client: Outcome<Figures['client']>;
  screenshot: Outcome<Screenshot>;
  checks: Outcome<Finding[]>;
  /** Why the submission could not run at all (prepare failed). */
  prepareProblem?: string;
  changes: string[];
}

/** Why each section was not measured, by phase name (the score's reasons for missing figures). */
function problemsOf(r: Results): Record<string, string> {
  const problems: Record<string, string> = {};
  if (r.prepareProblem) problems.prepare = r.prepareProblem;
  const not = r.prepareProblem ? `not run: ${r.prepareProblem}` : undefined;
  const entries: Array<[string, Outcome<unknown>]> = [['server', r.server], ['client', r.client], ['screenshot', r.screenshot], ['checks', r.checks]];
  for (const [name, o] of entries) if (!o.ok) problems[name] = not ?? o.reason;
  const client = r.client.ok ? r.client.value : r.client.value;
  if (client?.problem && !problems.client) problems.client = client.problem;
  return problems;
}

export function figuresOf(r: Results): Figures {
  const server = r.server.ok ? r.server.value : r.server.value;
  return {
    server: server?.figures ?? null,
    stream: server?.stream ?? null,
    client: (r.client.ok ? r.client.value : r.client.value) ?? null,
    screenshot: { ok: r.screenshot.ok },
  };
}

/** The caption's figure lines under the screenshot. */
export function captionLines(f: Pick<Figures, 'server' | 'client'>): string[] {
  const s = f.server;
  const c = f.client;
  return [
    s ? `server (measured by the grader): ${fmt(s.fps)} fps of ${fmt(s.sourceFps)} · jitter p99 ${fmt(s.jitterP99Ms)} ms · drift ${fmt(s.driftMaxMs)} ms · A/V ${fmt(s.avOffsetMs)} ms` : 'server: not measured',
    c ? `client: ${fmt(c.fps)} fps · ${fmt(c.framesReceived)} frames · ${fmt(c.audioSeconds)} s of sound` : 'client: not measured',
  ];
}

export async function buildReport(r: Results, meta: { rubric: Rubric; startedMs: number; phases: PhaseRecord[] }): Promise<GradeReport> {
  const figures = figuresOf(r);
  const problems = problemsOf(r);
  const result = scoreSubmission(meta.rubric, { figures, ...(r.checks.ok ? { findings: r.checks.value } : {}), problems, language: r.kind === 'python' ? 'python' : 'node' });
  const head = await git(r.repo, ['rev-parse', 'HEAD'], { allowFail: true, timeoutMs: 5000 }).catch(() => undefined);
  const commit = head?.code === 0 ? head.stdout.trim() : undefined;
  const server = r.server.ok ? r.server.value : r.server.value;
  const shot = r.screenshot;
  return {
    tool: 'avsock-grader',
    startedAt: new Date(meta.startedMs).toISOString(),
    durationS: (Date.now() - meta.startedMs) / 1000,
    repo: r.repo,
    ...(commit ? { commit } : {}),
    kind: r.kind,
    ...(r.wire ? { wire: r.wire } : {}),
    score: result.score,
    maxScore: result.maxScore,
    passMark: result.passMark,
    passed: result.passed,
    measured: { server: figures.server, stream: figures.stream, client: figures.client },
    checks: result.items,
    repoFindings: r.checks.ok ? r.checks.value : [],
    changes: r.changes,
    ...(server ? { machine: server.machine, serverOutput: server.outputTail } : {}),
    screenshot: shot.ok ? (shot.value.savedTo ?? shot.value.reportCopy) : null,
    screenshotInfo: shot.ok ? { ok: true, ...shot.value } : { ok: false, reason: shot.reason },
    problems,
    phases: meta.phases,
  };
}
