/**
 * The machine's load during a measurement window, for the report: a timing figure taken while the
 * CPUs were saturated says more about the machine than about the submission, so such a run is
 * flagged as disturbed. Linux /proc/stat (read asynchronously); elsewhere only os.loadavg().
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';

interface CpuTimes {
  busy: number;
  total: number;
}

async function cpuTimes(): Promise<CpuTimes | undefined> {
  try {
    const first = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    const v = first.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: idle + iowait are not busy.
    const total = v.reduce((s, x) => s + x, 0);
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

export interface MachineLoad {
  cores: number;
  /** 1-minute load average when the window started and ended. */
  loadavgStart: number;
  loadavgEnd: number;
  /** Share of all CPU time that was busy during the window, % (null: not on Linux). */
  cpuBusyPct: number | null;
  /** The window ran on a saturated machine: its timing figures may be the machine's, not the submission's. */
  disturbed: boolean;
  reason?: string;
}

/** Busy share at or above which the run is flagged (the submission itself uses well under one core). */
export const DISTURBED_BUSY_PCT = 90;

export async function startLoadWatch(): Promise<() => Promise<MachineLoad>> {
  const cores = availableParallelism();
  const loadavgStart = loadavg()[0]!;
  const t0 = await cpuTimes();
  return async () => {
    const t1 = await cpuTimes();
    const loadavgEnd = loadavg()[0]!;
    const cpuBusyPct = t0 && t1 && t1.total > t0.total ? ((t1.busy - t0.busy) / (t1.total - t0.total)) * 100 : null;
    const reasons: string[] = [];
    if (cpuBusyPct !== null && cpuBusyPct >= DISTURBED_BUSY_PCT) reasons.push(`CPUs ${cpuBusyPct.toFixed(0)} % busy during the window`);
    if (loadavgStart > cores * 1.5) reasons.push(`load average ${loadavgStart.toFixed(1)} on ${cores} cores when it started`);
    return { cores, loadavgStart, loadavgEnd, cpuBusyPct, disturbed: reasons.length > 0, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
  };
}
