import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuGroupV1, parseCpuMax, parseCpuStat, quotaCpus } from './cpu-quota.ts';

describe('cgroup CPU quota files', () => {
  it("reads v2's cpu.max: half a CPU, and none when unlimited", () => {
    expect(parseCpuMax('50000 100000\n')).toBe(0.5);
    expect(parseCpuMax('200000 100000')).toBe(2);
    expect(parseCpuMax('max 100000')).toBeUndefined();
    expect(parseCpuMax('')).toBeUndefined();
  });

  it("reads v1's quota and period, −1 being none", () => {
    expect(quotaCpus(50_000, 100_000)).toBe(0.5);
    expect(quotaCpus(-1, 100_000)).toBeUndefined();
    expect(quotaCpus(Number(''), 100_000)).toBeUndefined();
  });

  it("reads cpu.stat's time held back, in both versions' layouts and units", () => {
    const v1 = 'nr_periods 1200\nnr_throttled 700\nthrottled_time 35000000000\nnr_bursts 0\nburst_time 0\n';
    const v2 = 'usage_usec 9000000\nuser_usec 8000000\nsystem_usec 1000000\nnr_periods 1200\nnr_throttled 700\nthrottled_usec 35000000\n';
    expect(parseCpuStat(v1)).toEqual({ throttledMs: 35_000 });
    expect(parseCpuStat(v2)).toEqual({ throttledMs: 35_000 });
    // A v2 group without the cpu controller has usage only.
    expect(parseCpuStat('usage_usec 1\nuser_usec 1\nsystem_usec 0\n')).toBeUndefined();
  });

  it('finds the cpu controller in /proc/self/cgroup, alone or joined with cpuacct', () => {
    expect(cpuGroupV1('4:memory:/x\n2:cpuacct:/\n1:cpu:/docker/abc\n0::/')).toBe('/docker/abc');
    expect(cpuGroupV1('3:cpu,cpuacct:/user.slice\n')).toBe('/user.slice');
    expect(cpuGroupV1('0::/\n')).toBe('/');
  });

  it('never throws on any text, and a time read is never negative', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const stat = parseCpuStat(text);
        if (stat) expect(stat.throttledMs).toBeGreaterThanOrEqual(0);
        const max = parseCpuMax(text);
        if (max !== undefined) expect(max).toBeGreaterThan(0);
        expect(typeof cpuGroupV1(text)).toBe('string');
      }),
    );
  });
});
