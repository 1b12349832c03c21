/**
 * Phase 3: the submission's client against the grader's reference server, judged by what the
 * client itself showed and played against what it was sent (the reference server's status lines),
 * never by the reference server's own rate. Runs in the timing slot.
 *
 * - node: its --stats file (frames shown, displayed fps, seconds of sound played).
 * - python: client.py prints nothing, so from outside: it must register (`client #N joined`), keep
 *   running without a traceback, show live pictures in RECEIVING VIDEO on the grader's screen, and
 *   play sound (PCM into the grader's ALSA file sink).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { framesSent, nonSilentSeconds, parseStatusLine, type StatusSample } from '../measure/tutorial-client.ts';
import type { PythonSubmission } from '../run/kinds.ts';
import { allocateStreamPorts, releasePorts, type StreamPorts } from '../run/ports.ts';
import { startReferenceServer, type ReferenceServer } from '../run/reference.ts';
import { FILE_ALSA_CONF, type Launched } from '../run/submission.ts';
import { withTimingSlot } from '../run/timing-slot.ts';
import { sleep } from '../../src/timing/wait.ts';
import { exitWithin, until, why, type TimedLine } from '../run/watch.ts';
import { grabLiveWindows } from '../screenshot/opencv.ts';
import type { ClientFigures } from '../score/figures.ts';
import { fmt } from '../score/score.ts';
import { bounded, failed, succeeded, type Outcome, type TimedPhaseInput } from './runner.ts';
import { pythonWindowRegions } from './windows.ts';

export interface ClientInput extends TimedPhaseInput {
  /** Report folder (stats and PCM files). */
  out: string;
}

interface Run {
  input: ClientInput;
  ref: ReferenceServer;
  ports: StreamPorts;
  started: Launched[];
}

/** What the reference server sent after `fromMs` (its status lines), as frames and fps. */
function sentSince(lines: readonly TimedLine[], fromMs: number): { frames: number; fps: number } | undefined {
  const samples = lines.filter((l) => l.atMs >= fromMs).map((l) => parseStatusLine(l.line, l.atMs)).filter((x): x is StatusSample => x !== undefined);
  return framesSent(samples);
}

