/**
 * End to end against this repository's own server and client (they must have landed): the grader's
 * figures agree with an independent plain client, and a full `grade` of this repo scores the
 * streaming items in full.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDemoClip, DEMO_CLIP } from '../src/media/clips.ts';
import { GRADER_ROOT, gradeSubmission } from './grade.ts';
import { probeServer } from './measure/probe-client.ts';
import { analyzeVideo } from './measure/analysis.ts';
import { performance } from 'node:perf_hooks';
import { allocateStreamPorts, releasePorts } from './run/launch/ports.ts';
import { launch, UI_LINE } from './run/launch/launch.ts';
import { need } from '../test/support/requirements.ts';

const noPython = await need('python3');
const noBrowser = await need('browser');
import { tempDir } from './testing/fixtures.ts';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('grader end to end on this repo', () => {
  it.skipIf(noPython)('agrees with an independent plain client on the same server (fps within 1 %, jitter p50 within 0.5 ms, p99 close)', async () => {
    const clip = await ensureDemoClip();
    const ports = await allocateStreamPorts();
    const server = launch(
      'server',
      'npm',
      [
        'run',
        'server',
        '--',
        '--file',
        clip,
        '--wire',
        'tutorial',
        '--port',
        String(ports.videoPort),
        '--audio-port',
        String(ports.audioPort),
        '--host',
        '127.0.0.1',
        '--no-window',
        '--ui-port',
        String(ports.uiPort),
      ],
      { cwd: GRADER_ROOT },
    );
    try {
      expect(await server.out.waitForLine(UI_LINE, 40_000), server.out.tail(5)).toBeTruthy();
      const plain = new Promise<number[]>((resolve, reject) => {
        const p = spawn('python3', [
          new URL('./testing/plain_client.py', import.meta.url).pathname,
          '127.0.0.1',
          String(ports.videoPort),
          '7',
          '0',
          String(DEMO_CLIP.fps),
        ]);
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as { arrivalsMs: number[] }).arrivalsMs) : reject(new Error(out))));
      });
      const rec = await probeServer({ host: '127.0.0.1', videoPort: ports.videoPort, audioPort: ports.audioPort, wire: 'tutorial', seconds: 7 });
      // CLOCK_MONOTONIC (python perf_counter) → performance.now() timeline.
      const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
      const theirsAll = (await plain).map((t) => t - offsetMs);
      const oursAll = rec.frames.map((f) => f.arrivalMs);
      // The same span for both, from 1 s after the later start to the earlier end.
      const from = Math.max(oursAll[0]!, theirsAll[0]!) + 1000;
      const to = Math.min(oursAll[oursAll.length - 1]!, theirsAll[theirsAll.length - 1]!);
      const span = (xs: number[]): number[] => xs.filter((t) => t >= from && t <= to);
      const ours = analyzeVideo(
        span(oursAll).map((arrivalMs) => ({ arrivalMs })),
        { sourceFps: DEMO_CLIP.fps, warmupMs: 0 },
      );
      // Independent figures: plain arithmetic, not the grader's analysis code.
      const t = span(theirsAll);
      const theirFps = ((t.length - 1) * 1000) / (t[t.length - 1]! - t[0]!);
      const d = t
        .slice(1)
        .map((x, i) => Math.abs(x - t[i]! - 1000 / DEMO_CLIP.fps))
        .sort((a, b) => a - b);
      const rank = 0.99 * (d.length - 1);
      const theirP99 = d[Math.floor(rank)]! + (d[Math.ceil(rank)]! - d[Math.floor(rank)]!) * (rank - Math.floor(rank));
      console.log(JSON.stringify({ ours: { fps: ours.fps, p99: ours.jitterP99Ms }, theirs: { fps: theirFps, p99: theirP99 }, spanS: (to - from) / 1000 }));
      expect(to - from).toBeGreaterThan(4000);
      expect(Math.abs(ours.fps - theirFps) / theirFps).toBeLessThan(0.01);
      // The median |D| must agree to 0.5 ms. p99 of ~180 intervals is the 2nd-largest one: on a quiet
      // machine it agrees to 0.5 ms too, but when the cores are busy each receiver's own scheduling
      // delays (different in each process: 17.1 vs 4.3 ms measured with one core kept busy)
      // dominate it. What stays checkable there is the scale: a unit error (s vs ms) is 1000×, a
      // definition error (the interval, ~33 ms, instead of |D|) ≥ 30 ms against a few — so within 5× + 2 ms.
      const theirP50 = d[Math.floor(d.length / 2)]!;
      // Median: 0.5 ms apart on a quiet machine, 0.56 measured with one core kept busy, 2.8 with the
      // cores saturated; 5 ms still tells a definition error (the interval instead of |D|: ~30 ms)
      // from two receivers' noise. How close they are on a quiet machine is the bench's fidelity figure.
      expect(Math.abs(ours.jitterP50Ms - theirP50)).toBeLessThan(5);
      expect(ours.jitterP99Ms).toBeLessThan(5 * theirP99 + 2);
      expect(theirP99).toBeLessThan(5 * ours.jitterP99Ms + 2);
    } finally {
      await server.handle.stop();
      releasePorts(ports);
    }
  });

  it.skipIf(noBrowser)('grades this repo (--no-save): screenshot, reports and full points for the streaming items', async () => {
    const out = await tempDir('avsock-grade-e2e-');
    made.push(out);
    // How long grading takes is the bench's figure (npm run bench: grader wall time); the test's
    // timeout only catches a hang.
    const r = await gradeSubmission({ repo: GRADER_ROOT, out: join(out, 'r'), seconds: 5, clientSeconds: 5, noSave: true, skip: ['checks'] });
    const lost = r.checks.filter((c) => c.kind === 'measure' && c.status === 'fail');
    // On a busy CI machine timing items may miss a threshold; everything functional must pass.
    for (const id of ['server.streams', 'server.fps', 'server.audioPaced', 'server.avsync', 'client.works', 'screenshot.live']) {
      expect(
        lost.map((c) => c.id),
        JSON.stringify(lost.map((c) => c.message)),
      ).not.toContain(id);
    }
    // client.audio is a ratio of sound played to the client's run time, which includes its start-up
    // (seconds of TypeScript loading on a loaded core: 0.63 measured with one core kept busy, ≥ 0.9
    // quiet). Functionally: the client played sound.
    expect(r.measured.client?.audioSeconds as number).toBeGreaterThan(0);
    expect(r.screenshot).toBe(join(out, 'r', 'screenshot.png'));
    expect(r.measured.server!.avSync.pairs).toBeGreaterThan(0);
  });
});
