/**
 * The machine's load during a measurement window, for the report: a timing figure taken while the
 * CPUs were saturated says more about the machine than about the submission, so such a run is
 * flagged as disturbed. CPU time per OS from src/platform/cpu-times.ts; the load average (0 on Windows).
 */
import { availableParallelism, loadavg } from 'node:os';
import { busyPercent, cpuTimes } from '../../../src/platform/cpu-times.ts';

export interface MachineLoad {
  cores: number;
  /** 1-minute load average when the window started and ended. */
  loadavgStart: number;
  loadavgEnd: number;
  /** Share of all CPU time that was busy during the window, % (null: the OS gave no CPU times). */
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
    const cpuBusyPct = busyPercent(t0, t1);
    const reasons: string[] = [];
    if (cpuBusyPct !== null && cpuBusyPct >= DISTURBED_BUSY_PCT) reasons.push(`CPUs ${cpuBusyPct.toFixed(0)} % busy during the window`);
    if (loadavgStart > cores * 1.5) reasons.push(`load average ${loadavgStart.toFixed(1)} on ${cores} cores when it started`);
    return { cores, loadavgStart, loadavgEnd, cpuBusyPct, disturbed: reasons.length > 0, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
  };
}
