/**
 * Grades one submission: run its server and measure it from outside, run its client against our
 * reference server, screenshot both windows, check the repo, score, report. Every phase is bounded
 * in time, every process runs in its own process group and is stopped in `finally`, and a failing
 * phase costs only its own items: the grader itself never hangs or throws for a broken submission.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CLIP, ensureDemoClip } from '../src/media/clips.ts';
import { probeMedia } from '../src/media/probe.ts';
import { toNumber } from '../src/media/rational.ts';
import type { Finding } from './check/index.ts';
import { computeServerFigures, type ServerFigures } from './measure/figures.ts';
import { probeServer, type Wire } from './measure/probe.ts';
import { allocateStreamPorts, releasePorts, type StreamPorts } from './run/ports.ts';
import { UI_LINE } from './run/output.ts';
import {
  launch,
  preparePythonScript,
  prepareSubmission,
  pythonCommand,
  pythonMissingModule,
  type Launched,
  type Submission,
} from './run/submission.ts';
import { composeScreenshot, screenshotName, ScreenshotRefusedError } from './screenshot/compose.ts';
import { grabPages } from './screenshot/capture.ts';
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

function startServer(sub: Submission, clip: string, ports: StreamPorts, wire: Wire | undefined, cwd = sub.workDir): Launched {
  if (sub.kind === 'python' && sub.python) {
    const { command, args } = pythonCommand(sub.python.server);
    return launch('server.py', command, args, { cwd: dirname(sub.python.server) });
  }
  return launch('server', 'npm', nodeServerArgs(clip, ports, wire), { cwd });
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
        server = startServer(sub, clip!, serverPorts, wire);
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
        if (sub.kind !== 'node') {
          problems.client = 'a tutorial client.py has no --stats: not measured (run it by hand against npm run server -- --wire tutorial)';
          throw new Error(problems.client);
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
        if (sub.kind !== 'node') {
          shot.reason = 'tutorial submissions show OpenCV windows, not pages: take the screenshot by hand';
          throw new Error(shot.reason);
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
          const s = serverFigures;
          const c = clientFigures;
          const commit = gitHead(sub.repo);
          const caption = [
            `avsock · ${new Date().toLocaleString('sv-SE')} · ${basename(sub.repo)}${commit ? ` @ ${commit.slice(0, 10)}` : ''} · wire ${wire ?? '?'}`,
            s
              ? `server (measured by the grader): ${fmt(s.fps)} fps of ${fmt(s.sourceFps)} · jitter p99 ${fmt(s.jitterP99Ms)} ms · drift ${fmt(s.driftMaxMs)} ms · A/V ${fmt(s.avOffsetMs)} ms`
              : 'server: not measured',
            c ? `client: ${fmt(c.fps)} fps · ${fmt(c.framesReceived)} frames · ${fmt(c.audioSeconds)} s of sound` : 'client: not measured',
          ];
          const png = await composeScreenshot(
            grabs.map((g) => ({ title: g.title, png: g.png!, ...(g.fps !== undefined ? { fps: g.fps } : {}) })),
            caption,
          );
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
        } catch (error) {
          if (error instanceof ScreenshotRefusedError) shot.reason = error.message;
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
