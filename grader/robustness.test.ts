/**
 * The robustness phase, switched on: each variant (corpus/variants.ts ROBUSTNESS_VARIANTS) is graded
 * through its network profiles by the impairment relay, and every robustness item is compared with
 * the verdict declared there before the run. Only that phase runs: the others are the corpus's.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { need } from '../test/support/requirements.ts';
import { fairVerdict, makeVariant, ROBUSTNESS_VARIANTS, type RobustnessItemId } from './corpus/variants.ts';
import { gradeSubmission } from './grade.ts';
import { toMarkdown } from './report/writers.ts';
import { DEFAULT_RUBRIC, loadRubric, validateRubric, type Rubric } from './score/rubric.ts';
import { tempDir } from './testing/fixtures.ts';

const missing = await need('python-opencv', 'xvfb', 'ffmpeg');
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** The shipped rubric with its robustness block switched on for `profiles`. */
async function rubricWith(profiles: string[]): Promise<Rubric> {
  const raw = JSON.parse(await readFile(DEFAULT_RUBRIC, 'utf8')) as { robustness: { enabled: boolean; profiles: string[] } };
  raw.robustness.enabled = true;
  raw.robustness.profiles = profiles;
  return validateRubric(raw);
}

describe('the shipped rubric', () => {
  it('keeps the robustness phase off, with its items ready: switched on, they count', async () => {
    const shipped = await loadRubric();
    expect(shipped.robustness).toBeUndefined();
    expect(shipped.items.some((i) => i.id.startsWith('robustness.'))).toBe(false);
    const on = await rubricWith(['lossy']);
    expect(on.robustness).toEqual({ profiles: ['lossy'], seconds: 6 });
    expect(on.items.filter((i) => i.id.startsWith('robustness.')).map((i) => i.id)).toEqual([
      'robustness.clientRuns',
      'robustness.clientShows',
      'robustness.clientAudio',
      'robustness.serverPace',
    ]);
    expect(on.maxScore).toBe(shipped.maxScore + 2);
    await expect(rubricWith(['loss=150%'])).rejects.toThrow(/robustness\.profiles\[0\].*loss/);
  });
});

describe.skipIf(missing)('grading through impaired networks (the robustness phase)', () => {
  for (const v of ROBUSTNESS_VARIANTS) {
    it(`${v.name}: ${v.about}`, async () => {
      const dir = await tempDir(`avsock-robust-${v.name}-`);
      made.push(dir);
      const repo = join(dir, 'repo');
      await makeVariant(v, repo);
      const report = await gradeSubmission({
        repo,
        out: join(dir, 'out'),
        noSave: true,
        rubric: await rubricWith(v.profiles),
        skip: ['server', 'client', 'screenshot', 'checks'],
        startTimeoutMs: 40_000,
      });
      const robust = report.measured.robustness;
      expect(robust?.runs.map((r) => r.profile)).toEqual(v.profiles);
      // What the relay did is in the report, profile by profile.
      for (const run of robust!.runs) expect(run.client?.relay).toMatch(/datagrams dropped.*frames \d+ of \d+ whole/);
      expect(toMarkdown(report)).toContain('Through impaired networks');
      const wrong: string[] = [];
      for (const [id, verdict] of Object.entries(v.expected) as Array<[RobustnessItemId, (typeof v.expected)[RobustnessItemId]]>) {
        const item = report.checks.find((c) => c.id === id);
        const accepted = typeof verdict === 'string' ? [verdict] : ['pass', 'fail'];
        if (!item || !accepted.includes(item.status))
          wrong.push(`${id}: expected ${fairVerdict(verdict)}, got ${item?.status ?? 'no item'} (${item?.message ?? ''})`);
      }
      expect(wrong, wrong.join('\n')).toEqual([]);
      if (v.failsBecause) expect(report.checks.find((c) => c.id === 'robustness.clientRuns')?.message).toMatch(v.failsBecause);
    });
  }
});
