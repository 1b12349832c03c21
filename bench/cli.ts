/**
 * `npm run bench -- [options]`: pacing, sync, cost and scale of avsock's server and client, side by
 * side with the tutorial's pacing method. Prints a table per section, writes JSON (--json) and
 * refreshes the generated part of docs/PERFORMANCE.md. Not a test: nothing here asserts a target.
 *
 * Folder bench/: the benchmark behind docs/PERFORMANCE.md. May import: src/, grader/.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../src/errors.ts';
import { git } from '../src/platform/git.ts';
import { resolveFfmpeg } from '../src/platform/tools.ts';
import { startChild, stopAllChildren } from '../src/process/children.ts';
import { describeError, numberOption, parseOptions, runMain } from '../src/cli/main.ts';
import { REPO_ROOT } from './start-programs.ts';
import {
  updateDoc,
  DOC,
  capacityTable,
  costTable,
  fanoutTable,
  layoutTable,
  machineLine,
  pacingTable,
  ratioTable,
  reportsTable,
  tailRunTable,
  tailTable,
  targetTable,
} from './report.ts';
import { pacingRatios, summarizeCapacity, tailOf, type BenchResult, type GraderTiming, type Machine } from './result.ts';
import { evaluateTargets } from './targets.ts';
import { measureLayouts, type LayoutResult } from './sections/ffmpeg-layout.ts';
import { serverPyUnavailable, type Method } from './senders.ts';
import { measureCapacity, STAGES, type Stage, type StageResult } from './sections/capacity.ts';
import { measureCost, measureStartup, type CostResult, type StartupResult } from './sections/cost.ts';
import { measureFanout, type FanoutResult } from './sections/fanout.ts';
import { fidelityTable, measureFidelity, type FidelityResult } from './sections/fidelity.ts';
import { measurePacing, type PacingResult } from './sections/pacing.ts';
import { measureReports, type ReportsResult } from './sections/reports.ts';
import { LOSSES_PCT, lossCurveTable, measureLossCurve, measureRelayCost, relayCostTable, type LossPoint, type RelayCost } from './sections/network.ts';
import { combineRuns, median, spread } from './summary.ts';

const SECTIONS = ['pacing', 'layout', 'capacity', 'cpu', 'fanout', 'startup', 'rss', 'class', 'fidelity', 'network', 'reports'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `npm run bench -- [options]

Measures avsock on this machine (loopback only) and prints a table per section:
  pacing    clips at 15, 23.976, 25, 30, 60 fps (720p + audio) in tutorial wire, from four senders
            measured by the grader's probe in the same run: a bare "perfect sender" (the floor),
            avsock (deadline pacing, with a send trace → where the tail of the jitter comes from),
            the tutorial's real server.py (when python3 + OpenCV are installed) and avsock's
            emulation of server.py's loop: fps error, jitter p50/p99, drift, A/V offset, CPU
  layout    CPU of the media layouts: two ffmpeg processes vs one with two outputs, thread counts
  capacity  unpaced frames/s, 720p and 1080p → 400 px, per stage and per core; ffmpeg vs sharp
  cpu       CPU per stream-second of server and client at 30 fps
  fanout    1 … 200 clients on one framed server (receivers timed by the kernel, ≤ 10 per process),
            and the floor at 200: jitter p99, loss, server CPU
  startup   server start → first frame at a client; the grader's wall time for one submission
  rss       peak RSS of server and client (tree Σ VmHWM)
  class     sandbox start-up per submission; a generated class of tutorial copies graded with
            class (default --jobs, sandboxed): minutes per 30 students
  fidelity  the tutorial's server.py measured by the grader's probe and by an independent real-time
            client (grader/testing/plain_client.py), side by side
  network   both wires through the impairment relay (npm run relay) at 0, 0.5, 1, 2, 5, 10 % loss,
            MTU 1500: share of frames delivered whole, longest freeze, A/V offset, audio held back;
            and the relay's own CPU at 720p30
  reports   every report of one graded submission (JSON, Markdown, JUnit, Gradescope, report.html,
            PrairieLearn) from a recorded run: in a fresh process, imports included, and again warm

Options:
  --quick          ≤ 2 min: one 30 fps 720p clip, shorter recordings, one round, no floor sender beside
                   the fan-out, the loss curve at 10 % only and no relay cost, no grader run
  --runs N         repeat every measurement N times, report medians and their spread (default 1)
  --only LIST      comma-separated sections, e.g. --only pacing,fanout
  --class-size N   students in the class section (default 3, extrapolated to 30; 30 measures it)
  --json FILE      write the results as JSON
  --no-doc         do not update docs/PERFORMANCE.md (a full, not --quick, run of all sections updates it)
  --nice=N         run the bench and everything it starts at this nice level (e.g. --nice=-10; negative needs root):
                   shields the measurement from other jobs on a shared machine (stated in the results)
  --help

Clips are cached in .cache/bench/. Whole suite ≈ 8 min on 2 cores; other load on the machine shows
up as jitter — the load average before/after is printed with the results.
`;

interface Plan {
  quick: boolean;
  runs: number;
  sections: Set<Section>;
  rates: string[];
  pacingSeconds: number;
  fanoutClients: number[];
  fanoutSeconds: number;
  layoutSeconds: number;
  /** Senders measured per clip rate (server.py only when it can run). */
  senders: (rate: string) => Method[];
  costSeconds: number;
  startupRuns: number;
  capacity: Array<{ height: 720 | 1080; stages: readonly Stage[]; clipSeconds?: number }>;
  /** Fresh processes that write every report (each once cold, then warm). */
  reportProcesses: number;
  /** Interleaved rounds of the media layouts (at least this many, or --runs). */
  layoutRounds: number;
  grader: boolean;
}

