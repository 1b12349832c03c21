/**
 * Phase 1: find what kind of submission this is, make the copy it runs in, and fetch the clip.
 */
import { basename } from 'node:path';
import { DEMO_CLIP, ensureDemoClip } from '../../src/media/clips.ts';
import { probeMedia } from '../../src/media/probe.ts';
import { toNumber } from '../../src/media/rational.ts';
import type { WireName } from '../../src/wire/index.ts';
import { prepareSubmission, type Submission } from '../run/kinds.ts';
import { fmt } from '../score/score-submission.ts';
import { failed, failedOurs, succeeded, type Outcome } from './runner.ts';

export interface PrepareInput {
  repo: string;
  clip?: string;
  wire?: WireName;
  /** Run the install (npm ci) in a sandbox too. */
  sandbox?: boolean;
  note: (m: string) => void;
}

export interface Prepared {
  submission: Submission;
  clip: string;
  sourceFps: number;
  /** The wire to ask for (Python submissions speak the tutorial's); undefined: detected. */
  wire: WireName | undefined;
}

export async function prepare(input: PrepareInput): Promise<Outcome<Prepared>> {
  const found = await prepareSubmission(input.repo, { onEvent: input.note, ...(input.sandbox ? { sandbox: true } : {}) });
  if (!found.ok) return failed(found.reason);
  const submission = found.submission;
  try {
    const clip = input.clip ?? (await ensureDemoClip({ onProgress: input.note }));
    const video = input.clip ? (await probeMedia(input.clip)).video : undefined;
    const sourceFps = video ? toNumber(video.fps) : DEMO_CLIP.fps;
    const wire = input.wire ?? (submission.kind === 'python' ? 'tutorial' : undefined);
    const where = submission.workDir !== submission.repo ? ` (temp copy ${submission.workDir})` : '';
    return succeeded({ submission, clip, sourceFps, wire }, `${submission.kind} submission${where}, clip ${basename(clip)} at ${fmt(sourceFps)} fps`);
  } catch (error) {
    await submission.cleanup();
    return failedOurs(`cannot read the clip: ${(error as Error).message.split('\n')[0]}`);
  }
}
