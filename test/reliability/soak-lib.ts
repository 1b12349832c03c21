/**
 * Long runs and exit paths, shared by `npm run soak` (minutes) and the short version in the test
 * suite (seconds): a looping clip with N clients, RSS / open fds / child processes of every process
 * at the start and end, and for each way the server can end — end of file, q in its page, Ctrl+C
 * (SIGINT), SIGTERM, an uncaught error — whether every ffmpeg child it had was reaped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStats, sleep, startClient, startServer, stop, waitFor, type Proc } from '../support/processes.ts';
import { descendantsIn, isRunning, listProcesses, processUsage, type ProcessEntry } from '../../src/platform/processes.ts';

export interface Sample {
  readonly rssKb: number;
  readonly fds: number;
  readonly children: number;
}

export interface SoakReport {
  readonly seconds: number;
  readonly server: { start: Sample; end: Sample };
  readonly clients: Array<{ start: Sample; end: Sample; framesLost: number | null; fps: number; arrivalFps: number | null; exitCode: number | null }>;
  readonly stderrLines: number;
}

/** Through src/platform/processes.ts: /proc on Linux, ps and lsof on macOS, Get-Process on Windows (fds: handles there). */
async function sample(pid: number): Promise<Sample> {
  const [usage, list] = await Promise.all([processUsage(pid), listProcesses()]);
  return { rssKb: usage?.rssKb ?? -1, fds: usage?.openFiles ?? -1, children: descendantsIn(list, pid).length };
}

async function descendants(pid: number): Promise<ProcessEntry[]> {
  return descendantsIn(await listProcesses(), pid);
}

const isFfmpeg = (p: ProcessEntry): boolean => /^ffmpeg(\.exe)?$/i.test(p.name);

/** Still running, or a zombie its parent has not reaped yet (still listed under it). */
async function lingers(p: ProcessEntry, serverPid: number): Promise<boolean> {
  return (await isRunning(p.pid)) || (await descendants(serverPid)).some((d) => d.pid === p.pid);
}

/** A looping server and `clients` clients for `seconds`; every process stopped at the end. */
export async function soak(opts: { clip: string; seconds: number; clients: number; statsDir: string; log?: (line: string) => void }): Promise<SoakReport> {
  const log = opts.log ?? (() => {});
  const server = await startServer(['--file', opts.clip, '--loop']);
  const clients: Proc[] = [];
  try {
    for (let i = 0; i < opts.clients; i++) {
      // No --duration: a client's own clock starts with its process, which a busy machine can
      // start late; every client is stopped with Ctrl+C once the soak's seconds have passed.
      clients.push(startClient(server, ['--stats', join(opts.statsDir, `soak-${i}.json`)]));
    }
    await waitFor('every client to join', () => ((server.proc.stderr.match(/joined/g) ?? []).length >= opts.clients ? true : undefined), 40_000);
    await sleep(2000); // warm: JIT, buffers, first GC
    const start = { server: await sample(server.proc.pid), clients: await Promise.all(clients.map((c) => sample(c.pid))) };
    log(`start: server RSS ${(start.server.rssKb / 1024).toFixed(1)} MiB, ${start.server.fds} fds, ${start.server.children} children`);
    const until = Date.now() + opts.seconds * 1000;
    let lastLog = Date.now();
    while (Date.now() < until) {
      await sleep(Math.min(1000, until - Date.now()));
      const ended = [server.proc, ...clients].find((p) => p.exit);
      if (ended)
        throw new Error(
          `the ${ended.name} (pid ${ended.pid}) ended during the soak with ${JSON.stringify(ended.exit)}: ${ended.stderr.slice(-600)}\nserver: ${server.proc.stderr.slice(-400)}`,
        );
      if (Date.now() - lastLog >= 60_000) {
        lastLog = Date.now();
        const s = await sample(server.proc.pid);
        log(
          `${Math.round((opts.seconds * 1000 - (until - Date.now())) / 1000)} s: server RSS ${(s.rssKb / 1024).toFixed(1)} MiB, ${s.fds} fds, ${s.children} children`,
        );
      }
    }
    const end = { server: await sample(server.proc.pid), clients: await Promise.all(clients.map((c) => sample(c.pid))) };
    await Promise.all(clients.map((c) => stop(c, 'SIGINT')));
    const stats = clients.map((_, i) => readStats(join(opts.statsDir, `soak-${i}.json`)));
    return {
      seconds: opts.seconds,
      server: { start: start.server, end: end.server },
      clients: clients.map((c, i) => ({
        start: start.clients[i]!,
        end: end.clients[i]!,
        framesLost: stats[i]!.framesLost,
        fps: stats[i]!.fps,
        arrivalFps: stats[i]!.arrivalFps,
        exitCode: c.exit?.code ?? null,
      })),
      stderrLines: server.proc.stderrLines,
    };
  } finally {
    await Promise.all(clients.map((c) => stop(c)));
    await stop(server.proc);
  }
}

