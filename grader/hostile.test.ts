/**
 * The grader against hostile submissions, beyond grade.test.ts's silent / crashing /
 * garbage / printing-forever servers: one floods the grader's client with datagrams of every size,
 * one streams video but accepts the audio connection and never sends, one prints a single endless
 * line, one forks a daemon that leaves the process group and outlives it. Each is graded in bounded
 * time, gets 0 for the affected items with a reason, and leaves no process behind.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gradeSubmission } from './grade.ts';
import { markedProcesses } from './run/launch/launch.ts';
import { need } from '../test/support/requirements.ts';

const noPython = await need('python3');
import { tempDir } from './testing/fixtures.ts';

const HOSTILE_SERVER = new URL('./testing/hostile/server.py', import.meta.url).pathname;
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

async function submission(mode: string, extra: Record<string, unknown> = {}): Promise<{ repo: string; dir: string }> {
  const dir = await tempDir(`avsock-hostile-${mode}-`);
  made.push(dir);
  const repo = join(dir, 'repo');
  await mkdir(repo);
  await copyFile(HOSTILE_SERVER, join(repo, 'server.py'));
  await writeFile(join(repo, 'hostile.json'), JSON.stringify({ mode, ...extra }));
  const jpeg = await sharp({ create: { width: 400, height: 226, channels: 3, background: { r: 90, g: 40, b: 160 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
  await writeFile(join(repo, 'frame.jpg'), jpeg);
  return { repo, dir };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every process any launch of this test process's grader started and left running (none, we hope). */
const leftovers = (): Promise<number[]> => markedProcesses(`${process.pid}-`, { prefix: true });

afterEach(async () => {
  expect(await leftovers(), 'processes left behind by the grader').toEqual([]);
});

const opts = { seconds: 2, skip: ['client', 'screenshot', 'checks'], startTimeoutMs: 15_000, firstFrameTimeoutMs: 4000 };

describe.skipIf(noPython).sequential('gradeSubmission() against hostile submissions', () => {
  it('a datagram flood: 0 for streaming with the reason, done in bounded time', async () => {
    const { repo, dir } = await submission('flood');
    const t0 = Date.now();
    const r = await gradeSubmission({ repo, out: join(dir, 'out'), ...opts });
    const ms = Date.now() - t0;
    console.info(`figures grader flood: ${ms} ms, ${r.problems.server}`);
    expect(ms).toBeLessThan(40_000);
    const streams = r.checks.find((c) => c.id === 'server.streams')!;
    expect(streams.points).toBe(0);
    expect(streams.message).toMatch(/datagrams arrived .* but no complete frame/);
  });

  it('video but a silent audio connection: video is measured, "streams video and audio" and the audio items get 0 with a reason', async () => {
    const { repo, dir } = await submission('tcpsilent');
    const r = await gradeSubmission({ repo, out: join(dir, 'out'), ...opts });
    expect(r.measured.stream).toMatchObject({ video: true, audio: false });
    expect(r.checks.find((c) => c.id === 'server.streams')!.message).toMatch(/no sound arrived/);
    for (const id of ['server.audioPaced', 'server.avsync']) {
      const item = r.checks.find((c) => c.id === id)!;
      expect(item.points, `${id}: ${item.message}`).toBe(0);
      expect(item.message.length).toBeGreaterThan(10);
    }
  });

  it('one endless line of output: bounded time and memory, 0 with a short reason', async () => {
    const { repo, dir } = await submission('endless');
    const t0 = Date.now();
    const heapBefore = process.memoryUsage().rss;
    // It never serves, so the grader waits out the whole start-up bound: 5 s of output at full speed
    // (gigabytes) is as much a test of the bounded buffers as 15 s.
    const r = await gradeSubmission({ repo, out: join(dir, 'out'), ...opts, startTimeoutMs: 5000 });
    const grewMb = (process.memoryUsage().rss - heapBefore) / 1024 / 1024;
    console.info(`figures grader endless line: ${Date.now() - t0} ms, grader RSS +${grewMb.toFixed(1)} MiB`);
    // A hang guard, not a timing target: start-up bound 5 s + the probe process starting on a busy machine.
    expect(Date.now() - t0).toBeLessThan(60_000);
    const streams = r.checks.find((c) => c.id === 'server.streams')!;
    expect(streams.points).toBe(0);
    expect(streams.message.length).toBeLessThan(1000);
    expect(grewMb).toBeLessThan(100);
  });

  it('a daemon that leaves the process group is killed too: nothing outlives grading', async () => {
    const { repo, dir } = await submission('fork', {});
    const pidfile = join(dir, 'daemon.pid');
    await writeFile(join(repo, 'hostile.json'), JSON.stringify({ mode: 'fork', pidfile }));
    const r = await gradeSubmission({ repo, out: join(dir, 'out'), ...opts });
    expect(r.measured.stream?.video).toBe(true);
    expect(existsSync(pidfile)).toBe(true);
    const daemon = Number(await readFile(pidfile, 'utf8'));
    expect(daemon).toBeGreaterThan(1);
    // Out of the grader's process group, yet gone once gradeSubmission() returned.
    expect(alive(daemon)).toBe(false);
  });
});
