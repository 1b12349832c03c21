import { describe, expect, it } from 'vitest';
import { avTimelineOffset } from './avtimeline.ts';
import { descendants, parseProcStat, parseVmHwmKb, statTicks, treeCpuSeconds, windowCpuPct } from './proc.ts';
import { pacingRatios } from './result.ts';
import { evaluateTargets } from './targets.ts';
import { attributeRun, summarizeTails } from './attribution.ts';
import type { SenderTrace } from '../src/server/send-trace.ts';
import { combineRuns, fmt, formatTable, median, replaceBetweenMarkers, spread } from './summary.ts';
import type { PacingResult } from './sections/pacing.ts';

describe('median and spread', () => {
  it('takes the middle value, the mean of the two middle ones, and ignores NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1])).toBe(3);
    expect(median([])).toBeNaN();
  });
  it('states the spread of repeated runs relative to their median', () => {
    expect(spread([10, 12, 11])).toEqual({ min: 10, max: 12, relPct: (2 / 11) * 100 });
    expect(spread([7]).relPct).toBeNaN();
  });
  it('combines runs key by key: numbers → median, other values from the first run', () => {
    const { value, noise } = combineRuns([
      { name: 'a', x: 1, y: 10 },
      { name: 'b', x: 3, y: 30 },
      { name: 'c', x: 2, y: 20 },
    ]);
    expect(value).toEqual({ name: 'a', x: 2, y: 20 });
    expect(noise.x).toEqual({ min: 1, max: 3, relPct: 100 });
    expect(combineRuns([{ x: 1 }]).noise).toEqual({});
  });
});