export type ExitPath = 'end of file' | 'q in the page' | 'SIGINT' | 'SIGTERM' | 'uncaught error';
export const EXIT_PATHS: readonly ExitPath[] = ['end of file', 'q in the page', 'SIGINT', 'SIGTERM', 'uncaught error'];

export interface ExitReport {
  readonly path: ExitPath;
  /** ffmpeg processes the server had while streaming. */
  readonly ffmpegSeen: number;
  /** Of those, still alive or unreaped (zombie) after the end. */
  readonly ffmpegLeft: number;
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | 'still running (end of file: it waits for the next client)';
  readonly ms: number;
  readonly stackTrace: boolean;
}

const THROW_ON_SIGNAL = fileURLToPath(new URL('./fixtures/throw-on-signal.mjs', import.meta.url));

/** Starts a server and a client, waits for ffmpeg, ends the server the given way, checks ffmpeg is gone. */
export async function exitPath(path: ExitPath, clip: string): Promise<ExitReport> {
  const uncaught = path === 'uncaught error';
  const server = await startServer(
    ['--file', clip, ...(path === 'end of file' ? [] : ['--loop'])],
    uncaught ? { nodeArgs: ['--import', THROW_ON_SIGNAL] } : {},
  );
  const client = startClient(server, ['--duration', '30']);
  try {
    const ffmpeg = await waitFor(
      'ffmpeg children',
      async () => {
        const f = (await descendants(server.proc.pid)).filter((p) => isFfmpeg(p) && !p.zombie);
        return f.length >= 1 ? f : undefined; // one ffmpeg with two outputs (video and audio)
      },
      30_000,
    );
    const t0 = Date.now();
    if (path === 'q in the page') {
      const ui = /^ui: (\S+)/m.exec(server.proc.stdout)![1]!;
      await fetch(new URL('quit', ui), { method: 'POST' });
    } else if (path === 'SIGINT' || path === 'SIGTERM') {
      server.proc.child.kill(path);
    } else if (uncaught) {
      server.proc.child.kill('SIGUSR2');
    }
    let exit: ExitReport['exit'];
    if (path === 'end of file') {
      await client.exited; // end of stream
      await waitFor(
        'ffmpeg to be reaped after the end of the file',
        async () => ((await Promise.all(ffmpeg.map((p) => lingers(p, server.proc.pid)))).includes(true) ? undefined : true),
        10_000,
      ).catch(() => undefined);
      exit = 'still running (end of file: it waits for the next client)';
    } else {
      const bound = setTimeout(() => server.proc.child.kill('SIGKILL'), 15_000);
      exit = await server.proc.exited;
      clearTimeout(bound);
    }
    const ms = Date.now() - t0;
    await sleep(200);
    const left = (await Promise.all(ffmpeg.map((p) => lingers(p, server.proc.pid)))).filter(Boolean).length;
    return { path, ffmpegSeen: ffmpeg.length, ffmpegLeft: left, exit, ms, stackTrace: /^\s{4}at /m.test(server.proc.stderr) };
  } finally {
    await stop(client);
    await stop(server.proc);
  }
}

export function formatSoak(r: SoakReport): string {
  const mib = (kb: number): string => (kb / 1024).toFixed(1);
  const rows = [
    `server: RSS ${mib(r.server.start.rssKb)} → ${mib(r.server.end.rssKb)} MiB, fds ${r.server.start.fds} → ${r.server.end.fds}, children ${r.server.start.children} → ${r.server.end.children}`,
    ...r.clients.map(
      (c, i) =>
        `client ${i + 1}: RSS ${mib(c.start.rssKb)} → ${mib(c.end.rssKb)} MiB, fds ${c.start.fds} → ${c.end.fds}, children ${c.start.children} → ${c.end.children}; fps ${c.fps}, lost ${c.framesLost}, exit ${c.exitCode}`,
    ),
    `server stderr: ${r.stderrLines} lines in ${r.seconds} s`,
  ];
  return rows.join('\n');
}

export function formatExit(e: ExitReport): string {
  const how = typeof e.exit === 'string' ? e.exit : e.exit.signal ? `killed by ${e.exit.signal}` : `exit ${e.exit.code}`;
  return `${e.path.padEnd(15)} ${how}; ffmpeg ${e.ffmpegSeen} seen, ${e.ffmpegLeft} left; ${e.ms} ms${e.stackTrace ? '; STACK TRACE on stderr' : ''}`;
}
