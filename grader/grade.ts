/**
 * Grades one submission: run its server and measure it from outside, run its client against our
 * reference server, screenshot both windows, check the repo, score, report. Every phase is bounded
 * in time, every process runs in its own process group and is stopped in `finally`, and a failing
 * phase costs only its own items: the grader itself never hangs or throws for a broken submission.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CLIP, ensureDemoClip } from '../src/media/clips.ts';
import { probeMedia } from '../src/media/probe.ts';
import { toNumber } from '../src/media/rational.ts';
import type { Finding } from './check/index.ts';
import { computeServerFigures, type ServerFigures } from './measure/figures.ts';
import { probeServer, type Wire } from './measure/probe.ts';
import { framesSent, nonSilentSeconds, parseStatusLine, type StatusSample } from './measure/tutorial-client.ts';
import { allocateStreamPorts, releasePorts, type StreamPorts } from './run/ports.ts';
import { UI_LINE } from './run/output.ts';
import {
  FILE_ALSA_CONF,
  launch,
  preparePythonScript,
  prepareSubmission,
  pythonCommand,
  pythonMissingModule,
  rewriteTutorialPython,
  type Launched,
  type Submission,
} from './run/submission.ts';
import { composeScreenshot, screenshotName, ScreenshotRefusedError } from './screenshot/compose.ts';
import { grabPages } from './screenshot/capture.ts';
import { BrowserUnavailableError } from '../src/platform/browser.ts';
import { grabLiveWindows, tutorialWindowRegions, type WindowRegion } from './screenshot/opencv.ts';
import { startXvfb, type VirtualDisplay } from './screenshot/xvfb.ts';
import type { Progress } from './progress.ts';
import { loadRubric, type Rubric } from './score/rubric.ts';
import { fmt, scoreSubmission } from './score/score.ts';
import type { GradeReport, PhaseRecord } from './report/types.ts';

/** The grader's own checkout: its `npm run server` is the reference server for client grading. */
export const GRADER_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface GradeOptions {
  repo: string;
  wire?: Wire;
  /** Measurement length, s (default 8). */
  seconds?: number;
  /** Report folder. */
  out: string;
  /** Don't save the screenshot into the submission (only the report folder). */
  noSave?: boolean;
  clip?: string;
  rubric?: Rubric;
  progress?: Progress;
  /** Skip phases (tests): 'server' | 'client' | 'screenshot' | 'checks'. */
  skip?: string[];
  /** Client run length, s (default 6). */
  clientSeconds?: number;
  /** Start-up bound for a server or client (tsx cold start on a busy machine), ms. */
  startTimeoutMs?: number;
  /** How long after registering the first frame may take, ms (default 10000). */
  firstFrameTimeoutMs?: number;
  /** Run the submission's processes in a sandbox (grader/run/sandbox.ts); default: when one can be made. */
  sandbox?: boolean;
}

class PhaseTimeout extends Error {}

