import type { Finding } from '../check/index.ts';
import type { ItemResult } from '../score/score.ts';

export interface PhaseRecord {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  seconds: number;
  note?: string;
}

/** The JSON report (--json); outside checks read score, maxScore, measured.*, checks[], screenshot. */
export interface GradeReport {
  tool: 'avsock-grader';
  startedAt: string;
  durationS: number;
  repo: string;
  commit?: string;
  kind: string;
  wire?: string;
  score: number;
  maxScore: number;
  passMark: number;
  passed: boolean;
  measured: {
    server: Record<string, unknown> | null;
    client: Record<string, unknown> | null;
  };
  checks: ItemResult[];
  repoFindings: Finding[];
  /** Path of the composed screenshot (in the submission's screenshots/, or the report folder), or null. */
  screenshot: string | null;
  screenshotInfo: { ok: boolean; reason?: string; reportCopy?: string; savedTo?: string; fps?: { server?: number; client?: number } };
  problems: Record<string, string>;
  phases: PhaseRecord[];
}