function makePlan(quick: boolean, runs: number, sections: Set<Section>): Plan {
  return {
    quick,
    runs,
    sections,
    // --quick: every section reads the one 14-s 30 fps 720p clip, so a fresh clone makes one clip.
    rates: quick ? ['30'] : ['15', '24000/1001', '25', '30', '60'],
    pacingSeconds: quick ? 4 : 8,
    fanoutClients: quick ? [200] : [1, 10, 50, 100, 200],
    fanoutSeconds: quick ? 4 : 8,
    layoutSeconds: quick ? 3 : 8,
    layoutRounds: quick ? 1 : 3,
    // A process takes about 2 s: the median of three stays cheap enough for --quick.
    reportProcesses: 3 * runs,
    senders: (rate) => {
      const all: Method[] = ['floor', 'deadline'];
      if (!serverPyUnavailable() && (!quick || rate === '30')) all.push('server.py');
      if (!quick) all.push('tutorial');
      return all;
    },
    costSeconds: quick ? 4 : 8,
    startupRuns: quick ? 1 : 3,
    capacity: quick
      ? [{ height: 720, stages: STAGES, clipSeconds: 14 }]
      : [
          { height: 720, stages: STAGES },
          { height: 1080, stages: STAGES },
        ],
    grader: !quick,
  };
}

async function machineInfo(): Promise<Machine> {
  // 'unknown' outside a git checkout (or without git)
  const head = await git(REPO_ROOT, ['rev-parse', '--short', 'HEAD'], { allowFail: true, timeoutMs: 10_000 }).catch(() => undefined);
  const commit = head?.code === 0 ? head.stdout.trim() : 'unknown';
  let ffmpeg = 'ffmpeg: not found';
  try {
    ffmpeg = resolveFfmpeg().version ?? 'ffmpeg (version unknown)';
  } catch (error) {
    ffmpeg = `ffmpeg: ${describeError(error)}`;
  }
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    loadAvgBefore: os.loadavg(),
    node: process.version,
    ffmpeg,
    kernel: os.release(),
    date: new Date().toISOString(),
    commit,
  };
}

