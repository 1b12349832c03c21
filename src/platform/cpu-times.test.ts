import { describe, expect, it } from 'vitest';
import { busyPercent, cpuTimes, parseProcStatCpu, sumCpuInfo } from './cpu-times.ts';

describe('cpu-times', () => {
  it('Linux: the aggregate cpu line of /proc/stat; idle and iowait are not busy', () => {
    const text = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1 2 3\n';
    expect(parseProcStatCpu(text)).toEqual({ busy: 160, total: 1000 });
    expect(parseProcStatCpu('intr 1 2\n')).toBeUndefined();
    expect(parseProcStatCpu('cpu  1 x 3 4\n')).toBeUndefined();
  });

  it('macOS/Windows: os.cpus() summed over cores; idle is the only idle time there', () => {
    const core = (user: number, idle: number) => ({ times: { user, nice: 0, sys: 10, idle, irq: 5 } });
    expect(sumCpuInfo([core(100, 900), core(50, 950)])).toEqual({ busy: 180, total: 2030 });
    expect(sumCpuInfo([])).toBeUndefined();
  });

  it('busyPercent() is the busy share of the time between two readings', () => {
    expect(busyPercent({ busy: 100, total: 1000 }, { busy: 190, total: 1100 })).toBe(90);
    expect(busyPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBeNull();
    expect(busyPercent(undefined, { busy: 1, total: 2 })).toBeNull();
  });

  it(`reads this machine (${process.platform}) and the other branch too: busy within total, both growing`, async () => {
    for (const platform of [process.platform, process.platform === 'linux' ? 'darwin' : 'linux'] as const) {
      const a = await cpuTimes(platform);
      let spin = 0;
      for (let i = 0; i < 2e6; i++) spin += i; // some CPU time passes
      const b = await cpuTimes(platform);
      expect(spin).toBeGreaterThan(0);
      expect(a!.busy).toBeLessThanOrEqual(a!.total);
      expect(b!.total).toBeGreaterThanOrEqual(a!.total);
      expect(b!.busy).toBeGreaterThanOrEqual(a!.busy);
    }
  });
});
