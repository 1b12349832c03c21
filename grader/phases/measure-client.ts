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
import { allocateStreamPorts, releasePorts, type StreamPorts } from '../run/launch/ports.ts';
import { ReferenceServerError, startReferenceServer, type ReferenceServer } from '../run/reference.ts';
import { type Launched } from '../run/launch/launch.ts';
import { FILE_ALSA_CONF } from '../run/python/python.ts';
import { RelayStartError, startRelay, type RelayCounts, type RunningRelay } from '../run/relay.ts';
import { withTimingSlot } from '../run/launch/timing-slot.ts';
import { sleep } from '../../src/timing/wait.ts';
import { ClientStatsFileSchema, type ClientStatsFile } from '../../src/client/client-stats.ts';
import { JsonShapeError, parseJson } from '../../src/json.ts';
import { exitWithin, until, why, type TimedLine } from '../run/launch/watch.ts';
import { grabLiveWindows } from '../screenshot/opencv.ts';
import { recordShownFrames, type ShownFrames } from '../screenshot/shown-frames.ts';
import type { ClientFigures } from '../score/figure-record.ts';
import { fmt } from '../score/score-submission.ts';
import { bounded, failed, failedOurs, succeeded, type Outcome, type TimedPhaseInput } from './runner.ts';
import { pythonWindowRegions } from './python-windows.ts';

export interface ClientInput extends TimedPhaseInput {
  /** Report folder (stats and PCM files). */
  out: string;
}

interface Run {
  input: ClientInput;
  ref: ReferenceServer;
  /** Where the client connects: the reference server's ports, or the relay's in front of them. */
  ports: StreamPorts;
  started: Launched[];
}

/** What the reference server sent after `fromMs` (its status lines), as frames and fps. */
function sentSince(lines: readonly TimedLine[], fromMs: number): { frames: number; fps: number } | undefined {
  const samples = lines
    .filter((l) => l.atMs >= fromMs)
    .map((l) => parseStatusLine(l.line, l.atMs))
    .filter((x): x is StatusSample => x !== undefined);
  return framesSent(samples);
}

async function nodeClient(run: Run): Promise<Outcome<ClientFigures>> {
  const { input } = run;
  // In a sandbox the client can write only its scratch folder, not the report folder.
  const statsFile = join(input.submission.sandbox?.scratch ?? input.out, 'client-stats.json');
  const t0 = performance.now();
  const client = await input.submission.startClient({
    ports: run.ports,
    ...(input.wire ? { wire: input.wire } : {}),
    mode: { kind: 'measure', seconds: input.seconds, statsFile },
  });
  run.started.push(client);
  const exit = await exitWithin(client, input.startTimeoutMs + (input.seconds + 15) * 1000);
  if (exit === 'timeout') return failed(why(client, `the client did not exit within ${input.seconds} s + start-up (--duration ${input.seconds})`));
  let text: string;
  try {
    text = await readFile(statsFile, 'utf8');
  } catch (error) {
    return failed(why(client, `no readable --stats file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`));
  }
  let stats: ClientStatsFile;
  try {
    stats = parseJson(text, ClientStatsFileSchema, "the client's --stats file");
  } catch (error) {
    if (error instanceof JsonShapeError) return failed(error.message);
    throw error;
  }
  const sent = sentSince(run.ref.lines, t0);
  const sentFps = sent && sent.fps > 0 ? sent.fps : input.sourceFps;
  const { fps, framesLost, framesLate, jitterMs } = stats;
  const avOffsetMs = stats.avOffsetMs?.mean;
  const figures: ClientFigures = {
    measuredFrom: `the client's own --stats file; sent rate from the reference server's status (${sent ? 'measured' : 'not printed: the clip rate'})`,
    running: exit.code === 0,
    windowLive: null,
    framesReceived: stats.framesReceived,
    fps,
    sentFps,
    fpsErrorPct: ((fps - sentFps) / sentFps) * 100,
    audioSeconds: stats.audioSeconds,
    listenedSeconds: input.seconds,
    audioRatio: stats.audioSeconds / input.seconds,
    ...(typeof framesLost === 'number' ? { framesLost } : {}),
    ...(framesLate !== undefined ? { framesLate } : {}),
    ...(jitterMs !== undefined ? { jitterMs } : {}),
    ...(typeof avOffsetMs === 'number' ? { avOffsetMs } : {}),
  };
  return succeeded(figures, `${fmt(figures.framesReceived)} frames at ${fmt(fps)} fps (sent ${fmt(sentFps)}), ${fmt(figures.audioSeconds)} s of sound`);
}

/** What client.py's RECEIVING VIDEO window showed: live or not, and every frame it held long enough to be seen. */
interface WindowSeen {
  live: boolean | null;
  problem?: string;
  shown?: ShownFrames;
}