/** Runs `measure` `runs` times and returns each run (for medians and spread). */
async function repeat<T>(runs: number, measure: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await measure());
  return out;
}

async function timeGrader(log: (msg: string) => void): Promise<GraderTiming> {
  const out = await mkdtemp(join(os.tmpdir(), 'avsock-bench-grade-'));
  const t0 = performance.now();
  const child = startChild(process.execPath, ['--import', 'tsx', 'grader/cli.ts', '--no-save', '--quiet', '--out', out], {
    name: 'grader',
    cwd: REPO_ROOT,
    detached: true,
  });
  child.process.stdout?.resume();
  const timeout = setTimeout(() => void child.stop(), 150_000);
  try {
    const exit = await child.exited;
    const wallS = (performance.now() - t0) / 1000;
    if (child.stopping) return { measured: false, reason: 'the grader took over 150 s and was stopped' };
    log(`grader: ${wallS.toFixed(1)} s, exit ${exit.code}`);
    // Exit 1 = the submission scored below the pass mark: the wall time still counts.
    if (exit.code === 0 || exit.code === 1) return { measured: true, wallS, exit: `exit ${exit.code}` };
    return { measured: false, reason: `the grader failed (exit ${exit.code ?? exit.signal}): ${child.stderrTail(1).trim()}` };
  } catch (error) {
    return { measured: false, reason: describeError(error) };
  } finally {
    clearTimeout(timeout);
    await child.stop();
    await rm(out, { recursive: true, force: true });
  }
}

function noiseOf(
  plan: Plan,
  runs: { pacing: PacingResult[][]; fanout: FanoutResult[][]; capacity: StageResult[][]; startup: StartupResult[] },
): BenchResult['noise'] {
  const spreads: BenchResult['noise']['spreads'] = {};
  for (const group of runs.pacing) {
    if (group.length < 2) continue;
    const { value, noise } = combineRuns(group);
    spreads[`pacing ${value.clipRate} ${value.method} jitterP99Ms`] = noise.jitterP99Ms!;
    spreads[`pacing ${value.clipRate} ${value.method} fpsErrorPct`] = noise.fpsErrorPct!;
    spreads[`pacing ${value.clipRate} ${value.method} serverCpuPct`] = noise.serverCpuPct!;
  }
  for (const group of runs.fanout) {
    if (group.length < 2) continue;
    const { value, noise } = combineRuns(group);
    spreads[`fanout ${value.sender} ${value.clients} jitterP99Ms`] = noise.jitterP99Ms!;
    spreads[`fanout ${value.sender} ${value.clients} serverCpuPct`] = noise.serverCpuPct!;
  }
  for (const group of runs.capacity) {
    if (group.length < 2) continue;
    spreads[`capacity ${group[0]!.source} ${group[0]!.stage} fpsPerCore`] = spread(group.map((g) => g.fpsPerCore));
  }
  if (runs.startup.length >= 2) spreads['startup firstFrameMs'] = spread(runs.startup.map((s) => s.firstFrameMs));
  const rel = Object.values(spreads)
    .map((s) => s.relPct)
    .filter(Number.isFinite);
  const note =
    rel.length === 0
      ? 'single run: spread not measured (use --runs 3); the load average shows how busy the machine was.'
      : `${plan.runs} run${plan.runs > 1 ? 's' : ''} per figure (start-up ${plan.startupRuns}); (max − min) ÷ median across repeats: median ${median(rel).toFixed(0)} %, worst ${Math.max(...rel).toFixed(0)} % (see noise.spreads in the JSON).`;
  return { runs: plan.runs, spreads, note };
}

interface Run {
  readonly plan: Plan;
  readonly runs: number;
  readonly sections: ReadonlySet<Section>;
  readonly classSize: string | undefined;
  readonly log: (msg: string) => void;
}

