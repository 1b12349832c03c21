/**
 * gradeSubmission() on a hostile submission, sandboxed: it tries to write outside its copy (the
 * instructor's HOME, another student's copy, the grader's checkout), read a planted key, send it to
 * a listener on the host's 127.0.0.1, leave a daemon, allocate without bound, fork-bomb and fill the
 * disk — and stops streaming if any attempt got out (strict). Graded from outside: its stream is
 * measured (so every attempt failed), nothing outside changed, the listener heard nothing, and no
 * process outlived grading.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { need, skipFor } from '../../../test/support/requirements.ts';
import { gradeSubmission } from '../../grade.ts';
import { tempDir } from '../../testing/fixtures.ts';
import { detectSandbox } from './sandbox.ts';
import { markedProcesses } from '../launch/launch.ts';

const HOSTILE_SERVER = new URL('../../testing/hostile/server.py', import.meta.url).pathname;
const GRADER_ROOT = new URL('../../..', import.meta.url).pathname;
const support = detectSandbox();
const noSandbox = (await need('bwrap', 'python3')) ?? (support.ok ? undefined : skipFor('bwrap', support.reason ?? 'cannot make a sandbox'));
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe.skipIf(noSandbox)('gradeSubmission() of a hostile submission in the sandbox', () => {
  it('every escape attempt fails while its stream is still measured, and nothing outlives grading', async () => {
    const dir = await tempDir('avsock-sandbox-grade-');
    made.push(dir);
    const repo = join(dir, 'repo');
    const home = join(dir, 'home');
    const neighbour = join(dir, 'other-student');
    await Promise.all([mkdir(repo), mkdir(join(home, '.ssh'), { recursive: true }), mkdir(neighbour)]);
    const secret = join(home, '.ssh', 'id_ed25519');
    await writeFile(secret, 'PRIVATE KEY of the instructor\n', { mode: 0o644 });
    await copyFile(HOSTILE_SERVER, join(repo, 'server.py'));
    await writeFile(
      join(repo, 'frame.jpg'),
      await sharp({ create: { width: 400, height: 226, channels: 3, background: { r: 90, g: 40, b: 160 } } })
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
    const heard: string[] = [];
    const listener = net.createServer((s) => {
      heard.push('connection');
      s.on('data', (d) => heard.push(d.toString()));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const checkoutFile = join(GRADER_ROOT, `.sandbox-grade-escape-${process.pid}`);
    const write = [join(home, 'pwned'), join(neighbour, 'pwned'), checkoutFile, join(repo, 'pwned-original')];
    // fill_mb above the default file-size limit (256 MiB): the limit must stop it.
    await writeFile(
      join(repo, 'hostile.json'),
      JSON.stringify({ mode: 'escape', strict: true, write, secret, port: (listener.address() as net.AddressInfo).port, forks: 2000, fill_mb: 320 }),
    );
    try {
      const r = await gradeSubmission({
        repo,
        out: join(dir, 'out'),
        seconds: 2,
        skip: ['client', 'screenshot', 'checks'],
        startTimeoutMs: 40_000,
        firstFrameTimeoutMs: 10_000,
        sandbox: true,
      });
      const streams = r.checks.find((c) => c.id === 'server.streams')!;
      expect(streams.status, `${streams.message} / ${r.problems.server ?? ''}`).toBe('pass');
      for (const p of write) expect(existsSync(p), p).toBe(false);
    } finally {
      listener.close();
      await rm(checkoutFile, { force: true });
    }
    expect(heard).toEqual([]);
    expect(await markedProcesses(`${process.pid}-`, { prefix: true })).toEqual([]);
  }, 180_000);
});