async function bounded<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PhaseTimeout(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function gitHead(repo: string): string | undefined {
  const r = spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function why(l: Launched | undefined, fallback: string): string {
  if (!l) return fallback;
  const missing = pythonMissingModule(l.out.text);
  if (missing) return missing;
  const exited = l.exit ? ` (${l.name} exited with ${l.exit.signal ?? `code ${l.exit.code}`})` : '';
  const tail = l.out.tail(1);
  return `${fallback}${exited}${tail ? `; last output: ${tail}` : ''}`;
}

function nodeServerArgs(clip: string, p: StreamPorts, wire?: Wire): string[] {
  const args = ['run', 'server', '--', '--file', clip, '--port', String(p.videoPort), '--audio-port', String(p.audioPort), '--host', '127.0.0.1', '--no-window', '--ui-port', String(p.uiPort)];
  if (wire) args.push('--wire', wire);
  return args;
}

function startServer(sub: Submission, clip: string, ports: StreamPorts, wire: Wire | undefined, cwd = sub.workDir, display?: string): Launched {
  if (sub.kind === 'python' && sub.python) {
    const { command, args } = pythonCommand(sub.python.server, display ? { display } : {});
    return launch('server.py', command, args, { cwd: dirname(sub.python.server) });
  }
  return launch('server', 'npm', nodeServerArgs(clip, ports, wire), { cwd });
}

/** A copy of a tutorial script beside it (same folder, for its relative files), pointed at `port` (and `clip`). */
async function tutorialCopy(script: string, tag: string, opts: { port: number; clip?: string }): Promise<string> {
  const copy = join(dirname(script), `${basename(script, '.py')}-grader-${tag}.py`);
  await writeFile(copy, rewriteTutorialPython(await readFile(script, 'utf8'), opts));
  return copy;
}

/** Every output line of a process with when it was read (performance.now()), at most 10 000. */
function timedLines(l: Launched): Array<{ atMs: number; line: string }> {
  const lines: Array<{ atMs: number; line: string }> = [];
  for (const stream of [l.handle.process.stdout, l.handle.process.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: string | Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = (parts.pop() ?? '').slice(-4096);
      for (const line of parts) if (lines.length < 10_000) lines.push({ atMs: performance.now(), line });
    });
  }
  return lines;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value, `stop` returns a reason, or `ms` pass. */
async function until<T>(ms: number, check: () => T | undefined, stop: () => string | undefined): Promise<T | string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    const why = stop();
    if (why) return why;
    if (Date.now() > deadline) return `timed out after ${Math.round(ms / 1000)} s`;
    await sleep(100);
  }
}

async function windowRegions(clip: string): Promise<WindowRegion[]> {
  const v = (await probeMedia(clip).catch(() => undefined))?.video;
  return tutorialWindowRegions(v?.width ?? DEMO_CLIP.width, v?.height ?? DEMO_CLIP.height);
}

interface TutorialClientRun {
  script: string;
  clip: string;
  wire: Wire | undefined;
  display: VirtualDisplay | undefined;
  clientSeconds: number;
  startTimeoutMs: number;
  out: string;
  sourceFps: number;
  running: Launched[];
  note: (m: string) => void;
}

/**
 * A tutorial client.py, measured from outside against the reference server (`--wire tutorial`):
 * it must register (the server logs `client #N joined`), keep running without a traceback for
 * `clientSeconds`, show live frames in RECEIVING VIDEO (grabbed from the grader's Xvfb when there is
 * one), and play the sound (PCM into the grader's ALSA file sink). framesReceived/fps are the frames
 * the reference server sent to it (client.py prints no statistics; UDP on loopback does not drop).
 */
