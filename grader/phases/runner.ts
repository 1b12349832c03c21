/**
 * Runs the grader's phases: each is bounded in time, recorded (name, status, seconds, note), shown
 * on the progress line, and returns a typed outcome instead of throwing, so a failing phase costs
 * only its own items and carries its reason to the score.
 *
 * Folder grader/phases/: the grading pipeline, one phase per file with typed input and output.
 * May import: the grader's other folders, src/.
 */
import { TimeoutError, waitWithin } from '../../src/timing/wait.ts';
import type { Progress } from '../progress.ts';
import type { PhaseRecord } from '../report/types.ts';

import type { WireName } from '../../src/wire/index.ts';
import type { Submission } from '../run/kinds.ts';

/** What the timed phases (server, client) both take. */
export interface TimedPhaseInput {
  submission: Submission;
  clip: string;
  sourceFps: number;
  wire: WireName | undefined;
  /** How long the stream is measured (server) or the client runs, s. */
  seconds: number;
  startTimeoutMs: number;
  display: string | undefined;
  /** Bound on the phase once it has the timing slot, ms. */
  budgetMs: number;
  note: (m: string) => void;
}

export type PhaseName = 'prepare' | 'calibrate' | 'server' | 'client' | 'screenshot' | 'robustness' | 'checks';

/**
 * What a phase produced, or why it could not (with whatever it measured before failing).
 * `ours` marks a failure of the grader or its machine (the reference server did not start, a
 * program the grader needs is missing, the grader threw): the submission is then not graded
 * rather than charged for it.
 */
export type Outcome<T> = { ok: true; value: T; note?: string } | { ok: false; reason: string; value?: T; ours?: true };

export function succeeded<T>(value: T, note?: string): Outcome<T> {
  return note === undefined ? { ok: true, value } : { ok: true, value, note };
}

export function failed<T>(reason: string, value?: T): Outcome<T> {
  return value === undefined ? { ok: false, reason } : { ok: false, reason, value };
}

/** A failure that is the grader's or its machine's, not the submission's (see Outcome). */
export function failedOurs<T>(reason: string): Outcome<T> {
  return { ok: false, reason, ours: true };
}

/** A phase's own bound ran out: the submission hung, which is the submission's failure. */
export class PhaseTimeoutError extends TimeoutError {}

/** Resolves with work's result, or rejects with a PhaseTimeoutError naming `what` after `ms`. */
export async function bounded<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  const result = await waitWithin(work(), ms);
  if (!result.ok) throw new PhaseTimeoutError(what, ms);
  return result.value;
}

export class PhaseRunner {
  readonly records: PhaseRecord[] = [];
  readonly #skip: ReadonlySet<string>;
  readonly #progress: Progress | undefined;

  constructor(skip: Iterable<string>, progress?: Progress) {
    this.#skip = new Set(skip);
    this.#progress = progress;
  }

  skipped(name: PhaseName): boolean {
    return this.#skip.has(name);
  }

  /** Runs one phase (or records it as skipped); an exception or timeout becomes a failed outcome. */
  async run<T>(name: PhaseName, budgetMs: number, work: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    if (this.#skip.has(name)) {
      this.records.push({ name, status: 'skipped', seconds: 0 });
      this.#progress?.done(name, 'skipped');
      return failed('skipped');
    }
    const t0 = Date.now();
    this.#progress?.phase(name);
    let outcome: Outcome<T>;
    try {
      outcome = await bounded(budgetMs, name, work);
    } catch (error) {
      const line = (error as Error).message.split('\n')[0]!;
      // A phase bounds everything the submission does; anything else that throws is the grader's own bug.
      outcome = error instanceof PhaseTimeoutError ? failed(line) : failedOurs(`the grader failed in its ${name} phase: ${line}`);
    }
    const seconds = (Date.now() - t0) / 1000;
    const note = outcome.ok ? outcome.note : outcome.reason;
    this.records.push({ name, status: outcome.ok ? 'ok' : 'failed', seconds, ...(note ? { note } : {}) });
    this.#progress?.done(name, outcome.ok ? 'ok' : 'failed', note);
    return outcome;
  }
}