/** What the sections measured, each left undefined (or empty) when its section did not run. */
interface Measured {
  raw: { pacing: PacingResult[][]; fanout: FanoutResult[][]; capacity: StageResult[][]; startup: StartupResult[] };
  layouts: LayoutResult[][];
  capacity?: BenchResult['capacity'];
  cost?: CostResult;
  grader?: GraderTiming;
  startupMs?: number;
  classResult?: Record<string, unknown>;
  fidelity?: FidelityResult;
  network?: { lossCurve: LossPoint[]; relayCost: RelayCost[] };
  reports?: ReportsResult;
}

const print = (title: string, table: string): void => void process.stdout.write(`\n== ${title}\n${table}\n`);

async function runPacing({ plan, runs, log }: Run, m: Measured): Promise<void> {
  const why = serverPyUnavailable();
  if (why) log(`the tutorial's server.py is not measured: ${why}`);
  for (const rate of plan.rates) {
    for (const method of plan.senders(rate)) {
      log(`pacing ${rate} fps, ${method}`);
      try {
        m.raw.pacing.push(await repeat(runs, () => measurePacing({ rate, method, seconds: plan.pacingSeconds, log })));
      } catch (error) {
        log(`pacing ${rate} fps, ${method}: not measured (${describeError(error)})`);
      }
    }
  }
  const rows = m.raw.pacing.map((g) => combineRuns(g).value);
  print('pacing and sync (tutorial wire, measured by the probe client)', pacingTable(rows));
  print('jitter p99 side by side', ratioTable(pacingRatios(rows)));
  const tail = tailOf(rows);
  if (tail) {
    print("where the tail of avsock's jitter comes from", tailTable(tail));
    print('per run', tailRunTable(tail));
  }
}

async function runLayout({ plan, runs, log }: Run, m: Measured): Promise<void> {
  m.layouts.push(...(await measureLayouts(Math.max(runs, plan.layoutRounds), plan.layoutSeconds, log)));
  print('media layouts (CPU of the process tree)', layoutTable(m.layouts.map((g) => combineRuns(g).value)));
}

async function runCapacity({ plan, runs, log }: Run, m: Measured): Promise<void> {
  for (const { height, stages, clipSeconds } of plan.capacity) {
    log(`capacity ${height}p`);
    const reps = await repeat(runs, () => measureCapacity(height, stages, log, clipSeconds));
    stages.forEach((_, i) => m.raw.capacity.push(reps.map((rep) => rep[i]!)));
  }
  // With a single run, repeat the headline stage 3× anyway: it is cheap and states the noise.
  if (runs === 1 && !plan.quick) {
    const extra = await repeat(2, () => measureCapacity(720, ['+pipe'], log));
    const group = m.raw.capacity.find((g) => g[0]!.source === '720p' && g[0]!.stage === '+pipe');
    group?.push(...extra.map((e) => e[0]!));
  }
  const capacity = summarizeCapacity(m.raw.capacity.map((g) => combineRuns(g).value));
  m.capacity = capacity;
  print('pipeline capacity (unpaced, → 400 px)', capacityTable(capacity.stages));
  process.stdout.write(`dominant stage at 720p: ${capacity.dominantStage720}\n`);
}

async function runFanout({ plan, runs, log }: Run, m: Measured): Promise<void> {
  for (const clients of plan.fanoutClients) {
    log(`fan-out ${clients} clients`);
    m.raw.fanout.push(await repeat(runs, () => measureFanout(clients, plan.fanoutSeconds, log)));
  }
  // The floor (a bare sender) beside the largest fan-out; --quick leaves it to the full bench.
  if (!plan.quick) {
    const most = Math.max(...plan.fanoutClients);
    log(`fan-out ${most} clients, floor`);
    m.raw.fanout.push(await repeat(runs, () => measureFanout(most, plan.fanoutSeconds, log, 'floor')));
  }
  print('fan-out (framed wire)', fanoutTable(m.raw.fanout.map((g) => combineRuns(g).value)));
}

