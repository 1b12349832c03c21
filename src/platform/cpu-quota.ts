/**
 * The CPU quota of this process's control group and how long it held the group back: a container
 * limited to half a CPU (Gradescope's default share) runs everything in it — the grader, the probe
 * and the submission — on that half, and the kernel throttles the group once the share of a
 * scheduling period is spent. cgroup v2 keeps these in the group's `cpu.max` and `cpu.stat`; v1 in
 * the cpu controller's `cpu.cfs_quota_us`, `cpu.cfs_period_us` and `cpu.stat`. Inside a container
 * the group is mounted at the controller's root; on a host it is the path /proc/self/cgroup names.
 * Linux only: elsewhere there is no quota to read.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CpuQuota {
  /** The CPUs the group may use: quota ÷ period (0.5 for half a CPU). */
  readonly cpus: number;
  /** The folder holding the group's files. */
  readonly dir: string;
}

export interface Throttling {
  /** Time the group has spent held back by its quota, ms. */
  readonly throttledMs: number;
}

const readTrimmed = async (file: string): Promise<string> => (await readFile(file, 'utf8').catch(() => '')).trim();

/** `cpu.max` (v2: "max 100000" or "50000 100000") as CPUs; undefined when unlimited or unreadable. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  return quotaCpus(Number(quota), Number(period));
}

/** v1's quota and period (µs; a quota of −1 is none) as CPUs. */
export function quotaCpus(quotaUs: number, periodUs: number): number | undefined {
  return Number.isFinite(quotaUs) && Number.isFinite(periodUs) && quotaUs > 0 && periodUs > 0 ? quotaUs / periodUs : undefined;
}

/** `cpu.stat`'s time held back by the quota: v2's throttled_usec, v1's throttled_time (ns). */
export function parseCpuStat(text: string): Throttling | undefined {
  const v2 = /^throttled_usec (\d+)$/m.exec(text);
  if (v2) return { throttledMs: Number(v2[1]) / 1000 };
  const v1 = /^throttled_time (\d+)$/m.exec(text);
  return v1 ? { throttledMs: Number(v1[1]) / 1e6 } : undefined;
}

/** The group of the cpu controller named in /proc/self/cgroup (v1), '/' when none is. */
export function cpuGroupV1(procSelfCgroup: string): string {
  const line = procSelfCgroup.split('\n').find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l));
  return line?.slice(line.lastIndexOf(':') + 1) || '/';
}

/** This process's CPU quota, if its group has one. */
export async function cpuQuota(): Promise<CpuQuota | undefined> {
  const v2 = parseCpuMax(await readTrimmed('/sys/fs/cgroup/cpu.max'));
  if (v2 !== undefined) return { cpus: v2, dir: '/sys/fs/cgroup' };
  const group = cpuGroupV1(await readTrimmed('/proc/self/cgroup'));
  for (const mount of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    for (const dir of [join(mount, group), mount]) {
      const cpus = quotaCpus(Number(await readTrimmed(join(dir, 'cpu.cfs_quota_us'))), Number(await readTrimmed(join(dir, 'cpu.cfs_period_us'))));
      if (cpus !== undefined) return { cpus, dir };
    }
  }
  return undefined;
}

/** How long the quota has held the group back so far (two readings, a difference). */
export async function throttling(quota: CpuQuota): Promise<Throttling | undefined> {
  return parseCpuStat(await readTrimmed(join(quota.dir, 'cpu.stat')));
}
