/**
 * The whole machine's CPU time so far, busy and total, for "was the machine saturated during this
 * window?" (two readings, a difference):
 *
 * - Linux: the first line of /proc/stat (user nice system idle iowait irq softirq steal …, in clock
 *   ticks), read asynchronously so a reading never blocks an event loop that is timing a stream.
 *   idle and iowait are not busy.
 * - macOS, Windows: os.cpus() (per-core user/nice/sys/idle/irq in ms, from host_processor_info and
 *   NtQuerySystemInformation); a synchronous call, but one without file reads there.
 *
 * Units differ between the branches; only the ratio of two differences is meaningful.
 */
import { readFile } from 'node:fs/promises';
import { cpus, type CpuInfo } from 'node:os';

export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStatCpu(text: string): CpuTimes | undefined {
  const first = text.split('\n')[0] ?? '';
  if (!/^cpu\s/.test(first)) return undefined;
  const v = first.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((x) => !Number.isFinite(x))) return undefined;
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/** Sum over cores of os.cpus() times. */
export function sumCpuInfo(list: readonly Pick<CpuInfo, 'times'>[]): CpuTimes | undefined {
  if (list.length === 0) return undefined;
  let busy = 0;
  let total = 0;
  for (const { times: t } of list) {
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Busy and total CPU time of the machine now, or undefined when the OS does not say. */
export async function cpuTimes(platform: NodeJS.Platform = process.platform): Promise<CpuTimes | undefined> {
  if (platform === 'linux') {
    const text = await readFile('/proc/stat', 'utf8').catch(() => undefined);
    if (text !== undefined) return parseProcStatCpu(text);
  }
  return sumCpuInfo(cpus());
}

/** Busy share between two readings, %, or null when either is missing or no time passed. */
export function busyPercent(a: CpuTimes | undefined, b: CpuTimes | undefined): number | null {
  return a && b && b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : null;
}