/** Recorded pictures per second: twice the clip's rate and more, so a frame held for one frame time is seen. */
const RECORD_RATE = 60;
/** The shortest recording of the window: 60 frames at 30 fps, twice MIN_SEEN_FRAMES. */
const MIN_RECORD_SECONDS = 2;

async function watchWindow(run: Run, sub: PythonSubmission, endAt: number, stop: () => string | undefined): Promise<WindowSeen> {
  if (!run.input.display || stop()) return { live: null };
  // Here client.py shows the reference server's pictures (the tutorial's 400 px), not its own
  // server's: the width is client.py's own resize if it has one, never server.py's.
  const band = (await pythonWindowRegions(run.input.clip, sub.clientFacts, sub.clientFacts))[1]!;
  // Retried: the demo countdown can look the same for 0.7 s between its digits and flashes.
  const [grab] = await grabLiveWindows(run.input.display, [band], { timeoutMs: 8000, stop });
  if (!grab?.live || !grab.region) return { live: false, ...(grab?.problem ? { problem: grab.problem } : {}) };
  // Recorded until the end of the window, and at least MIN_RECORD_SECONDS once it is live: a
  // client.py that opens its window late on a busy machine is still seen showing frames.
  const seconds = Math.max(MIN_RECORD_SECONDS, (endAt - performance.now()) / 1000);
  const shown = await recordShownFrames(run.input.display, grab.region, { seconds, rate: RECORD_RATE, stop }).catch(
    (error: unknown) => (error as Error).message,
  );
  if (typeof shown === 'string') return { live: true, problem: `its window could not be recorded: ${shown}` };
  return { live: true, shown };
}

/**
 * The displayed rate: the sent rate times the share of sent frames the window showed, read from
 * the clip's frame numbers; for a clip without them, the window's picture changes per second.
 */
function shownRate(seen: WindowSeen, sentFps: number): { fps: number; fpsErrorPct: number; unreliable?: string } {
  const s = seen.shown;
  if (!s) return { fps: Number.NaN, fpsErrorPct: Number.NaN, unreliable: seen.live === null ? 'not seen: no virtual screen' : 'its window was not recorded' };
  if (s.sent - s.unseen >= MIN_SEEN_FRAMES) return { fps: s.shownRatio * sentFps, fpsErrorPct: (s.shownRatio - 1) * 100 };
  const seconds = (s.samples - 1) / RECORD_RATE;
  if (s.unreadable > s.samples / 2 && s.pictureChanges >= MIN_SEEN_FRAMES && seconds > 0) {
    const fps = s.pictureChanges / seconds;
    return { fps, fpsErrorPct: ((fps - sentFps) / sentFps) * 100 };
  }
  return {
    fps: Number.NaN,
    fpsErrorPct: Number.NaN,
    unreliable: `only ${s.shown} frame numbers and ${s.pictureChanges} picture changes seen in ${s.samples} recorded pictures`,
  };
}

/** Fewer frames seen than this (a second at 30 fps) is too short a recording to judge a rate. */
const MIN_SEEN_FRAMES = 30;

