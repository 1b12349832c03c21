/**
 * Phase 5: repo readiness (src/check/readiness.ts), after the screenshot is saved so a fresh one is seen
 * (though uncommitted). A screenshot committed by the template itself is not the student's: when
 * every committed PNG under screenshots/ is byte-identical to one of the grader checkout's own,
 * screenshots.present fails.
 */
import { resolve } from 'node:path';
import { git } from '../../src/platform/git.ts';
import type { Finding } from '../../src/check/readiness.ts';
import { GRADER_ROOT } from '../run/reference.ts';
import { succeeded, type Outcome } from './runner.ts';

/** Blob ids of the PNGs committed under screenshots/ (git ls-files -s: "mode sha stage\tpath"). */
async function screenshotBlobs(repo: string): Promise<Map<string, string>> {
  const r = await git(repo, ['ls-files', '-s', '--', 'screenshots'], { allowFail: true, timeoutMs: 10_000 }).catch(() => undefined);
  const blobs = new Map<string, string>();
  for (const line of r?.code === 0 ? r.stdout.split('\n') : []) {
    const m = /^\d+ ([0-9a-f]{40,64}) \d+\t(.+\.png)$/i.exec(line);
    if (m) blobs.set(m[1]!, m[2]!);
  }
  return blobs;
}

/** The findings, with screenshots.present failed when only the template's own screenshots are committed. */
export async function withoutTemplateScreenshots(repo: string, findings: Finding[], templateRoot = GRADER_ROOT): Promise<Finding[]> {
  if (resolve(repo) === resolve(templateRoot)) return findings;
  const [theirs, template] = await Promise.all([screenshotBlobs(repo), screenshotBlobs(templateRoot)]);
  if (theirs.size === 0 || [...theirs.keys()].some((sha) => !template.has(sha))) return findings;
  const replaced: Finding = {
    id: 'screenshots.present',
    status: 'fail',
    message: `screenshots/ holds only the template's own screenshot (${[...theirs.values()].join(', ')}), not one of this submission`,
    fix: "run your own server and client, screenshot both windows into screenshots/, git rm the template's one, commit and push",
  };
  return findings.map((f) => (f.id === 'screenshots.present' ? replaced : f));
}

export async function runChecks(repo: string): Promise<Outcome<Finding[]>> {
  const { runRepoChecks } = await import('../../src/check/readiness.ts');
  const findings = await withoutTemplateScreenshots(repo, await runRepoChecks({ repo, ci: Boolean(process.env.CI) }));
  const failedCount = findings.filter((f) => f.status === 'fail').length;
  return succeeded(findings, `${findings.length - failedCount}/${findings.length} passed`);
}
