/**
 * The machine's load during a measurement window, for the report: a timing figure taken while the
 * CPUs were saturated says more about the machine than about the submission, so such a run is
 * flagged as disturbed. CPU time per OS from src/platform/cpu-times.ts; the load average (0 on Windows).
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { busyPercent, cpuTimes } from '../../../src/platform/cpu-times.ts';
import { cpuQuota, throttling } from '../../../src/platform/cpu-quota.ts';

export interface MachineLoad {
  cores: number;
  /** 1-minute load average when the window started and ended. */
  loadavgStart: number;
  loadavgEnd: number;
  /** Share of all CPU time that was busy during the window, % (null: the OS gave no CPU times). */
  cpuBusyPct: number | null;
  /** The CPUs this grader's control group may use (a container's limit), when it has a quota. */
  cpuQuota?: number;
  /** Share of the window's time in which that quota was used up and the group was held back, %. */
  throttledPct?: number;
  /** The window ran on a saturated machine: its timing figures may be the machine's, not the submission's. */
  disturbed: boolean;
  reason?: string;
}

/** Busy share at or above which the run is flagged (the submission itself uses well under one core). */
export const DISTURBED_BUSY_PCT = 90;

/**
 * Share of the window in which the CPU quota held the grader, probe and submission back, from which
 * the run is flagged: each time it does, the stream stops for the rest of the scheduling period (up
 * to 100 ms), which a server with a whole CPU never sees.
 */
export const DISTURBED_THROTTLED_PCT = 10;

export async function startLoadWatch(): Promise<() => Promise<MachineLoad>> {
  const cores = availableParallelism();
  const loadavgStart = loadavg()[0]!;
  const t0 = await cpuTimes();
  const quota = await cpuQuota();
  const q0 = quota && (await throttling(quota));
  const startedMs = performance.now();
  return async () => {
    const t1 = await cpuTimes();
    const q1 = quota && (await throttling(quota));
    const windowMs = performance.now() - startedMs;
    const loadavgEnd = loadavg()[0]!;
    const cpuBusyPct = busyPercent(t0, t1);
    const throttledPct = q0 && q1 && windowMs > 0 ? (100 * (q1.throttledMs - q0.throttledMs)) / windowMs : undefined;
    const reasons: string[] = [];
    if (cpuBusyPct !== null && cpuBusyPct >= DISTURBED_BUSY_PCT) reasons.push(`CPUs ${cpuBusyPct.toFixed(0)} % busy during the window`);
    if (loadavgStart > cores * 1.5) reasons.push(`load average ${loadavgStart.toFixed(1)} on ${cores} cores when it started`);
    if (quota && throttledPct !== undefined && throttledPct >= DISTURBED_THROTTLED_PCT)
      reasons.push(`its CPU limit (${quota.cpus} CPU) held it back for ${throttledPct.toFixed(0)} % of the window, so grade with a whole CPU or more`);
    return {
      cores,
      loadavgStart,
      loadavgEnd,
      cpuBusyPct,
      ...(quota ? { cpuQuota: quota.cpus } : {}),
      ...(throttledPct !== undefined ? { throttledPct } : {}),
      disturbed: reasons.length > 0,
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    };
  };
}
