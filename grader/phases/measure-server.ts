/**
 * Phase 2: the submission's server, measured from outside by the probe client over one whole
 * window, then judged on that whole window (judge.ts). Runs in the timing slot, so with --jobs no
 * other submission is measured at the same time; the machine's load over the window is recorded.
 */
import { performance } from 'node:perf_hooks';
import { computeServerFigures, type ServerFigures } from '../measure/server-figures.ts';
import type { WireName } from '../../src/wire/index.ts';
import { probeServer, type ProbeRecording } from '../measure/probe-client.ts';
import { startLoadWatch, type MachineLoad } from '../run/launch/machine-load.ts';
import { allocateStreamPorts, releasePorts, type StreamPorts } from '../run/launch/ports.ts';
import type { Launched } from '../run/launch/launch.ts';
import { withTimingSlot } from '../run/launch/timing-slot.ts';
import { why } from '../run/launch/watch.ts';
import type { StreamFigures } from '../score/figure-record.ts';
import { judgeStream } from '../score/judge.ts';
import { seriesFromRecording, type ReportSeries } from '../report/series.ts';
import { fmt, fmtUnit } from '../score/score-submission.ts';
import { bounded, failed, succeeded, type Outcome, type TimedPhaseInput } from './runner.ts';

export interface ServerInput extends TimedPhaseInput {
  firstFrameTimeoutMs: number;
}

export interface ServerMeasured {
  figures: ServerFigures | null;
  stream: StreamFigures;
  wire: WireName | undefined;
  machine: MachineLoad;
  /** The server's last output lines (its traceback when it died). */
  outputTail: string;
  /** The series behind report.html's plots (series.json); null when no frame arrived. */
  series?: ReportSeries | null;
  /** A Node server left running for the screenshot (the caller stops it); Python's is stopped. */
  live?: { server: Launched; ports: StreamPorts };
}

/**
 * The probe registered at `ports` — the server's own, or a relay's in front of it — for the
 * input's window; a server that dies ends the wait at once instead of after the connect timeout.
 */
export async function probeUntilExit(input: ServerInput, server: Launched, ports: Pick<StreamPorts, 'videoPort' | 'audioPort'>): Promise<ProbeRecording> {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  void server.handle.exited.then(stop, stop);
  return probeServer({
    host: '127.0.0.1',
    videoPort: ports.videoPort,
    audioPort: ports.audioPort,
    wire: input.wire ?? 'auto',
    seconds: input.seconds,
    connectTimeoutMs: input.startTimeoutMs,
    firstFrameTimeoutMs: input.firstFrameTimeoutMs,
    signal: abort.signal,
    // In a sandbox the server listens on its private loopback: the probe joins that network.
    ...(input.submission.sandbox ? { wrapCommand: input.submission.sandbox.joinNetwork } : {}),
  });
}

async function measure(input: ServerInput, server: Launched, ports: StreamPorts): Promise<ServerMeasured> {
  const startedMs = performance.now();
  const exitedAt = server.handle.exited.then(
    () => performance.now(),
    () => performance.now(),
  );
  const loadDone = await startLoadWatch();
  const rec = await probeUntilExit(input, server, ports);
  const machine = await loadDone();
  const figures = rec.frames.length ? await computeServerFigures(rec, { sourceFps: input.sourceFps }) : null;
  const exit = server.exit ? { atMs: await exitedAt, startedMs, how: server.exit.signal ?? `code ${server.exit.code}`, tail: server.out.tail(1) } : undefined;
  const problem = rec.problem && rec.problem !== 'aborted' ? rec.problem : undefined;
  const stream = judgeStream({
    frameArrivalsMs: rec.frames.map((f) => f.arrivalMs),
    endedMs: rec.endedMs,
    windowS: input.seconds,
    audioSeconds: figures?.audioSeconds ?? rec.audioBytes / 176_400,
    ...(exit ? { serverExit: exit } : {}),
    ...(problem ? { probeProblem: why(server, problem) } : {}),
  });
  const wire = rec.wire !== 'unknown' ? rec.wire : input.wire;
  return { figures, stream, wire, machine, outputTail: server.out.tail(5), series: seriesFromRecording(rec, figures, input.sourceFps) };
}

function summary(m: ServerMeasured): string {
  const s = m.figures;
  if (!s) return m.stream.reason ?? 'no frame';
  const load = m.machine.disturbed ? `; DISTURBED: ${m.machine.reason}` : '';
  return `${m.wire} wire: ${fmt(s.fps)} fps of ${fmt(s.sourceFps)}, jitter p99 ${fmt(s.jitterP99Ms)} ms, drift ${fmt(s.driftMaxMs)} ms, A/V ${fmtUnit(s.avOffsetMs, 'ms')} (${s.avSync.pairs} pairs), audio ${s.paced ? 'paced' : 'UNPACED'} ×${fmt(s.rate)}${load}`;
}

export async function measureServer(input: ServerInput): Promise<Outcome<ServerMeasured>> {
  const ports = await allocateStreamPorts();
  const started: Launched[] = [];
  let keep = false;
  try {
    const { measured, server } = await withTimingSlot(() =>
      bounded(input.budgetMs, 'server', async () => {
        const launched = await input.submission.startServer({
          clip: input.clip,
          ports,
          ...(input.wire ? { wire: input.wire } : {}),
          ...(input.display ? { display: input.display } : {}),
        });
        started.push(launched);
        input.note(`started ${launched.name} (pid ${launched.handle.pid}) on udp ${ports.videoPort} / tcp ${ports.audioPort}; measuring ${input.seconds} s`);
        return { measured: await measure(input, launched, ports), server: launched };
      }),
    );
    if (!measured.stream.video || !measured.figures) return failed(measured.stream.reason ?? 'the server did not stream', measured);
    // server.py streams only to its first client (the probe): stop it, the CPU is needed.
    keep = input.submission.kind === 'node' && !server.exit;
    return succeeded(keep ? { ...measured, live: { server, ports } } : measured, summary(measured));
  } finally {
    if (!keep) {
      await Promise.all(started.map((l) => l.handle.stop()));
      releasePorts(ports);
    }
  }
}
