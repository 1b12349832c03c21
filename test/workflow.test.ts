/** The CI workflow is data: parse it and check it runs what the README promises. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix?: { node?: number[]; os?: string[] } };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

async function workflow(): Promise<Workflow> {
  return parse(await readFile(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8')) as Workflow;
}

describe('.github/workflows/ci.yml', () => {
  it('runs on push and pull_request', async () => {
    const wf = await workflow();
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
  });

  it('tests on ubuntu with Node 22 and 24', async () => {
    const job = Object.values((await workflow()).jobs)[0] as Job;
    expect(job['runs-on']).toMatch(/^ubuntu-/);
    expect(job.strategy?.matrix?.node).toEqual([22, 24]);
    const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setup?.with?.['node-version']).toBe('${{ matrix.node }}');
  });

  it('installs ffmpeg with apt, then npm ci, typecheck, tests and the repo check, in that order', async () => {
    const job = Object.values((await workflow()).jobs)[0] as Job;
    const runs = job.steps.map((s) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    expect(at(/apt-get install[^\n]*\bffmpeg\b/)).toBeGreaterThanOrEqual(0);
    const order = [at(/apt-get install/), at(/^npm ci$/m), at(/^npm run typecheck$/m), at(/^npm test$/m), at(/^npm run check\b/m)];
    expect(
      order.every((i) => i >= 0),
      String(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(job.steps[0]?.uses).toMatch(/^actions\/checkout@/);
  });

  it('every script the workflow runs exists in package.json', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const job = Object.values((await workflow()).jobs)[0] as Job;
    const used = job.steps.flatMap((s) => [...(s.run ?? '').matchAll(/npm (?:run(?: -s)? )?(\w[\w:-]*)/g)].map((m) => m[1] as string));
    for (const script of used.filter((s) => s !== 'ci' && s !== 'run')) expect(pkg.scripts, script).toHaveProperty(script);
  });

  it('runs on windows-latest and macos-latest: npm ci, the quick tier, media tests and a 5 s headless npm start', async () => {
    const wf = await workflow();
    const job = Object.values(wf.jobs).find((j) => j.strategy?.matrix?.os);
    expect(job?.strategy?.matrix?.os).toEqual(['windows-latest', 'macos-latest']);
    const runs = job!.steps.map((s) => s.run ?? '');
    for (const command of [/^npm ci$/, /^npm run test:quick$/, /^npx vitest run --project full src\/media/, /^npm start -- --no-window --duration 5$/]) {
      expect(
        runs.some((r) => command.test(r)),
        String(command),
      ).toBe(true);
    }
    // Only what those OSes cannot have may skip there.
    expect(job!.env?.AVSOCK_ALLOW_MISSING?.split(',')).not.toContain('browser');
  });

  it('runs the media tests against the npm-shipped ffmpeg too', async () => {
    const wf = await workflow();
    const job = Object.values(wf.jobs).find((j) => j.env?.FFMPEG_PATH === 'npm');
    expect(job?.env?.FFPROBE_PATH).toBe('npm');
    expect(job?.steps.some((s) => /vitest run src\/media/.test(s.run ?? ''))).toBe(true);
  });
});
