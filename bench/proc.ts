/**
 * CPU time and peak memory of a process tree, read from Linux /proc (proc(5)).
 *
 * CPU of a tree = Σ over live members of utime + stime + cutime + cstime. cutime/cstime hold the
 * CPU of children that already exited and were reaped (an ffmpeg that finished a loop), and a live
 * child is not in its parent's cutime yet, so nothing is counted twice.
 * Peak RSS of a tree = Σ VmHWM of the live members (an upper bound of the tree's true peak: the
 * members need not have peaked at the same moment).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks (CLK_TCK per second). */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

/**
 * Parses /proc/<pid>/stat. `comm` is in parentheses and may hold spaces and ')' — so the fields
 * after it are taken from the LAST ')' (proc(5)). Field numbers: ppid 4, utime 14, stime 15,
 * cutime 16, cstime 17 (1-based).
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 60)}`);
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field k is rest[k - 3].
  const field = (k: number): number => {
    const v = Number(rest[k - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc stat field ${k} is not a number in: ${text.slice(0, 80)}`);
    return v;
  };
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

/** VmHWM (peak resident set) in kB from /proc/<pid>/status text; undefined for kernel threads/zombies. */
export function parseVmHwmKb(statusText: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) : undefined;
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

let clkTck: number | undefined;
/** CLK_TCK (ticks per second of /proc times); 100 on every Linux we know of. */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // exited between readdir and read
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
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
  for (const p of processTree(pid)) {
    try {
      kb += parseVmHwmKb(readFileSync(`/proc/${p}/status`, 'utf8')) ?? 0;
    } catch {
      // gone
    }
  }
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
