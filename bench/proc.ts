/**
 * CPU time and peak memory of a process tree, read from Linux /proc (proc(5)).
 *
 * CPU of a tree = Σ over live members of utime + stime + cutime + cstime. cutime/cstime hold the
 * CPU of children that already exited and were reaped (an ffmpeg that finished a loop), and a live
 * child is not in its parent's cutime yet, so nothing is counted twice.
 * Peak RSS of a tree = Σ VmHWM of the live members (an upper bound of the tree's true peak: the
 * members need not have peaked at the same moment).
 */
import {
  LINUX_CLOCK_TICKS_PER_SECOND,
  linuxProcStatsSync,
  linuxProcStatusSync,
  parseProcStatFields,
  parseProcStatusNumber,
  type ProcStatFields,
} from '../src/platform/processes.ts';

/** A process's stat line (proc(5)) as the bench reads it (src/platform/processes.ts parses it). */
export type ProcStat = ProcStatFields;

/** parseProcStatFields(), for the bench: a line that is not a stat line, or lacks CPU times, is an error. */
export function parseProcStat(text: string): ProcStat {
  const s = parseProcStatFields(text);
  if (!s) throw new Error(`not a proc(5) stat line: ${text.slice(0, 60)}`);
  for (const [k, v] of Object.entries({ 14: s.utime, 15: s.stime, 16: s.cutime, 17: s.cstime })) {
    if (!Number.isFinite(v)) throw new Error(`/proc stat field ${k} is not a number in: ${text.slice(0, 80)}`);
  }
  return s;
}

/** VmHWM (peak resident set) in kB from a process's status text (proc(5)); undefined for kernel threads/zombies. */
export function parseVmHwmKb(statusText: string): number | undefined {
  return parseProcStatusNumber(statusText, 'VmHWM');
}

/** Total ticks of one stat (own + reaped children). */
export function statTicks(s: ProcStat): number {
  return s.utime + s.stime + s.cutime + s.cstime;
}

/** Given every process's stat, the pids of `root` and all its descendants. */
export function descendants(root: number, all: readonly ProcStat[]): number[] {
  const children = new Map<number, number[]>();
  for (const s of all) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CLK_TCK (ticks per second of /proc times). */
export function ticksPerSecond(): number {
  return LINUX_CLOCK_TICKS_PER_SECOND;
}

function allStats(): ProcStat[] {
  return linuxProcStatsSync();
}

/** Live pids of the tree rooted at `pid` (itself first). Empty when it is gone. */
export function processTree(pid: number): number[] {
  const all = allStats();
  if (!all.some((s) => s.pid === pid)) return [];
  return descendants(pid, all);
}

/** CPU seconds used so far by the tree rooted at `pid` (see the header). */
export function treeCpuSeconds(pid: number): number {
  const all = allStats();
  const byPid = new Map(all.map((s) => [s.pid, s]));
  if (!byPid.has(pid)) return Number.NaN;
  let ticks = 0;
  for (const p of descendants(pid, all)) ticks += statTicks(byPid.get(p)!);
  return ticks / ticksPerSecond();
}

/** Σ VmHWM of the live tree, MB (1 MB = 1024 kB, as `top`). */
export function treePeakRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) kb += linuxProcStatusSync(p, 'VmHWM') ?? 0;
  return kb / 1024;
}

/**
 * Samples a tree's CPU seconds every `intervalMs` so a window [from, to] can be cut afterwards
 * (CPU of the steady part only, without start-up). Keeps the largest peak RSS seen, too.
 */
export class TreeSampler {
  /** atMs: epoch ms (performance.timeOrigin + now), comparable across processes. */
  readonly samples: Array<{ atMs: number; cpuS: number }> = [];
  peakRssMb = 0;
  private timer: NodeJS.Timeout | undefined;
  private n = 0;
  constructor(
    private readonly pid: number,
    private readonly intervalMs = 200,
  ) {}
  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }
  sample(): void {
    const cpuS = treeCpuSeconds(this.pid);
    if (Number.isFinite(cpuS)) this.samples.push({ atMs: performance.timeOrigin + performance.now(), cpuS });
    // VmHWM only grows: reading it every ~1 s is enough and keeps the sampler light.
    if (this.n++ % 5 === 0) this.peakRssMb = Math.max(this.peakRssMb, treePeakRssMb(this.pid));
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }
  /** CPU % of one core between two epoch times (ms; nearest samples inside the window). */
  cpuPct(fromMs: number, toMs: number): number {
    return windowCpuPct(this.samples, fromMs, toMs);
  }
}

/** CPU % of one core over [fromMs, toMs] from cumulative samples: first sample ≥ from, last ≤ to. */
export function windowCpuPct(samples: ReadonlyArray<{ atMs: number; cpuS: number }>, fromMs: number, toMs: number): number {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  if (inside.length < 2) return Number.NaN;
  const a = inside[0]!;
  const b = inside[inside.length - 1]!;
  if (b.atMs <= a.atMs) return Number.NaN;
  return ((b.cpuS - a.cpuS) / ((b.atMs - a.atMs) / 1000)) * 100;
}
