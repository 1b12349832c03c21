/**
 * Class throughput: a generated class of N copies of the tutorial (its own server.py and client.py,
 * test/fixtures/tutorial/) graded by `npm run grade -- class DIR` as an instructor would, with the
 * default --jobs and the sandbox; wall time extrapolated to minutes per 30 students. Plus the
 * sandbox's own start-up cost per submission: open the sandbox (network namespace holder) and run
 * `true` in it, against `true` run directly.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../../src/process/children.ts';
import { defaultJobs } from '../../grader/cli.ts';
import { detectSandbox, SubmissionSandbox } from '../../grader/run/sandbox/sandbox.ts';
import { launch } from '../../grader/run/launch/launch.ts';
import { REPO_ROOT } from '../start-programs.ts';
import { median } from '../summary.ts';

export interface SandboxStartup {
  measured: boolean;
  reason?: string;
  runs?: number;
  /** Median per submission: open the sandbox (holder up, namespace ready) + close it, ms. */
  openCloseMs?: number;
  /** Median per process: `true` in the sandbox minus `true` run directly, ms. */
  perProcessMs?: number;
}

export interface ClassResult {
  students: number;
  jobs: number;
  sandbox: boolean;
  measured: boolean;
  reason?: string;
  wallS?: number;
  perStudentS?: number;
  /** wallS ÷ students × 30 ÷ 60: what a class of 30 takes at the same --jobs. */
  minutesPer30?: number;
  passed?: number;
}

async function runTrue(wrap?: SubmissionSandbox['joinNetwork']): Promise<number> {
  const t0 = performance.now();
  const l = launch('true', 'true', [], { cwd: tmpdir(), ...(wrap ? { wrap } : {}) });
  await l.handle.exited.catch(() => {});
  return performance.now() - t0;
}

export async function measureSandboxStartup(runs: number): Promise<SandboxStartup> {
  const s = detectSandbox();
  if (!s.ok) return { measured: false, reason: s.reason ?? 'no sandbox' };
  const direct: number[] = [];
  const boxed: number[] = [];
  const openClose: number[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'avsock-bench-sandbox-'));
  try {
    await runTrue(); // warm: the first sandboxed launch also asks python3 where it lives (cached)
    for (let i = 0; i < runs; i++) {
      direct.push(await runTrue());
      const t0 = performance.now();
      const box = await SubmissionSandbox.open({ writable: [dir], readable: [] });
      const opened = performance.now() - t0;
      try {
        boxed.push(await runTrue(box.untrusted()));
      } finally {
        const t1 = performance.now();
        await box.close();
        openClose.push(opened + performance.now() - t1);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { measured: true, runs, openCloseMs: median(openClose), perProcessMs: median(boxed) - median(direct) };
}

/** N tutorial repos in a temp folder, one per student. */
async function makeClass(n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'avsock-bench-class-'));
  for (let i = 1; i <= n; i++) {
    const repo = join(dir, `student${String(i).padStart(2, '0')}`);
    await mkdir(repo);
    for (const f of ['server.py', 'client.py']) await copyFile(join(REPO_ROOT, 'test', 'fixtures', 'tutorial', f), join(repo, f));
  }
  return dir;
}

export async function measureClass(opts: { students: number; jobs?: number; log: (m: string) => void }): Promise<ClassResult> {
  const jobs = opts.jobs ?? defaultJobs();
  const sandbox = detectSandbox().ok;
  const base = { students: opts.students, jobs, sandbox };
  const dir = await makeClass(opts.students);
  const out = join(dir, 'reports');
  const t0 = performance.now();
  const args = ['--import', 'tsx', 'grader/cli.ts', 'class', dir, '--jobs', String(jobs), '--out', out, '--quiet', ...(sandbox ? [] : ['--no-sandbox'])];
  opts.log(`class: ${opts.students} tutorial copies, --jobs ${jobs}${sandbox ? ', sandboxed' : ', NO sandbox'}`);
  const child = startChild(process.execPath, args, { name: 'grader class', cwd: REPO_ROOT, detached: true });
  child.process.stdout?.resume();
  // Bounded: 4 minutes per student at one job is far beyond any healthy run.
  const timeout = setTimeout(() => void child.stop(), opts.students * 240_000);
  try {
    const exit = await child.exited.catch((e: unknown) => ({ code: -1, signal: null, error: e }));
    const wallS = (performance.now() - t0) / 1000;
    if (child.stopping) return { ...base, measured: false, reason: `stopped after ${wallS.toFixed(0)} s` };
    if (exit.code !== 0) return { ...base, measured: false, reason: `grader class exited ${exit.code ?? exit.signal}: ${child.stderrTail(2).trim()}` };
    const csv = await readFile(join(out, 'gradebook.csv'), 'utf8');
    const passed = csv
      .split('\n')
      .slice(1)
      .filter((l) => /,yes,/.test(l)).length;
    opts.log(`class: ${wallS.toFixed(1)} s for ${opts.students}, ${passed} passed`);
    return { ...base, measured: true, wallS, perStudentS: wallS / opts.students, minutesPer30: ((wallS / opts.students) * 30) / 60, passed };
  } finally {
    clearTimeout(timeout);
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function classTable(c: ClassResult, s: SandboxStartup): string {
  const rows = [
    ['sandbox per submission (open + close)', s.measured ? `${s.openCloseMs!.toFixed(1)} ms (median of ${s.runs})` : `not measured: ${s.reason}`],
    ['sandbox per process started in it', s.measured ? `+${s.perProcessMs!.toFixed(1)} ms over a direct start (median of ${s.runs})` : '—'],
    ['class size graded', c.measured ? `${c.students} tutorial copies, --jobs ${c.jobs}, ${c.sandbox ? 'sandboxed' : 'NOT sandboxed'}` : '—'],
    c.measured
      ? ['wall time', `${c.wallS!.toFixed(1)} s (${c.perStudentS!.toFixed(1)} s per student, ${c.passed}/${c.students} passed)`]
      : ['wall time', `not measured: ${c.reason}`],
    [
      'minutes per 30 students',
      c.measured
        ? `${c.minutesPer30!.toFixed(1)}${c.students === 30 ? ' (measured)' : ` (extrapolated from ${c.students}; --class-size 30 measures it)`}`
        : '—',
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map((r) => `${r[0]!.padEnd(w)}  ${r[1]}`).join('\n');
}