async function runStartup({ plan, runs, log }: Run, m: Measured): Promise<void> {
  for (let i = 0; i < plan.startupRuns * runs; i++) {
    log(`start-up ${i + 1}`);
    m.raw.startup.push(await measureStartup(log));
  }
  m.startupMs = median(m.raw.startup.map((s) => s.firstFrameMs));
  if (plan.grader) {
    log('grader wall time (npm run grade -- --no-save)');
    m.grader = await timeGrader(log);
  } else m.grader = { measured: false, reason: '--quick skips the grader run (it takes about a minute)' };
}

async function runClass({ plan, classSize, log }: Run, m: Measured): Promise<void> {
  const { classTable, measureClass, measureSandboxStartup } = await import('./sections/class-throughput.ts');
  const students = numberOption('class-size', classSize, 3, { min: 1, max: 60, integer: true });
  const startup = await measureSandboxStartup(plan.quick ? 3 : 10);
  // --quick runs no grader (it takes minutes) unless --class-size asks for it.
  const klass =
    plan.quick && classSize === undefined
      ? { students, jobs: 0, sandbox: startup.measured, measured: false, reason: '--quick grades no class (add --class-size N)' }
      : await measureClass({ students, log });
  m.classResult = { startup, class: klass };
  print('class throughput (grade class, sandboxed)', classTable(klass, startup));
}

/** Runs the chosen sections in order; every child process is stopped whatever happens. */
async function measureSections(run: Run): Promise<Measured> {
  const { plan, runs, sections, log } = run;
  const m: Measured = { raw: { pacing: [], fanout: [], capacity: [], startup: [] }, layouts: [] };
  try {
    if (sections.has('pacing')) await runPacing(run, m);
    if (sections.has('layout')) await runLayout(run, m);
    if (sections.has('capacity')) await runCapacity(run, m);
    if (sections.has('fanout')) await runFanout(run, m);
    if (sections.has('cpu') || sections.has('rss')) {
      log('cost: server + client at 30 fps');
      m.cost = combineRuns(await repeat(runs, () => measureCost(plan.costSeconds, log))).value;
    }
    if (sections.has('startup')) await runStartup(run, m);
    if (sections.has('class')) await runClass(run, m);
    if (sections.has('network')) {
      // --quick: the curve's far end (10 %) only and no relay cost (its floor comparison needs long runs).
      const lossCurve = await measureLossCurve(plan.quick ? 3 : 8, log, plan.quick ? [10] : LOSSES_PCT);
      print('the network as the lesson: frames delivered whole as loss rises (MTU 1500, relay seed 1)', lossCurveTable(lossCurve));
      const relayCost = plan.quick ? [] : await measureRelayCost(10, log);
      if (!plan.quick) print("the relay's own cost (profile lan, 30 fps)", relayCostTable(relayCost));
      m.network = { lossCurve, relayCost };
    }
    if (sections.has('reports')) {
      m.reports = await measureReports(plan.reportProcesses, log);
      print('writing the reports of one graded submission (recorded run, every format)', reportsTable(m.reports));
    }
    if (sections.has('fidelity')) {
      m.fidelity = await measureFidelity(plan.quick ? 4 : 8, log, runs);
      print("fidelity: the grader's probe vs an independent real-time client (tutorial server.py)", fidelityTable(m.fidelity));
    }
  } finally {
    await stopAllChildren();
  }
  return m;
}