describe('/proc parsing', () => {
  // A real line shape; comm holds a space and a ')' to check we split on the LAST ')'.
  const line =
    '4242 (node (x) y) S 4200 4242 4200 0 -1 4194560 5000 0 0 0 123 45 6 7 20 0 11 0 1000 1200000000 30000 18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 1 0 0 0 0 0\n';
  it('takes ppid and utime/stime/cutime/cstime from the fields after the last ")"', () => {
    const s = parseProcStat(line);
    expect(s).toMatchObject({ pid: 4242, comm: 'node (x) y', state: 'S', ppid: 4200, utime: 123, stime: 45, cutime: 6, cstime: 7 });
    expect(statTicks(s)).toBe(181);
  });
  it('refuses text that is not a stat line', () => {
    expect(() => parseProcStat('hello')).toThrow(/stat/);
  });
  it('reads VmHWM in kB, undefined when absent (kernel threads)', () => {
    expect(parseVmHwmKb('Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n')).toBe(51234);
    expect(parseVmHwmKb('Name:\tkthreadd\n')).toBeUndefined();
  });
  it('walks the tree below a pid and nothing else', () => {
    const s = (pid: number, ppid: number) => ({ pid, ppid, comm: '', state: 'S', utime: 0, stime: 0, cutime: 0, cstime: 0 });
    const all = [s(1, 0), s(10, 1), s(11, 10), s(12, 10), s(13, 12), s(20, 1)];
    expect(descendants(10, all).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(descendants(20, all)).toEqual([20]);
  });
  it('CPU % of a core from cumulative samples inside a window', () => {
    const samples = [
      { atMs: 0, cpuS: 0 },
      { atMs: 1000, cpuS: 0.1 },
      { atMs: 2000, cpuS: 0.3 },
      { atMs: 3000, cpuS: 0.5 },
    ];
    expect(windowCpuPct(samples, 900, 3100)).toBeCloseTo(20, 6);
    expect(windowCpuPct(samples, 2500, 3100)).toBeNaN();
  });
  it.runIf(process.platform === 'linux')('reads this process tree from the real /proc', () => {
    const cpu = treeCpuSeconds(process.pid);
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThan(3600);
  });
});

describe('tables and the generated doc block', () => {
  it('pads columns (numbers right, text left) under a rule', () => {
    const text = formatTable(
      [
        { header: 'name', align: 'left', cell: (r: { n: string; v: number }) => r.n },
        { header: 'value', cell: (r) => fmt(r.v, 2) },
      ],
      [
        { n: 'a', v: 1 },
        { n: 'long', v: Number.NaN },
      ],
    );
    expect(text.split('\n')).toEqual(['name  value', '----  -----', 'a      1.00', 'long      –']);
  });
  it('writes markdown with alignment colons', () => {
    const md = formatTable([{ header: 'x', cell: (r: number) => String(r) }], [1], { markdown: true });
    expect(md.split('\n')).toEqual(['| x |', '| --: |', '| 1 |']);
  });
  it('replaces only the text between the markers, or appends the block', () => {
    const doc = 'intro\n<!-- b -->\nold\n<!-- e -->\nanalysis\n';
    expect(replaceBetweenMarkers(doc, '<!-- b -->', '<!-- e -->', 'new')).toBe('intro\n<!-- b -->\nnew\n<!-- e -->\nanalysis\n');
    expect(replaceBetweenMarkers('# T\n', '<!-- b -->', '<!-- e -->', 'x')).toBe('# T\n\n<!-- b -->\nx\n<!-- e -->\n');
  });
});

describe('A/V offset against the clip timeline', () => {
  it('is zero for picture and sound arriving on time, and shows a picture that is late', () => {
    const fps = 25;
    const frames = Array.from({ length: 100 }, (_, n) => ({ arrivalMs: 1000 + n * 40 }));
    const audio = Array.from({ length: 200 }, (_, k) => ({ arrivalMs: 1000 + k * 20, bytes: 176_400 / 50 }));
    const onTime = avTimelineOffset(frames, audio, { fps });
    expect(onTime.maxAbsMs).toBeCloseTo(0, 6);
    const late = avTimelineOffset(
      frames.map((f) => ({ arrivalMs: f.arrivalMs + 30 })),
      audio,
      { fps },
    );
    expect(late.endMs).toBeCloseTo(30, 6);
    expect(late.maxAbsMs).toBeCloseTo(30, 6);
  });
  it('plays sound dumped at once at real speed (zero-buffer player), so the picture looks early', () => {
    const frames = Array.from({ length: 50 }, (_, n) => ({ arrivalMs: n * 40 }));
    const audio = Array.from({ length: 100 }, () => ({ arrivalMs: 0, bytes: 3528 }));
    const r = avTimelineOffset(frames, audio, { fps: 25, warmupMs: 0 });
    expect(r.maxAbsMs).toBeCloseTo(0, 6); // sound heard at 20 ms per chunk, picture at 40 ms per frame
  });
});

describe('targets', () => {
  const row = (method: PacingResult['method'], jitter: number, rate = '30'): PacingResult =>
    ({
      clipFps: Number(rate),
      clipRate: rate,
      method,
      fpsErrorPct: 0.01,
      jitterP99Ms: jitter,
      driftMaxMs: 1,
      avOffsetMaxMs: 5,
      serverCpuPct: 5,
    }) as PacingResult;
  it('compares avsock with the floor and the real server.py per clip, and marks what was not measured', () => {
    const pacing = [row('floor', 0.5), row('deadline', 0.7), row('server.py', 5), row('tutorial', 1), row('floor', 0.4, '60'), row('deadline', 1, '60')];
    const ratios = pacingRatios(pacing);
    expect(ratios.map((r) => r.clipRate)).toEqual(['30', '60']);
    expect(ratios[0]!.vsFloor).toBeCloseTo(1.4, 9);
    expect(ratios[0]!.vsServerPy).toBeCloseTo(0.14, 9);
    expect(ratios[1]!.vsServerPy).toBeNaN();
    const targets = evaluateTargets({ pacing, pacingRatios: ratios, fanout: [] } as never);
    const floor30 = targets.find((t) => t.name.startsWith('jitter p99 at 30 fps'))!;
    expect(floor30).toMatchObject({ met: true, floor: '0.50 ms' });
    expect(targets.find((t) => t.name.startsWith('jitter p99 at 60 fps'))!.met).toBe(false);
    expect(targets.find((t) => t.name.includes('server.py'))!.met).toBe(true);
    expect(targets.find((t) => t.name.startsWith('server tree CPU'))!.met).toBe(true);
    expect(targets.find((t) => t.name.includes('clients'))!.met).toBeUndefined();
    expect(targets.find((t) => t.name.startsWith('all reports'))!.met).toBeUndefined();
  });
  it('judges the reports of one submission by their cold write, imports included', () => {
    const reports = { coldMs: 1200, warmMs: 90, processes: 3, coldRunsMs: [], warmRunsMs: [], htmlBytes: 0, prairielearnBytes: 0 };
    const judged = (coldMs: number) =>
      evaluateTargets({ pacing: [], pacingRatios: [], fanout: [], reports: { ...reports, coldMs } } as never).find((t) => t.name.startsWith('all reports'))!;
    expect(judged(1200)).toMatchObject({ met: false, measured: '1.20 s (warm 0.09 s)' });
    expect(judged(640).met).toBe(true);
  });
});

describe('tail attribution', () => {
  // A 30 fps sender whose frame 40 is sent 3 ms late by a late wake-up, and whose frame 70 arrives
  // 2 ms late after a punctual send (the kernel/probe), with a sender-thread GC during frame 40.
  const period = 1000 / 30;
  const origin = 1_000_000;
  const frames = Array.from({ length: 100 }, (_, i) => {
    const deadlineMs = 100 + i * period;
    const wake = i === 40 ? 3 : 0.05;
    return {
      deadlineMs,
      wokeMs: deadlineMs,
      sendStartMs: deadlineMs + wake,
      sendEndMs: deadlineMs + wake + 0.02,
      publishedMs: deadlineMs - 20,
      ptsUs: i * period * 1000,
      datagrams: 1,
      dropped: false,
    };
  });
  const trace: SenderTrace = {
    frames,
    workerGc: [{ startMs: frames[40]!.deadlineMs - 0.5, durationMs: 1 }],
    mainGc: [],
    mainLoopDelay: { p50: 1, p99: 2, max: 3, mean: 1 },
    timeOrigin: origin,
  };
  const arrivals = frames.map((f, i) => origin + f.sendEndMs + 0.1 + (i === 70 ? 2 : 0));
  it('splits each tail interval into its stages and finds who made it late', () => {
    // The late wake-up (2.95 ms) is the tail; the 2 ms late arrival is below this run's p99.
    const run = attributeRun(arrivals, trace, 0);
    expect(run.intervals).toBe(99);
    expect(run.tail.length).toBeGreaterThanOrEqual(1);
    const worst = [...run.tail].sort((a, b) => b.absDMs - a.absDMs);
    expect(worst[0]!.absDMs).toBeCloseTo(2.95, 6);
    expect(worst[0]!.parts['sender wake-up']).toBeCloseTo(2.95, 6);
    expect(worst[0]!.workerGc).toBe(true);
    const summary = summarizeTails([run]);
    const share = (s: string): number => summary.shares.find((x) => x.stage === s)!.share;
    expect(share('sender wake-up')).toBeCloseTo(1, 6);
    expect(share('main thread late')).toBe(0);
    expect(summary.withWorkerGc).toBeGreaterThanOrEqual(1);
    expect(run.framesLateFromMain).toBe(0);
  });
  it('blames the main thread when a frame reached the ring after its deadline', () => {
    const late = {
      ...trace,
      frames: trace.frames.map((f, i) =>
        i === 50 ? { ...f, publishedMs: f.deadlineMs + 4, sendStartMs: f.deadlineMs + 4, sendEndMs: f.deadlineMs + 4.02 } : f,
      ),
    };
    const arr = late.frames.map((f) => origin + f.sendEndMs + 0.1);
    const run = attributeRun(arr, late, 0);
    expect(run.framesLateFromMain).toBe(1);
    const top = summarizeTails([run]).shares.find((s) => s.stage === 'main thread late')!;
    expect(top.largestIn).toBeGreaterThanOrEqual(1);
  });
});