async function measureTutorialClient(run: TutorialClientRun): Promise<{ figures: Record<string, unknown>; note: string }> {
  const ports = await allocateStreamPorts();
  const pcmFile = join(run.out, 'client-audio.raw');
  let ref: Launched | undefined;
  let client: Launched | undefined;
  try {
    ref = launch('reference server', 'npm', nodeServerArgs(run.clip, ports, run.wire ?? 'tutorial'), { cwd: GRADER_ROOT });
    run.running.push(ref);
    const lines = timedLines(ref);
    if (!(await ref.out.waitForLine(UI_LINE, run.startTimeoutMs))) throw new Error(why(ref, 'the reference server did not start'));
    const script = await tutorialCopy(run.script, `ref-${ports.videoPort}`, { port: ports.videoPort });
    await rm(pcmFile, { force: true });
    const { command, args } = pythonCommand(script, { ...(run.display ? { display: run.display.display } : {}), env: { ALSA_CONFIG_PATH: FILE_ALSA_CONF, AVSOCK_AUDIO_OUT: pcmFile } });
    client = launch('client.py', command, args, { cwd: dirname(script) });
    run.running.push(client);
    const c = client;
    const r = ref;
    const crashed = (): string | undefined => (c.exit ? why(c, 'client.py stopped') : r.exit ? why(r, 'the reference server stopped') : undefined);
    const joined = await until(run.startTimeoutMs, () => lines.find((l) => /client #\d+ joined/.test(l.line)), crashed);
    if (typeof joined === 'string') throw new Error(why(c, `client.py never registered with the reference server (no 'client #N joined'): ${joined}`));
    run.note(`client.py registered with the reference server; listening ${run.clientSeconds} s`);
    const endAt = joined.atMs + run.clientSeconds * 1000;
    while (performance.now() < endAt && !crashed()) await sleep(100);
    // The reference server prints its status every 5 s on a pipe: wait for one after the run.
    await until(7000, () => (lines.some((l) => l.atMs >= endAt && parseStatusLine(l.line, l.atMs)) ? true : undefined), crashed);
    let windowLive: boolean | null = null;
    let windowProblem: string | undefined;
    if (run.display && !crashed()) {
      const region = (await windowRegions(run.clip))[1]!;
      // Retried: the demo countdown can look the same for 0.7 s between its digits and flashes.
      const [grab] = await grabLiveWindows(run.display.display, [region], { timeoutMs: 8000, stop: crashed });
      windowLive = grab?.live ?? false;
      windowProblem = grab?.problem;
    }
    const endMs = performance.now();
    const alive = !c.exit;
    const traceback = /Traceback \(most recent call last\)/.test(c.out.text);
    const samples = lines.filter((l) => l.atMs >= joined.atMs).map((l) => parseStatusLine(l.line, l.atMs)).filter((x): x is StatusSample => x !== undefined);
    const sent = framesSent(samples);
    const pcm = await readFile(pcmFile).catch(() => Buffer.alloc(0));
    const { audioSeconds, pcmSeconds } = nonSilentSeconds(pcm);
    const listenedS = (endMs - joined.atMs) / 1000;
    const problems: string[] = [];
    if (!alive) problems.push(why(c, 'client.py stopped before the end'));
    if (traceback) problems.push(`client.py printed a traceback: ${c.out.tail(1)}`);
    if (windowLive === false) problems.push(windowProblem ?? 'RECEIVING VIDEO window not live');
    // Frames sent count as received only if client.py kept running and (when it can be seen) showed them.
    const shows = alive && !traceback && windowLive !== false;
    const frames = shows ? (sent?.frames ?? 0) : 0;
    const fps = shows ? (sent?.fps ?? Number.NaN) : Number.NaN;
    const figures: Record<string, unknown> = {
      measuredFrom: 'outside: reference server status (frames sent to client.py), its RECEIVING VIDEO window on the grader\'s screen, the PCM it played into an ALSA file',
      running: alive && !traceback,
      windowLive,
      framesReceived: frames,
      fps,
      sourceFps: run.sourceFps,
      fpsErrorPct: ((fps - run.sourceFps) / run.sourceFps) * 100,
      audioSeconds,
      pcmSeconds,
      listenedSeconds: listenedS,
      audioRatio: audioSeconds / listenedS,
      ...(problems.length ? { problem: problems.join('; ') } : {}),
    };
    if (problems.length && frames === 0) throw Object.assign(new Error(problems.join('; ')), { figures });
    return { figures, note: `client.py: reference server sent it ${fmt(frames)} frames at ${fmt(fps)} fps, window ${windowLive === null ? 'not seen (no Xvfb)' : windowLive ? 'live' : 'NOT live'}, ${fmt(audioSeconds)} s of sound played in ${fmt(listenedS)} s${problems.length ? `; ${problems.join('; ')}` : ''}` };
  } finally {
    await Promise.all([client?.handle.stop(), ref?.handle.stop()]);
    releasePorts(ports);
  }
}

export async function gradeSubmission(opts: GradeOptions): Promise<GradeReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const progress = opts.progress;
  const seconds = opts.seconds ?? 8;
  const clientSeconds = opts.clientSeconds ?? 6;
  const startTimeoutMs = opts.startTimeoutMs ?? 40_000;
  const skip = new Set(opts.skip ?? []);
  const phases: PhaseRecord[] = [];
  const problems: Record<string, string> = {};
  const running: Launched[] = [];
  let serverFigures: ServerFigures | undefined;
  let clientFigures: Record<string, unknown> | undefined;
  let findings: Finding[] | undefined;
  const shot: GradeReport['screenshotInfo'] = { ok: false };
  let screenshotPath: string | null = null;
  let sub: Submission = { kind: 'unknown', repo: resolve(opts.repo), workDir: resolve(opts.repo), notes: [] };
  let wire: Wire | undefined = opts.wire;
  let sourceFps: number = DEMO_CLIP.fps;
  let clip = opts.clip;
  let serverPorts: StreamPorts | undefined;
  let server: Launched | undefined;
  let xdisplay: VirtualDisplay | undefined;

  const phase = async (name: string, budgetMs: number, work: () => Promise<string | void>): Promise<void> => {
    if (skip.has(name)) {
      phases.push({ name, status: 'skipped', seconds: 0 });
      problems[name] ??= 'skipped';
      progress?.done(name, 'skipped');
      return;
    }
    const t0 = Date.now();
    progress?.phase(name);
    try {
      const note = await bounded(budgetMs, name, work);
      phases.push({ name, status: 'ok', seconds: (Date.now() - t0) / 1000, ...(note ? { note } : {}) });
      progress?.done(name, 'ok', note ?? undefined);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0]!;
      problems[name] ??= message;
      phases.push({ name, status: 'failed', seconds: (Date.now() - t0) / 1000, note: message });
      progress?.done(name, 'failed', message);
    }
  };

  await mkdir(opts.out, { recursive: true });
  try {
    await phase('prepare', 360_000, async () => {
      sub = await prepareSubmission(opts.repo, { onEvent: (m) => progress?.note(m) });
      if (sub.notes.length) problems.prepare = sub.notes.join('; ');
      clip ??= await ensureDemoClip({ onProgress: (m) => progress?.note(m) });
      if (opts.clip) {
        const info = await probeMedia(opts.clip);
        if (info.video) sourceFps = toNumber(info.video.fps);
      }
      if (sub.kind === 'python') wire ??= 'tutorial';
      if (sub.kind === 'unknown') throw new Error(`${sub.repo} is neither a Node submission (package.json with server and client scripts) nor a tutorial one (server.py)`);
      return `${sub.kind} submission${sub.workDir !== sub.repo ? ` (temp copy ${sub.workDir})` : ''}, clip ${basename(clip)} at ${fmt(sourceFps)} fps`;
    });
    const runnable = sub.kind !== 'unknown' && clip !== undefined;

    // 1. The server, measured from outside by the probe client.
    if (runnable) {
      await phase('server', startTimeoutMs + (seconds + 25) * 1000, async () => {
        serverPorts = await allocateStreamPorts();
        if (sub.kind === 'python' && sub.python) {
          await preparePythonScript(sub.python.server, { port: serverPorts.videoPort, clip: clip! });
          if (sub.python.client) await preparePythonScript(sub.python.client, { port: serverPorts.videoPort });
        }
        // One virtual screen for both tutorial windows (server.py, client.py), so they can be grabbed.
        if (sub.kind === 'python' && !xdisplay) {
          xdisplay = await startXvfb();
          if (xdisplay) running.push(xdisplay.xvfb);
          else progress?.note('no Xvfb: the OpenCV windows run under xvfb-run and cannot be grabbed');
        }
        server = startServer(sub, clip!, serverPorts, wire, sub.workDir, xdisplay?.display);
        running.push(server);
        progress?.note(`started ${server.name} (pid ${server.handle.pid}) on udp ${serverPorts.videoPort} / tcp ${serverPorts.audioPort}; measuring ${seconds} s`);
        const abort = new AbortController();
        // A server that dies early ends the wait at once instead of after the connect timeout.
        server.handle.exited.then(() => abort.abort(), () => abort.abort());
        const rec = await probeServer({
          host: '127.0.0.1',
          videoPort: serverPorts.videoPort,
          audioPort: serverPorts.audioPort,
          wire: wire ?? 'auto',
          seconds,
          connectTimeoutMs: startTimeoutMs,
          firstFrameTimeoutMs: opts.firstFrameTimeoutMs ?? 10_000,
          signal: abort.signal,
        });
        if (rec.wire !== 'unknown') wire = rec.wire;
        serverFigures = await computeServerFigures(rec, { sourceFps });
        if (rec.problem || rec.frames.length === 0) {
          problems.server = why(server, rec.problem === 'aborted' || !rec.problem ? 'the server stopped before streaming' : rec.problem);
          throw new Error(problems.server);
        }
        if (rec.truncated.length) problems['server.note'] = `recording capped: ${rec.truncated.join(', ')}`;
        const s = serverFigures;
        return `${wire} wire: ${fmt(s.fps)} fps of ${fmt(s.sourceFps)}, jitter p99 ${fmt(s.jitterP99Ms)} ms, drift ${fmt(s.driftMaxMs)} ms, A/V ${fmt(s.avOffsetMs)} ms (${s.avSync.pairs} pairs), audio ${s.paced ? 'paced' : 'UNPACED'} ×${fmt(s.rate)}`;
      });
    }

    // 2. The client, against the grader's reference server.
    if (runnable) {
      await phase('client', startTimeoutMs * 2 + (clientSeconds + 20) * 1000, async () => {
        if (sub.kind === 'python') {
          // server.py serves only its first client (the probe): stop it, the CPU is needed.
          if (server) await server.handle.stop();
          if (!sub.python?.client) throw new Error((problems.client = 'no client.py beside server.py: not measured'));
          try {
            const r = await measureTutorialClient({ script: sub.python.client, clip: clip!, wire, display: xdisplay, clientSeconds, startTimeoutMs, out: opts.out, sourceFps, running, note: (m) => progress?.note(m) });
            clientFigures = r.figures;
            if (typeof r.figures.problem === 'string') problems.client = r.figures.problem;
            return r.note;
          } catch (error) {
            const figures = (error as { figures?: Record<string, unknown> }).figures;
            if (figures) clientFigures = figures;
            throw error;
          }
        }
        const ports = await allocateStreamPorts();
        const statsFile = join(opts.out, 'client-stats.json');
        let ref: Launched | undefined;
        let client: Launched | undefined;
        try {
          ref = launch('reference server', 'npm', nodeServerArgs(clip!, ports, wire), { cwd: GRADER_ROOT });
          running.push(ref);
          if (!(await ref.out.waitForLine(UI_LINE, startTimeoutMs))) throw new Error(why(ref, 'the reference server did not start'));
          const args = ['run', 'client', '--', '--host', '127.0.0.1', '--port', String(ports.videoPort), '--audio-port', String(ports.audioPort), '--duration', String(clientSeconds), '--stats', statsFile, '--no-window'];
          if (wire) args.push('--wire', wire);
          client = launch('client', 'npm', args, { cwd: sub.workDir });
          running.push(client);
          let timer: NodeJS.Timeout | undefined;
          const exit = await Promise.race([
            client.handle.exited.catch(() => ({ code: -1, signal: null })),
            new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), startTimeoutMs + (clientSeconds + 15) * 1000))),
          ]).finally(() => clearTimeout(timer));
          if (exit === 'timeout') throw new Error(why(client, `the client did not exit within ${clientSeconds} s + start-up (--duration ${clientSeconds})`));
          let stats: Record<string, unknown>;
          try {
            stats = JSON.parse(await readFile(statsFile, 'utf8')) as Record<string, unknown>;
          } catch (error) {
            throw new Error(why(client, `no readable --stats file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`));
          }
          const num = (k: string): number => (typeof stats[k] === 'number' ? (stats[k] as number) : Number.NaN);
          clientFigures = {
            exitCode: exit.code,
            framesReceived: num('framesReceived'),
            fps: num('fps'),
            sourceFps,
            fpsErrorPct: ((num('fps') - sourceFps) / sourceFps) * 100,
            framesLost: num('framesLost'),
            framesLate: num('framesLate'),
            jitterMs: num('jitterMs'),
            audioSeconds: num('audioSeconds'),
            audioRatio: num('audioSeconds') / clientSeconds,
            avOffsetMs: stats.avOffsetMs ?? null,
            reported: stats,
          };
          return `${fmt(num('framesReceived'))} frames at ${fmt(num('fps'))} fps, ${fmt(num('audioSeconds'))} s of sound`;
        } finally {
          await Promise.all([client?.handle.stop(), ref?.handle.stop()]);
          releasePorts(ports);
        }
      });
    }

    // 3. Screenshot: the submission's own pair (its client on its server), both pages live.
    if (runnable) {
      await phase('screenshot', startTimeoutMs + 45_000, async () => {
        const caption = (): string[] => {
          const s = serverFigures;
          const c = clientFigures;
          const commit = gitHead(sub.repo);
          return [
            `avsock · ${new Date().toLocaleString('sv-SE')} · ${basename(sub.repo)}${commit ? ` @ ${commit.slice(0, 10)}` : ''} · wire ${wire ?? '?'}`,
            s
              ? `server (measured by the grader): ${fmt(s.fps)} fps of ${fmt(s.sourceFps)} · jitter p99 ${fmt(s.jitterP99Ms)} ms · drift ${fmt(s.driftMaxMs)} ms · A/V ${fmt(s.avOffsetMs)} ms`
              : 'server: not measured',
            c ? `client: ${fmt(c.fps as number)} fps · ${fmt(c.framesReceived as number)} frames · ${fmt(c.audioSeconds as number)} s of sound` : 'client: not measured',
          ];
        };
        const save = async (png: Buffer): Promise<string> => {
          const reportCopy = join(opts.out, 'screenshot.png');
          await writeFile(reportCopy, png);
          shot.reportCopy = reportCopy;
          shot.ok = true;
          screenshotPath = reportCopy;
          if (!opts.noSave) {
            const saved = join(sub.repo, 'screenshots', screenshotName());
            await mkdir(dirname(saved), { recursive: true });
            await copyFile(reportCopy, saved);
            shot.savedTo = saved;
            screenshotPath = saved;
          }
          return screenshotPath;
        };
        if (sub.kind === 'python') {
          // A fresh pair: server.py streams only to its first client, so the one measured is spent.
          if (!xdisplay) throw new Error((shot.reason = 'no Xvfb to draw the OpenCV windows on (apt-get install xvfb): no screenshot'));
          if (!sub.python?.client) throw new Error((shot.reason = 'no client.py beside server.py: no RECEIVING VIDEO window'));
          const display = xdisplay.display;
          const pairPorts = await allocateStreamPorts();
          let pyServer: Launched | undefined;
          let pyClient: Launched | undefined;
          try {
            const serverScript = await tutorialCopy(sub.python.server, `shot-${pairPorts.videoPort}`, { port: pairPorts.videoPort, clip: clip! });
            const clientScript = await tutorialCopy(sub.python.client, `shot-${pairPorts.videoPort}`, { port: pairPorts.videoPort });
            const sc = pythonCommand(serverScript, { display });
            pyServer = launch('server.py', sc.command, sc.args, { cwd: dirname(serverScript) });
            running.push(pyServer);
            // audio_stream() prints this once its TCP socket listens (the UDP one is bound before).
            if (!(await pyServer.out.waitForLine(/server listening at/, startTimeoutMs))) throw new Error((shot.reason = why(pyServer, "server.py did not start (no 'server listening at')")));
            const cc = pythonCommand(clientScript, { display });
            pyClient = launch('client.py', cc.command, cc.args, { cwd: dirname(clientScript) });
            running.push(pyClient);
            const ps = pyServer;
            const pc = pyClient;
            const stopped = (): string | undefined => (ps.exit ? why(ps, 'server.py stopped') : pc.exit ? why(pc, 'client.py stopped') : undefined);
            const grabs = await grabLiveWindows(display, await windowRegions(clip!), { timeoutMs: 20_000, stop: stopped });
            const bad = grabs.find((g) => !g.live || !g.png);
            if (bad) throw new Error((shot.reason = bad.problem ?? `${bad.title}: no picture`));
            // The windows draw their own FPS (the tutorial's putText); the title bars carry none.
            const png = await composeScreenshot(grabs.map((g) => ({ title: g.title, png: g.png! })), caption());
            return await save(png);
          } catch (error) {
            if (error instanceof ScreenshotRefusedError) shot.reason = error.message;
            throw error;
          } finally {
            await Promise.all([pyClient?.handle.stop(), pyServer?.handle.stop()]);
            releasePorts(pairPorts);
          }
        }
        if (!server || !serverPorts || server.exit) throw new Error(shot.reason = why(server, 'the server is not running'));
        const serverUi = await server.out.waitForLine(UI_LINE, 5000);
        if (!serverUi) throw new Error(shot.reason = why(server, "the server printed no 'ui: http://127.0.0.1:PORT/' line"));
        const clientPorts = await allocateStreamPorts();
        const args = ['run', 'client', '--', '--host', '127.0.0.1', '--port', String(serverPorts.videoPort), '--audio-port', String(serverPorts.audioPort), '--duration', '60', '--no-window', '--ui-port', String(clientPorts.uiPort)];
        if (wire) args.push('--wire', wire);
        const client = launch('client', 'npm', args, { cwd: sub.workDir });
        running.push(client);
        try {
          const clientUi = await client.out.waitForLine(UI_LINE, startTimeoutMs);
          if (!clientUi) throw new Error(shot.reason = why(client, "the client printed no 'ui: http://127.0.0.1:PORT/' line"));
          const grabs = await grabPages([
            { url: serverUi[1]!, title: 'TRANSMITTING VIDEO' },
            { url: clientUi[1]!, title: 'RECEIVING VIDEO' },
          ]);
          const bad = grabs.find((g) => !g.png || !g.live || g.frozen);
          shot.fps = { ...(grabs[0]?.fps !== undefined ? { server: grabs[0].fps } : {}), ...(grabs[1]?.fps !== undefined ? { client: grabs[1].fps } : {}) };
          if (bad) throw new Error((shot.reason = bad.problem ?? `${bad.title}: no picture`));
          const png = await composeScreenshot(
            grabs.map((g) => ({ title: g.title, png: g.png!, ...(g.fps !== undefined ? { fps: g.fps } : {}) })),
            caption(),
          );
          return await save(png);
        } catch (error) {
          if (error instanceof ScreenshotRefusedError) shot.reason = error.message;
          if (error instanceof BrowserUnavailableError) throw new Error((shot.reason = `not run: no browser; fix: ${error.fix}`));
          throw error;
        } finally {
          await client.handle.stop();
          releasePorts(clientPorts);
        }
      });
    }
  } finally {
    await Promise.all(running.map((l) => l.handle.stop().catch(() => {})));
    if (serverPorts) releasePorts(serverPorts);
  }

  // 4. Repo readiness (after the screenshot is saved, so a fresh one is seen — though uncommitted).
  await phase('checks', 90_000, async () => {
    const { runRepoChecks } = await import('./check/index.ts');
    findings = await runRepoChecks({ repo: sub.repo, ci: Boolean(process.env.CI) });
    const failed = findings.filter((f) => f.status === 'fail');
    return `${findings.length - failed.length}/${findings.length} passed`;
  });

  const rubric = opts.rubric ?? (await loadRubric());
  if (!shot.ok) problems.screenshot ??= shot.reason ?? 'not taken';
  const result = scoreSubmission(rubric, {
    figures: {
      server: serverFigures ?? null,
      client: clientFigures ?? null,
      screenshot: { ok: shot.ok },
    },
    ...(findings ? { findings } : {}),
    problems,
  });
  const { avSync, ...serverFlat } = serverFigures ?? ({} as Partial<ServerFigures>);
  const commit = gitHead(sub.repo);
  return {
    tool: 'avsock-grader',
    startedAt,
    durationS: (Date.now() - started) / 1000,
    repo: sub.repo,
    ...(commit ? { commit } : {}),
    kind: sub.kind,
    ...(wire ? { wire } : {}),
    score: result.score,
    maxScore: result.maxScore,
    passMark: result.passMark,
    passed: result.passed,
    measured: { server: serverFigures ? { ...serverFlat, avSync } : null, client: clientFigures ?? null },
    checks: result.items,
    repoFindings: findings ?? [],
    screenshot: screenshotPath,
    screenshotInfo: shot,
    problems,
    phases,
  };
}
