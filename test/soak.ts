/**
 * `npm run soak -- [--minutes 10] [--clients 3]`: the long soak run, only when asked.
 * A looping clip with N clients for M minutes: server and client RSS, open fds and child processes
 * at the start and the end; then every way the server can end (end of file, q, Ctrl+C, SIGTERM, an
 * uncaught error) and whether each left an ffmpeg behind. Exit 0 when everything stayed flat.
 */
import { join } from 'node:path';
import { makeTestClip } from '../src/media/index.ts';
import { numberOption, parseOptions, runMain } from '../src/cli/main.ts';
import { stopAll, tempDir } from './support/processes.ts';
import { EXIT_PATHS, exitPath, formatExit, formatSoak, soak } from './reliability/soak-lib.ts';

runMain('soak', async (argv) => {
  const { values } = parseOptions('soak', argv, {
    minutes: { type: 'string' },
    clients: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write('Usage: npm run soak -- [--minutes 10] [--clients 3]\n');
    return 0;
  }
  const minutes = numberOption('minutes', values.minutes, 10, { min: 0.1, max: 24 * 60 });
  const clients = numberOption('clients', values.clients, 3, { min: 1, max: 50, integer: true });
  const dir = tempDir('avsock-soak-');
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    log(`soak: ${minutes} min, ${clients} client(s), a 10 s looping clip`);
    const clip = await makeTestClip(join(dir.path, 'soak.mp4'), { fps: '30', seconds: 10 });
    const r = await soak({ clip, seconds: Math.round(minutes * 60), clients, statsDir: dir.path, log });
    log(formatSoak(r));
    const problems: string[] = [];
    if (r.server.end.rssKb - r.server.start.rssKb > 50 * 1024) problems.push('server RSS grew by more than 50 MiB');
    if (r.server.end.fds > r.server.start.fds + 4) problems.push('server fds grew');
    for (const [i, c] of r.clients.entries()) {
      if (c.end.rssKb - c.start.rssKb > 50 * 1024) problems.push(`client ${i + 1} RSS grew by more than 50 MiB`);
      if (c.end.fds > c.start.fds + 4) problems.push(`client ${i + 1} fds grew`);
      if (c.framesLost !== 0) problems.push(`client ${i + 1} lost ${c.framesLost} frames`);
    }
    log('exit paths:');
    for (const path of EXIT_PATHS) {
      const e = await exitPath(path, clip);
      log(`  ${formatExit(e)}`);
      if (e.ffmpegLeft > 0) problems.push(`${path}: ${e.ffmpegLeft} ffmpeg left behind`);
      if (e.stackTrace) problems.push(`${path}: a stack trace on stderr`);
    }
    log(problems.length ? `FAIL: ${problems.join('; ')}` : 'OK: flat memory, no leaked fds or children, ffmpeg reaped on every exit path');
    return problems.length ? 1 : 0;
  } finally {
    await stopAll();
    dir.remove();
  }
});
