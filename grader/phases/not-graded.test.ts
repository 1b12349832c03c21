import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { buildReport, captionLines, type Results } from './build-report.ts';
import { failed, failedOurs, PhaseRunner, succeeded } from './runner.ts';
import type { ServerMeasured } from './measure-server.ts';
import { exitCodeOf, printTable } from '../cli.ts';
import { toJunit, toMarkdown } from '../report/writers.ts';
import { PYTHON_MODULES_HINT } from '../run/python/python.ts';
import type { MachineLoad } from '../run/launch/machine-load.ts';
import { allFigures, clientFigures, serverFigures, streamFigures } from '../testing/figure-fixtures.ts';
import { loadRubric } from '../score/rubric.ts';
import { scoreSubmission } from '../score/score-submission.ts';

const rubric = await loadRubric();
const quiet: MachineLoad = { cores: 2, loadavgStart: 0.3, loadavgEnd: 0.4, cpuBusyPct: 30, disturbed: false };

function serverMeasured(o: Partial<ServerMeasured> = {}): ServerMeasured {
  return { figures: serverFigures(), stream: streamFigures(), wire: 'tutorial', machine: quiet, outputTail: '', ...o };
}

function results(o: Partial<Results> = {}): Results {
  return {
    repo: '/nonexistent/avsock-not-graded',
    kind: 'python',
    wire: 'tutorial',
    server: succeeded(serverMeasured()),
    client: succeeded(clientFigures()),
    screenshot: succeeded({ reportCopy: '/tmp/x.png' }),
    checks: failed('skipped'),
    changes: [],
    ...o,
  };
}

const meta = { rubric, startedMs: Date.now(), phases: [] };

function printed(report: Parameters<typeof printTable>[0]): string {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  printTable(report, out as unknown as NodeJS.WriteStream);
  return text;
}

describe('not graded is not zero', () => {
  it('a reference server that did not start makes the run "not graded", exit code 3', async () => {
    const r = await buildReport(results({ client: failedOurs('the reference server did not start (exit 1)') }), meta);
    expect(r.notGraded).toMatch(/^client: the reference server did not start/);
    expect(r.passed).toBe(false);
    expect(exitCodeOf(r)).toBe(3);
    expect(printed(r)).toMatch(/not graded: client: the reference server did not start \(exit 1\); grade again/);
    expect(toMarkdown(r)).toMatch(/not graded — grade again/);
  });

  it("the student's own failure (a crashed client) stays scored", async () => {
    const r = await buildReport(results({ client: failed('client.py stopped (exit 1)') }), meta);
    expect(r.notGraded).toBeUndefined();
    expect(exitCodeOf(r)).toBe(r.passed ? 0 : 1);
    expect(r.checks.find((c) => c.id === 'client.works')).toMatchObject({ status: 'fail', points: 0 });
  });

  it('a missing Python module on the grading machine is not graded', async () => {
    const r = await buildReport(results({ server: failed(`server.py stopped: ${PYTHON_MODULES_HINT} (missing cv2)`) }), meta);
    expect(r.notGraded).toMatch(/grading machine's python3 has no cv2/);
  });

  it('a disturbed run is not graded only when a timing item failed', async () => {
    const busy: MachineLoad = { ...quiet, cpuBusyPct: 97, disturbed: true, reason: 'CPUs 97 % busy during the window' };
    const fine = await buildReport(results({ server: succeeded(serverMeasured({ machine: busy })) }), meta);
    expect(fine.notGraded).toBeUndefined();
    const late = await buildReport(results({ server: succeeded(serverMeasured({ machine: busy, figures: serverFigures({ jitterP99Ms: 9 }) })) }), meta);
    expect(late.notGraded).toMatch(/too busy to judge timing \(CPUs 97 % busy during the window\) and server.jitter failed/);
  });

  it("a grader that throws in a phase is its own failure; a phase that runs out of time is the submission's", async () => {
    const runner = new PhaseRunner([]);
    const crashed = await runner.run('checks', 1000, () => Promise.reject(new TypeError('x is undefined')));
    expect(crashed).toMatchObject({ ok: false, ours: true, reason: 'the grader failed in its checks phase: x is undefined' });
    const hung = await runner.run('client', 20, () => new Promise(() => {}));
    expect(hung.ok).toBe(false);
    expect('ours' in hung).toBe(false);
  });
});

describe('not measured is left out of the maximum', () => {
  it('A/V on a clip without markers: not measured, out of the maximum, pass mark scaled, never charged', async () => {
    const noMarkers = serverFigures({
      avOffsetMs: Number.NaN,
      avPairs: 0,
      avSync: {
        pairs: 0,
        offsetMs: Number.NaN,
        maxAbsMs: Number.NaN,
        spreadMs: Number.NaN,
        ptsOffsetMs: Number.NaN,
        flashes: 0,
        beeps: 0,
        unidentified: 0,
        reason: 'no flash',
      },
    });
    const r = await buildReport(results({ customClip: '/clips/lecture.mp4', server: succeeded(serverMeasured({ figures: noMarkers })) }), meta);
    const av = r.checks.find((c) => c.id === 'server.avsync')!;
    expect(av).toMatchObject({ status: 'not-measured', points: 0, maxPoints: 0 });
    expect(av.message).toMatch(/not measured: the clip lecture.mp4 has no flash\/beep markers/);
    expect(av.fix).toBeUndefined();
    expect(r.maxScore).toBe(rubric.maxScore - 1);
    expect(r.passMark).toBeCloseTo((rubric.passMark * (rubric.maxScore - 1)) / rubric.maxScore, 2);
    expect(toJunit(r)).toMatch(/skipped="1"/);
    expect(printed(r)).toMatch(/^-\s+0\/0\s+Picture and sound in sync/m);
  });

  it('the demo clip (markers expected) still charges a missing A/V pair to the student', () => {
    const figures = allFigures({ server: serverFigures({ avOffsetMs: Number.NaN }) });
    const r = scoreSubmission(rubric, { figures });
    expect(r.items.find((c) => c.id === 'server.avsync')).toMatchObject({ status: 'fail', maxPoints: 1 });
    expect(r.maxScore).toBe(rubric.maxScore);
  });

  it('the screenshot caption never reads "not measured ms"', () => {
    const lines = captionLines({ server: serverFigures({ avOffsetMs: Number.NaN, jitterP99Ms: Number.NaN }), client: clientFigures({ fps: Number.NaN }) });
    expect(lines.join('\n')).not.toMatch(/not measured (ms|fps)/);
    expect(lines[0]).toMatch(/A\/V not measured$/);
    expect(lines[0]).toMatch(/jitter p99 not measured ·/);
  });
});
