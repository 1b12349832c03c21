import type { Baseline, Widening } from '../calibrate/limits.ts';
import type { Finding } from '../../src/check/readiness.ts';
import type { Lang } from '../i18n/messages.ts';
import type { ServerFigures } from '../measure/server-figures.ts';
import type { MachineLoad } from '../run/launch/machine-load.ts';
import type { ClientFigures, RobustnessFigures, StreamFigures } from '../score/figure-record.ts';
import type { ItemResult } from '../score/score-submission.ts';

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
  /** Below the pass mark, or not graded. */
  passed: boolean;
  /**
   * Present when the run failed through the grader or its machine (reference server, missing
   * program, grader crash, too busy to judge timing): the score is not the student's; grade again.
   */
  notGraded?: string;
  measured: {
    server: ServerFigures | null;
    /** Whole-window judgement of the server's stream. */
    stream: StreamFigures | null;
    client: ClientFigures | null;
    /** Present when the rubric's robustness phase ran: the worst figures and each profile's own. */
    robustness?: RobustnessFigures | null;
  };
  checks: ItemResult[];
  repoFindings: Finding[];
  /** Every change the grader made to its copy of the submission (ports, host, clip, removed files). */
  changes: string[];
  /** The machine's load during the server's window; `disturbed` flags timing figures to distrust. */
  machine?: MachineLoad;
  /** The server's last output lines (its traceback when it died). */
  serverOutput?: string;
  /** Path of the composed screenshot (in the submission's screenshots/, or the report folder), or null. */
  screenshot: string | null;
  screenshotInfo: { ok: boolean; reason?: string; reportCopy?: string; savedTo?: string; fps?: { server?: number; client?: number } };
  problems: Record<string, string>;
  phases: PhaseRecord[];
  /** The language of the report's words (default en). */
  lang?: Lang;
  /** The rubric's leaderboard figures that were measured, |value| (smaller is better), for Gradescope. */
  leaderboard?: Array<{ name: string; value: number; order: 'asc' }>;
  /** The submission's processes ran in the sandbox (grader/run/sandbox/sandbox.ts). */
  sandboxed?: boolean;
  /**
   * The reference server measured on this machine (grader/calibrate/), when the run was calibrated:
   * its figures, whether they were kept from an earlier run, and the limits widened for them.
   */
  calibration?: Baseline & { cached: boolean; widened: Widening[]; tooDisturbed?: string };
  /** Perceptual hashes of the screenshots committed under screenshots/ (report/phash.ts), for the reuse flag. */
  committedScreenshots?: Array<{ file: string; hash: string }>;
}
