/**
 * Calibration for real: the reference server measured by the probe on this machine before a
 * tutorial submission is graded, its figures beside the timing items, kept for the next grading.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../test/support/requirements.ts';
import { gradeSubmission } from '../grade.ts';
import { toMarkdown } from '../report/writers.ts';
import { makeTutorialSubmission, tempDir } from '../testing/fixtures.ts';

const missing = await need('python3', 'ffmpeg');
let dir = '';
const before = process.env.AVSOCK_CALIBRATION_DIR;
beforeAll(async () => {
  dir = await tempDir('avsock-calibrate-test-');
  process.env.AVSOCK_CALIBRATION_DIR = join(dir, 'kept');
});
afterAll(async () => {
  if (before === undefined) delete process.env.AVSOCK_CALIBRATION_DIR;
  else process.env.AVSOCK_CALIBRATION_DIR = before;
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing)('grading with the limits fitted to this machine', () => {
  it('measures the reference server first, shows its figure beside each timing item, and keeps it for the next grading', async () => {
    const repo = await makeTutorialSubmission(dir, 'good', { fps: 30 });
    const grade = (out: string) =>
      gradeSubmission({ repo, out: join(dir, out), seconds: 3, skip: ['client', 'screenshot', 'checks'], startTimeoutMs: 20_000, calibrate: true });
    const first = await grade('first');
    const cal = first.calibration!;
    expect(cal.cached).toBe(false);
    expect(cal.wire).toBe('tutorial');
    expect(first.phases.find((p) => p.name === 'calibrate')?.status).toBe('ok');
    expect(Number.isFinite(cal.figures['server.jitterP99Ms'])).toBe(true);
    expect(Math.abs(cal.figures['server.fpsErrorPct'])).toBeLessThan(5);
    const jitter = first.checks.find((c) => c.id === 'server.jitter')!;
    expect(jitter.message).toMatch(/reference server (on this machine: [\d.]+|measured [\d.]+ on this machine)/);
    expect(toMarkdown(first)).toMatch(/Timing limits fitted to this machine: the reference server/);
    const second = await grade('second');
    // Kept unless the first was taken on a machine flagged busy (then it is measured again).
    if (!cal.disturbed) {
      expect(second.calibration?.cached).toBe(true);
      expect(second.calibration?.measuredAt).toBe(cal.measuredAt);
    }
  });
});