async function nodeClient(run: Run): Promise<Outcome<ClientFigures>> {
  const { input } = run;
  // In a sandbox the client can write only its scratch folder, not the report folder.
  const statsFile = join(input.submission.sandbox?.scratch ?? input.out, 'client-stats.json');
  const t0 = performance.now();
  const client = await input.submission.startClient({ ports: run.ports, ...(input.wire ? { wire: input.wire } : {}), mode: { kind: 'measure', seconds: input.seconds, statsFile } });
  run.started.push(client);
  const exit = await exitWithin(client, input.startTimeoutMs + (input.seconds + 15) * 1000);
  if (exit === 'timeout') return failed(why(client, `the client did not exit within ${input.seconds} s + start-up (--duration ${input.seconds})`));
  let stats: Record<string, unknown>;
  try {
    stats = JSON.parse(await readFile(statsFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return failed(why(client, `no readable --stats file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`));
  }
  const num = (k: string): number => (typeof stats[k] === 'number' ? (stats[k]) : Number.NaN);
  const sent = sentSince(run.ref.lines, t0);
  const sentFps = sent && sent.fps > 0 ? sent.fps : input.sourceFps;
  const fps = num('fps');
  const optional = (k: 'framesLost' | 'framesLate' | 'jitterMs' | 'avOffsetMs'): Partial<ClientFigures> => (Number.isFinite(num(k)) ? { [k]: num(k) } : {});
  const figures: ClientFigures = {
    measuredFrom: `the client's own --stats file; sent rate from the reference server's status (${sent ? 'measured' : 'not printed: the clip rate'})`,
    running: exit.code === 0,
    windowLive: null,
    framesReceived: num('framesReceived'),
    fps,
    sentFps,
    fpsErrorPct: ((fps - sentFps) / sentFps) * 100,
    audioSeconds: num('audioSeconds'),
    listenedSeconds: input.seconds,
    audioRatio: num('audioSeconds') / input.seconds,
    ...optional('framesLost'),
    ...optional('framesLate'),
    ...optional('jitterMs'),
    ...optional('avOffsetMs'),
  };
  return succeeded(figures, `${fmt(figures.framesReceived)} frames at ${fmt(fps)} fps (sent ${fmt(sentFps)}), ${fmt(figures.audioSeconds)} s of sound`);
}

async function windowLive(run: Run, sub: PythonSubmission, stop: () => string | undefined): Promise<{ live: boolean | null; problem?: string }> {
  if (!run.input.display || stop()) return { live: null };
  const region = (await pythonWindowRegions(run.input.clip, sub.facts, sub.clientFacts))[1]!;
  // Retried: the demo countdown can look the same for 0.7 s between its digits and flashes.
  const [grab] = await grabLiveWindows(run.input.display, [region], { timeoutMs: 8000, stop });
  return { live: grab?.live ?? false, ...(grab?.problem ? { problem: grab.problem } : {}) };
}

async function pythonClient(run: Run, sub: PythonSubmission): Promise<Outcome<ClientFigures>> {
  const { input, ref } = run;
  const pcmFile = join(input.submission.sandbox?.scratch ?? input.out, 'client-audio.raw');
  await rm(pcmFile, { force: true });
  const client = await sub.startClient({ ports: run.ports, ...(input.display ? { display: input.display } : {}), env: { ALSA_CONFIG_PATH: FILE_ALSA_CONF, AVSOCK_AUDIO_OUT: pcmFile }, mode: { kind: 'measure', seconds: input.seconds, statsFile: '' } });
  run.started.push(client);
  const crashed = (): string | undefined => (client.exit ? why(client, 'client.py stopped') : ref.launched.exit ? why(ref.launched, 'the reference server stopped') : undefined);
  const joined = await until(input.startTimeoutMs, () => ref.lines.find((l) => /client #\d+ joined/.test(l.line)), crashed);
  if (typeof joined === 'string') return failed(why(client, `client.py never registered with the reference server (no 'client #N joined'): ${joined}`));
  input.note(`client.py registered with the reference server; listening ${input.seconds} s`);
  const endAt = joined.atMs + input.seconds * 1000;
  while (performance.now() < endAt && !crashed()) await sleep(100);
  // The reference server prints its status every 5 s on a pipe: wait for one after the run.
  await until(7000, () => (ref.lines.some((l) => l.atMs >= endAt && parseStatusLine(l.line, l.atMs)) ? true : undefined), crashed);
  const window = await windowLive(run, sub, crashed);
  const listenedSeconds = (performance.now() - joined.atMs) / 1000;
  const alive = !client.exit;
  const traceback = /Traceback \(most recent call last\)/.test(client.out.text);
  const sent = sentSince(ref.lines, joined.atMs);
  const { audioSeconds } = nonSilentSeconds(await readFile(pcmFile).catch(() => Buffer.alloc(0)));
  const problems: string[] = [];
  if (!alive) problems.push(why(client, 'client.py stopped before the end'));
  if (traceback) problems.push(`client.py printed a traceback: ${client.out.tail(1)}`);
  if (window.live === false) problems.push(window.problem ?? 'RECEIVING VIDEO window not live');
  // Frames sent count as shown only if client.py kept running and (when it can be seen) showed them.
  const shows = alive && !traceback && window.live !== false;
  const sentFps = sent?.fps ?? Number.NaN;
  const figures: ClientFigures = {
    measuredFrom: "outside: frames the reference server sent to client.py (counted as shown while its RECEIVING VIDEO window is live and it runs), the PCM it played into an ALSA file",
    running: alive && !traceback,
    windowLive: window.live,
    framesReceived: shows ? (sent?.frames ?? 0) : 0,
    fps: shows ? sentFps : Number.NaN,
    sentFps,
    fpsErrorPct: shows ? 0 : Number.NaN,
    audioSeconds,
    listenedSeconds,
    audioRatio: audioSeconds / listenedSeconds,
    ...(problems.length ? { problem: problems.join('; ') } : {}),
  };
  const note = `client.py: sent ${fmt(sent?.frames ?? 0)} frames at ${fmt(sentFps)} fps, window ${window.live === null ? 'not seen (no Xvfb)' : window.live ? 'live' : 'NOT live'}, ${fmt(audioSeconds)} s of sound played in ${fmt(listenedSeconds)} s`;
  return problems.length ? failed(`${problems.join('; ')}`, figures) : succeeded(figures, note);
}

export async function measureClient(input: ClientInput): Promise<Outcome<ClientFigures>> {
  const sub = input.submission;
  if (sub.kind === 'python' && !sub.client) return failed('no client.py beside server.py: not measured');
  return withTimingSlot(() => bounded(input.budgetMs, 'client', async () => {
    const ports = await allocateStreamPorts();
    const started: Launched[] = [];
    try {
      const ref = await startReferenceServer(input.clip, ports, input.wire ?? (sub.kind === 'python' ? 'tutorial' : undefined), input.startTimeoutMs, sub.sandbox?.joinNetwork);
      if (typeof ref === 'string') return failed(ref);
      started.push(ref.launched);
      const run: Run = { input, ref, ports, started };
      return sub.kind === 'python' ? await pythonClient(run, sub) : await nodeClient(run);
    } finally {
      await Promise.all(started.map((l) => l.handle.stop()));
      releasePorts(ports);
    }
  }));
}
