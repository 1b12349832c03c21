/**
 * The grader's probe client: registers with a server like a client would and records when every
 * frame and audio message arrived — in a process of its own (probe-process.ts), never on the
 * grader's event loop, with audio on a separate thread consumed at the real-time rate (a bounded
 * playout buffer that applies TCP back-pressure as a sound card does). It shows nothing, so what it
 * measures is the server, as a correct real-time player would receive it.
 *
 * Registration follows the wire's rules (src/wire: helloBeforeConnect, hello, helloNeeded):
 * - framed: TCP connect to the audio port → Handshake{token} → UDP Hello{token} now and every 1 s
 *   (registration and keepalive, docs/PROTOCOL.md).
 * - tutorial: UDP b'Hello' then TCP connect, in client.py's order. Hello is repeated every 1 s
 *   until the first frame arrives (a datagram sent before the server bound its port is lost).
 * - auto: both at once; a framed Handshake on TCP means framed, pickle bytes on TCP or a base64
 *   datagram means tutorial. A framed server must ignore the stray b'Hello' (it is garbage to it).
 *
 * Memory is capped: JPEGs and PCM are kept only up to the caps (for marker detection); beyond them
 * only times and sizes are recorded, and `truncated` says so.
 *
 * Folder grader/measure/: the probe client and the pure analysis of what it recorded. May import:
 * src/ (test fixtures also grader/run/).
 */
import { fileURLToPath } from 'node:url';
import { startChild, type ChildHandle } from '../../src/process/children.ts';
import { monoToPerformanceOffset } from './mono-clock.ts';
import { record, type RecorderOptions } from './recorder.ts';
import type { WireName } from '../../src/wire/index.ts';
import { emptyRecording, shiftRecording, type ProbeRecording } from './recording.ts';
import { decodeResult } from './result-codec.ts';

export type { ProbeAudio, ProbeFrame, ProbeRecording, AudioPlayoutRecord } from './recording.ts';

/** A command to run: the probe's own, possibly wrapped (e.g. `ip netns exec NS node …`). */
export interface ProbeCommand {
  command: string;
  args: string[];
}

export interface ProbeOptions {
  host: string;
  videoPort: number;
  audioPort: number;
  wire: WireName | 'auto';
  /** Recording length after the first frame, s. */
  seconds: number;
  /** How long to keep retrying the TCP connect while the server starts, ms (default 20000). */
  connectTimeoutMs?: number;
  /** How long to wait for the first frame after registering, ms (default 8000). */
  firstFrameTimeoutMs?: number;
  /** Sound the probe's player queues before it stops reading the socket, ms (default 1000). */
  audioReadAheadMs?: number;
  maxKeptJpegBytes?: number;
  maxKeptPcmBytes?: number;
  maxFrames?: number;
  signal?: AbortSignal;
  onEvent?: (msg: string) => void;
  /**
   * Wraps the probe process's command line, e.g. to run it inside a submission's network
   * namespace: `(cmd, args) => ({ command: 'ip', args: ['netns', 'exec', ns, cmd, ...args] })`.
   * The wrapper must pass stdin, stdout and stderr through.
   */
  wrapCommand?: (command: string, args: string[]) => ProbeCommand;
}

const PROBE_PROCESS = fileURLToPath(new URL('./probe-process.ts', import.meta.url));
/** tsx's loader by absolute URL: the probe may start in any working directory. */
const TSX_LOADER = import.meta.resolve('tsx');
/** Stdout of the probe process is at most the kept bytes plus the JSON (a few MB): a cap against a runaway wrapper. */
const MAX_RESULT_BYTES = 512 * 1024 * 1024;

/** The probe's command line (before wrapCommand). */
export function probeCommand(opts: RecorderOptions): ProbeCommand {
  return { command: process.execPath, args: ['--import', TSX_LOADER, PROBE_PROCESS, JSON.stringify(opts)] };
}