function benchResult(run: Run, m: Measured, machine: Machine, durationS: number): BenchResult {
  const { plan, sections } = run;
  const { raw, layouts, capacity, cost, grader, startupMs, classResult, reports } = m;
  const pacing = raw.pacing.map((g) => combineRuns(g).value);
  const partial: Omit<BenchResult, 'targets'> = {
    version: 1,
    mode: plan.quick ? 'quick' : 'full',
    durationS,
    machine,
    pacing,
    pacingRatios: pacingRatios(pacing),
    ...(tailOf(pacing) ? { tail: tailOf(pacing)! } : {}),
    ...(layouts.length ? { ffmpegLayouts: layouts.map((g) => combineRuns(g).value) } : {}),
    ...(capacity ? { capacity } : {}),
    ...(cost ? { cost } : {}),
    fanout: raw.fanout.map((g) => combineRuns(g).value),
    ...(startupMs !== undefined ? { startupMs, startup: raw.startup } : {}),
    ...(grader ? { grader } : {}),
    ...(cost && sections.has('rss') ? { rssMb: { server: cost.serverPeakRssMb, client: cost.clientPeakRssMb } } : {}),
    noise: noiseOf(plan, raw),
    ...(classResult ? { class: classResult } : {}),
    ...(reports ? { reports } : {}),
  };
  return { ...partial, targets: evaluateTargets(partial) };
}

/** --only's sections, each checked against the known ones. */
function chosenSections(only: string | undefined): Set<Section> {
  const sections = new Set<Section>();
  for (const name of (only ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new UsageError(`--only: unknown section "${name}"; choose from ${SECTIONS.join(', ')}`);
    sections.add(name as Section);
  }
  return sections;
}

/** --nice: lowers (or, as root, raises) this process's priority; children (server, client, ffmpeg, probes) inherit it. */
function applyNice(nice: string | undefined): number | undefined {
  if (nice === undefined) return undefined;
  const level = numberOption('nice', nice, 0, { min: -20, max: 19, integer: true });
  try {
    os.setPriority(level);
  } catch (error) {
    throw new UsageError(`--nice ${level}: ${describeError(error)} (negative levels need root)`);
  }
  return level;
}

runMain('bench', async (argv) => {
  const { values } = parseOptions('bench', argv, {
    quick: { type: 'boolean' },
    json: { type: 'string' },
    runs: { type: 'string' },
    only: { type: 'string' },
    'no-doc': { type: 'boolean' },
    nice: { type: 'string' },
    'class-size': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const runs = numberOption('runs', values.runs, 1, { min: 1, max: 20, integer: true });
  const sections = chosenSections(values.only);
  const plan = makePlan(Boolean(values.quick), runs, sections);
  const niceLevel = applyNice(values.nice);
  const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
  const started = performance.now();
  const machine = await machineInfo();
  if (niceLevel !== undefined) machine.nice = niceLevel;
  process.stdout.write(`machine: ${machineLine(machine)}\n`);

  const run: Run = { plan, runs, sections, classSize: values['class-size'], log };
  const measured = await measureSections(run);
  machine.loadAvgAfter = os.loadavg();
  const result = benchResult(run, measured, machine, (performance.now() - started) / 1000);
  if (measured.cost || result.startup || measured.grader) print('cost, start-up, memory', costTable(result));
  print('targets', targetTable(result.targets));
  process.stdout.write(
    `\nnoise: ${result.noise.note}\nmachine after: load average ${machine.loadAvgAfter.map((x) => x.toFixed(2)).join(' ')}; ${result.durationS.toFixed(0)} s in all\n`,
  );
  if (values.json) {
    const { fidelity, network } = measured;
    await writeFile(
      values.json,
      `${JSON.stringify({ ...result, ...(fidelity ? { fidelity } : {}), ...(network ? { network } : {}) }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
    );
    process.stdout.write(`json: ${values.json}\n`);
  }
  // Only a full run of every section writes the document: --quick's shorter recordings are a check, not the record.
  if (!values['no-doc'] && !values.quick && sections.size === SECTIONS.length) {
    await updateDoc(result);
    process.stdout.write(`updated ${DOC}\n`);
  }
  return 0;
});