async function pythonClient(run: Run, sub: PythonSubmission): Promise<Outcome<ClientFigures>> {
  const { input, ref } = run;
  const pcmFile = join(input.submission.sandbox?.scratch ?? input.out, 'client-audio.raw');
  await rm(pcmFile, { force: true });
  const client = await sub.startClient({
    ports: run.ports,
    ...(input.display ? { display: input.display } : {}),
    env: { ALSA_CONFIG_PATH: FILE_ALSA_CONF, AVSOCK_AUDIO_OUT: pcmFile },
    mode: { kind: 'measure', seconds: input.seconds, statsFile: '' },
  });
  run.started.push(client);
  const crashed = (): string | undefined =>
    client.exit ? why(client, 'client.py stopped') : ref.launched.exit ? why(ref.launched, 'the reference server stopped') : undefined;
  const joined = await until(input.startTimeoutMs, () => ref.lines.find((l) => /client #\d+ joined/.test(l.line)), crashed);
  if (typeof joined === 'string') return failed(why(client, `client.py never registered with the reference server (no 'client #N joined'): ${joined}`));
  input.note(`client.py registered with the reference server; listening ${input.seconds} s`);
  const endAt = joined.atMs + input.seconds * 1000;
  const window = await watchWindow(run, sub, endAt, crashed);
  while (performance.now() < endAt && !crashed()) await sleep(100);
  // The reference server prints its status every 5 s on a pipe: wait for one after the run.
  await until(7000, () => (ref.lines.some((l) => l.atMs >= endAt && parseStatusLine(l.line, l.atMs)) ? true : undefined), crashed);
  const listenedSeconds = (performance.now() - joined.atMs) / 1000;
  const alive = !client.exit;
  const traceback = /Traceback \(most recent call last\)/.test(client.out.text);
  const sent = sentSince(ref.lines, joined.atMs);
  const { audioSeconds } = nonSilentSeconds(await readFile(pcmFile).catch(() => Buffer.alloc(0)));
  const problems: string[] = [];
  if (!alive) problems.push(why(client, 'client.py stopped before the end'));
  if (traceback) problems.push(`client.py printed a traceback: ${client.out.tail(1)}`);
  if (window.live === false) problems.push(window.problem ?? 'RECEIVING VIDEO window not live');
  // Frames sent count as received only if client.py kept running and (when it can be seen) showed them.
  const shows = alive && !traceback && window.live !== false;
  const sentFps = sent?.fps ?? Number.NaN;
  const rate = shows ? shownRate(window, sentFps) : { fps: Number.NaN, fpsErrorPct: Number.NaN };
  const s = window.shown;
  const recorded = !s
    ? ''
    : s.shown > 0
      ? `; its window showed ${s.shown} of ${s.sent - s.unseen} frames sent in ${fmt(s.seconds)} s of recording`
      : `; its picture changed ${s.pictureChanges} times in ${fmt(s.seconds)} s of recording (no frame numbers in this clip)`;
  const figures: ClientFigures = {
    measuredFrom:
      "outside: the frames its RECEIVING VIDEO window showed (recorded from the grader's screen, each frame's number read from the clip's strip) against what the reference server sent, the PCM it played into an ALSA file",
    running: alive && !traceback,
    windowLive: window.live,
    framesReceived: shows ? (sent?.frames ?? 0) : 0,
    fps: rate.fps,
    sentFps,
    fpsErrorPct: rate.fpsErrorPct,
    audioSeconds,
    listenedSeconds,
    audioRatio: audioSeconds / listenedSeconds,
    ...(s ? { frozenAtEndS: s.frozenAtEndS } : {}),
    ...(problems.length || rate.unreliable ? { problem: [...problems, ...(rate.unreliable ? [`displayed rate ${rate.unreliable}`] : [])].join('; ') } : {}),
  };
  const note = `client.py: sent ${fmt(sent?.frames ?? 0)} frames at ${fmt(sentFps)} fps, window ${window.live === null ? 'not seen (no Xvfb)' : window.live ? 'live' : 'NOT live'}${recorded}, ${fmt(audioSeconds)} s of sound played in ${fmt(listenedSeconds)} s`;
  return problems.length ? failed(`${problems.join('; ')}`, figures) : succeeded(figures, note);
}

/** The client's run, and what the relay did when one was in the path. */
export interface ClientRun {
  outcome: Outcome<ClientFigures>;
  relay?: RelayCounts;
}

/**
 * The client against the reference server, directly or (with `profile`) through the impairment
 * relay: the relay is stopped the moment the client's run ends, so its counts are what the client
 * was offered.
 */
async function runClient(input: ClientInput, profile: string | undefined): Promise<ClientRun> {
  const sub = input.submission;
  const ports = await allocateStreamPorts();
  const relayPorts = profile === undefined ? undefined : await allocateStreamPorts();
  const started: Launched[] = [];
  let relay: RunningRelay | undefined;
  try {
    let ref: ReferenceServer;
    try {
      ref = await startReferenceServer(
        input.clip,
        ports,
        input.wire ?? (sub.kind === 'python' ? 'tutorial' : undefined),
        input.startTimeoutMs,
        sub.sandbox?.joinNetwork,
      );
      started.push(ref.launched);
      if (profile !== undefined && relayPorts) {
        relay = await startRelay({ profile, listen: relayPorts, server: ports, startTimeoutMs: input.startTimeoutMs, wrap: sub.sandbox?.joinNetwork });
        started.push(relay.launched);
      }
    } catch (error) {
      if (error instanceof ReferenceServerError || error instanceof RelayStartError) return { outcome: failedOurs(error.message) };
      throw error;
    }
    const run: Run = { input, ref, ports: relay?.ports ?? ports, started };
    const outcome = sub.kind === 'python' ? await pythonClient(run, sub) : await nodeClient(run);
    const counts = await relay?.stop();
    return counts ? { outcome, relay: counts } : { outcome };
  } finally {
    await Promise.all(started.map((l) => l.handle.stop()));
    releasePorts(ports);
    if (relayPorts) releasePorts(relayPorts);
  }
}

export async function measureClient(input: ClientInput): Promise<Outcome<ClientFigures>> {
  const sub = input.submission;
  if (sub.kind === 'python' && !sub.client) return failed('no client.py beside server.py: not measured');
  return withTimingSlot(() => bounded(input.budgetMs, 'client', async () => (await runClient(input, undefined)).outcome));
}

/** The client through the impairment relay with `profile` (the robustness phase; the caller holds the timing slot). */
export function measureClientThrough(input: ClientInput, profile: string): Promise<ClientRun> {
  return bounded(input.budgetMs, `client through ${profile}`, () => runClient(input, profile));
}