function failed(opts: ProbeOptions, problem: string, startedMs: number): ProbeRecording {
  return {
    ...emptyRecording(opts.wire, startedMs, opts.audioReadAheadMs ?? 1000),
    endedMs: performance.now(),
    aborted: Boolean(opts.signal?.aborted),
    problem,
  };
}

function recorderOptionsOf(opts: ProbeOptions): RecorderOptions {
  return {
    host: opts.host,
    videoPort: opts.videoPort,
    audioPort: opts.audioPort,
    wire: opts.wire,
    seconds: opts.seconds,
    connectTimeoutMs: opts.connectTimeoutMs ?? 20_000,
    firstFrameTimeoutMs: opts.firstFrameTimeoutMs ?? 8000,
    audioReadAheadMs: opts.audioReadAheadMs ?? 1000,
    maxKeptJpegBytes: opts.maxKeptJpegBytes ?? 96 * 1024 * 1024,
    maxKeptPcmBytes: opts.maxKeptPcmBytes ?? 32 * 1024 * 1024,
    maxFrames: opts.maxFrames ?? 20_000,
  };
}

/**
 * The same recording on this process's own event loop (its audio still on a worker thread): only
 * for a process that does nothing else, e.g. a benchmark worker running many probes at once,
 * where a process per probe would cost more than it measures. The grader uses probeServer().
 */
export async function probeInThisProcess(opts: ProbeOptions): Promise<ProbeRecording> {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let isStopped = false;
  const onAbort = (): void => {
    isStopped = true;
    stop();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const rec = await record(
      recorderOptionsOf(opts),
      {
        stopped,
        get isStopped() {
          return isStopped;
        },
      },
      opts.onEvent ?? (() => {}),
    );
    return shiftRecording(rec, monoToPerformanceOffset());
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Registers, records for `seconds` after the first frame, and always stops its process. */
export async function probeServer(opts: ProbeOptions): Promise<ProbeRecording> {
  const startedMs = performance.now();
  const log = opts.onEvent ?? (() => {});
  const recorderOptions = recorderOptionsOf(opts);
  const base = probeCommand(recorderOptions);
  const cmd = opts.wrapCommand ? opts.wrapCommand(base.command, base.args) : base;
  // Bound: every phase of the recording plus start-up and hand-over; the process normally ends by itself.
  const boundMs = recorderOptions.connectTimeoutMs + recorderOptions.firstFrameTimeoutMs + opts.seconds * 1000 + 20_000;
  let child: ChildHandle | undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let bound: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    child?.process.stdin?.write('stop\n', () => {});
  };
  try {
    child = startChild(cmd.command, cmd.args, { name: 'probe', stdio: ['pipe', 'pipe', 'pipe'], detached: true, stderrLines: 40 });
    child.process.stdin?.on('error', () => {}); // EPIPE when it has already exited
    child.process.stdout?.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESULT_BYTES) {
        overflow = true;
        void child?.stop();
        return;
      }
      chunks.push(c);
    });
    let partial = '';
    child.process.stderr?.on('data', (c: Buffer) => {
      const lines = (partial + c.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) log(l);
    });
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    bound = setTimeout(() => void child?.stop(), boundMs);
    try {
      await child.started;
    } catch (error) {
      return failed(opts, `the probe could not start: ${(error as Error).message}`, startedMs);
    }
    const exit = await child.exited;
    if (overflow) return failed(opts, `the probe wrote more than ${MAX_RESULT_BYTES} bytes`, startedMs);
    const out = Buffer.concat(chunks);
    if (exit.code !== 0 || out.length === 0) {
      const last = child.stderrTail(3).trim().split('\n').pop();
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      return failed(opts, `the probe process ${how}${last ? `: ${last}` : ''}`, startedMs);
    }
    try {
      return shiftRecording(decodeResult(out), monoToPerformanceOffset());
    } catch (error) {
      return failed(opts, (error as Error).message, startedMs);
    }
  } finally {
    if (bound) clearTimeout(bound);
    opts.signal?.removeEventListener('abort', onAbort);
    await child?.stop();
  }
}
