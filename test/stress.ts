/**
 * `npm run test:stress -- [--runs 5] [--load 2] [--keep]`: is the suite green on a fresh clone, run
 * after run, with the machine busy?
 *
 * Each run clones this repository's HEAD as it was when the command started (committed work only,
 * as CI sees it; one commit for every run, so later commits cannot mix in) into a new folder,
 * gives it the node_modules of one `npm ci` made for the first clone (copied, so no run can change
 * another's), starts `--load` busy loops at normal priority (a student's laptop with a browser and
 * an editor open), and runs the README's `npm test` with CI=true. One line per run; at the end, every
 * failing test by name with the runs it failed in. Exit 0 only when every run passed.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOption, parseOptions, runMain } from '../src/cli/main.ts';
import { runProgram } from '../src/process/exec.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
/** A run that takes longer than this is stopped and counted as failed (the suite's target is 300 s). */
const RUN_LIMIT_MS = 30 * 60_000;

const USAGE = `Usage: npm run test:stress -- [--runs N] [--load K] [--keep]
  --runs N   whole-suite runs, each on a fresh clone of HEAD (default 5)
  --load K   busy loops at normal priority beside each run (default 0)
  --keep     keep the clones and their logs (default: delete them, keep the logs of failed runs)
`;

interface RunResult {
  readonly passed: boolean;
  readonly seconds: number;
  readonly tests: number;
  readonly failures: readonly string[];
  readonly log: string;
}

/** Runs a command to its end; its output goes to `logFile`. Resolves with the exit code. */
function runLogged(cmd: string, args: string[], cwd: string, logFile: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    // Written as it comes, so a run can be followed with tail -f.
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      log.end(() => resolve(code ?? 1));
    });
  });
}

/** K processes that spin until `stop()` (or, bounded, until the run limit passes). */
function busyLoops(count: number): { stop(): void } {
  const loop = `const end = Date.now() + ${RUN_LIMIT_MS}; while (Date.now() < end) {}`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, ['-e', loop], { stdio: 'ignore' }));
  return { stop: () => children.forEach((c) => c.kill('SIGKILL')) };
}

interface VitestJson {
  numTotalTests: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string }[]; status: string; message?: string }[];
}

function failuresFrom(jsonFile: string, clone: string): { tests: number; failures: string[] } {
  if (!existsSync(jsonFile)) return { tests: 0, failures: ['(no results: the run did not finish)'] };
  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as VitestJson;
  const failures: string[] = [];
  for (const file of report.testResults) {
    const name = file.name.startsWith(clone) ? file.name.slice(clone.length + 1) : file.name;
    const failed = file.assertionResults.filter((t) => t.status === 'failed');
    for (const t of failed) failures.push(`${name} > ${t.fullName}`);
    if (file.status === 'failed' && failed.length === 0) failures.push(`${name} (${(file.message ?? 'failed to run').split('\n')[0]})`);
  }
  return { tests: report.numTotalTests, failures };
}

/** A fresh clone of `commit` in `dir`; throws when git fails. */
async function cloneAt(commit: string, dir: string, work: string, log: string): Promise<void> {
  if (
    (await runLogged('git', ['clone', '--quiet', '--no-checkout', REPO, dir], work, log)) !== 0 ||
    (await runLogged('git', ['checkout', '--quiet', commit], dir, log)) !== 0
  ) {
    throw new Error(`git could not clone ${commit} into ${dir}; see ${log}`);
  }
}

async function stressRun(commit: string, index: number, load: number, modules: string, work: string): Promise<RunResult> {
  const clone = join(work, `run-${index}`);
  const log = join(work, `run-${index}.log`);
  await cloneAt(commit, clone, work, log);
  cpSync(modules, join(clone, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  const jsonFile = join(clone, 'vitest-results.json');
  const loops = busyLoops(load);
  const started = performance.now();
  try {
    const code = await runLogged('npm', ['test', '--', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`], clone, log, {
      CI: 'true',
      HUSKY: '0',
    });
    const seconds = (performance.now() - started) / 1000;
    const { tests, failures } = failuresFrom(jsonFile, clone);
    return { passed: code === 0 && failures.length === 0, seconds, tests, failures, log };
  } finally {
    loops.stop();
  }
}

runMain('test:stress', async (argv) => {
  const { values } = parseOptions('test:stress', argv, {
    runs: { type: 'string' },
    load: { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runs = numberOption('runs', values.runs, 5, { min: 1, max: 100, integer: true });
  const load = numberOption('load', values.load, 0, { min: 0, max: 64, integer: true });
  const work = mkdtempSync(join(tmpdir(), 'avsock-stress-'));
  // Readable by others, as a clone in a home folder is: the sandbox tests run a submission as an
  // unprivileged user that must reach the clone's node_modules.
  chmodSync(work, 0o755);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const failedIn = new Map<string, number[]>();
  let green = 0;
  try {
    const commit = (await runProgram('git', ['rev-parse', 'HEAD'], { cwd: REPO })).stdout.trim();
    say(`test:stress: ${runs} run(s) of npm test, each on a fresh clone of ${commit.slice(0, 10)}, with ${load} busy loop(s); work folder ${work}`);
    // One npm ci, for the first clone; every run gets its own copy of that node_modules.
    const seed = join(work, 'install');
    const installLog = join(work, 'install.log');
    await cloneAt(commit, seed, work, installLog);
    const installed = await runLogged('npm', ['ci', '--no-audit', '--no-fund'], seed, installLog, { HUSKY: '0' });
    if (installed !== 0) throw new Error(`npm ci failed in a fresh clone; see ${installLog}`);
    const modules = join(seed, 'node_modules');
    for (let i = 1; i <= runs; i++) {
      const r = await stressRun(commit, i, load, modules, work);
      if (r.passed) green += 1;
      for (const f of r.failures) failedIn.set(f, [...(failedIn.get(f) ?? []), i]);
      const verdict = r.passed ? 'green' : `RED (${r.failures.length} failed; log ${r.log})`;
      say(`run ${i}/${runs} load ${load}: ${verdict}, ${r.tests} tests in ${r.seconds.toFixed(0)} s`);
      if (!values.keep) rmSync(join(work, `run-${i}`), { recursive: true, force: true });
    }
    say(`test:stress: ${green}/${runs} runs green with ${load} busy loop(s)`);
    for (const [name, which] of failedIn) say(`  failed in run ${which.join(', ')}: ${name}`);
    return green === runs ? 0 : 1;
  } finally {
    if (!values.keep) {
      rmSync(join(work, 'install'), { recursive: true, force: true });
      if (green === runs) rmSync(work, { recursive: true, force: true });
    }
  }
});
