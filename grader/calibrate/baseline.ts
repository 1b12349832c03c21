/**
 * The reference server (this checkout's `npm run server`) measured on the grading machine by the
 * same probe, over the same window, as a submission's server: what the machine lets a correct
 * server reach. Measured once per machine and wire and kept in `.cache/calibration/` for
 * BASELINE_TTL_MS, so a class is calibrated once; a machine whose cores, memory or CPU quota change
 * (a container limited to half a CPU) is another machine.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { jsonNumber, parseJson, type Schema } from '../../src/json.ts';
import { probeServer } from '../measure/probe-client.ts';
import { computeServerFigures } from '../measure/server-figures.ts';
import { startLoadWatch } from '../run/launch/machine-load.ts';
import { allocateStreamPorts, releasePorts } from '../run/launch/ports.ts';
import { withTimingSlot } from '../run/launch/timing-slot.ts';
import { GRADER_ROOT, startReferenceServer } from '../run/reference.ts';
import type { WireName } from '../../src/wire/index.ts';
import { CALIBRATED_FIGURES, type Baseline, type CalibratedFigure } from './limits.ts';
import { cpuQuota } from '../../src/platform/cpu-quota.ts';

/** A kept baseline is used this long; then the machine is measured again. */
export const BASELINE_TTL_MS = 12 * 3600 * 1000;

/** Where baselines are kept: AVSOCK_CALIBRATION_DIR, else the grader checkout's git-ignored .cache/. */
export function calibrationDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AVSOCK_CALIBRATION_DIR ?? join(GRADER_ROOT, '.cache', 'calibration');
}

/** What makes timing on this machine what it is: host, CPU model and count, memory, CPU quota. */
export async function machineKey(): Promise<string> {
  const parts = [
    hostname(),
    cpus()[0]?.model ?? '?',
    String(availableParallelism()),
    String(Math.round(totalmem() / 2 ** 20)),
    String((await cpuQuota())?.cpus ?? ''),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

const BaselineSchema: Schema<Baseline> = v.object({
  measuredAt: v.string(),
  machine: v.string(),
  wire: v.string(),
  figures: v.object(Object.fromEntries(CALIBRATED_FIGURES.map((f) => [f, jsonNumber])) as Record<CalibratedFigure, typeof jsonNumber>),
  disturbed: v.optional(v.string()),
});

export interface BaselineInput {
  clip: string;
  sourceFps: number;
  wire: WireName;
  seconds: number;
  startTimeoutMs: number;
  firstFrameTimeoutMs: number;
  note: (m: string) => void;
  /** Measure again even when a kept baseline is fresh. */
  refresh?: boolean;
  dir?: string;
}

export interface BaselineResult {
  baseline: Baseline;
  /** Read from the cache rather than measured now. */
  cached: boolean;
}

/** One measurement of the reference server, in the timing slot. */
async function measureReference(input: BaselineInput, machine: string): Promise<Baseline> {
  return withTimingSlot(async () => {
    const ports = await allocateStreamPorts();
    const ref = await startReferenceServer(input.clip, ports, input.wire, input.startTimeoutMs);
    try {
      const loadDone = await startLoadWatch();
      const rec = await probeServer({
        host: '127.0.0.1',
        videoPort: ports.videoPort,
        audioPort: ports.audioPort,
        wire: input.wire,
        seconds: input.seconds,
        connectTimeoutMs: input.startTimeoutMs,
        firstFrameTimeoutMs: input.firstFrameTimeoutMs,
      });
      const load = await loadDone();
      const f = rec.frames.length ? await computeServerFigures(rec, { sourceFps: input.sourceFps }) : undefined;
      const figures = Object.fromEntries(
        CALIBRATED_FIGURES.map((name) => [name, f ? f[name.slice('server.'.length) as keyof typeof f] : Number.NaN]),
      ) as Record<CalibratedFigure, number>;
      return {
        measuredAt: new Date().toISOString(),
        machine,
        wire: input.wire,
        figures,
        ...(load.disturbed ? { disturbed: load.reason ?? 'busy' } : {}),
      };
    } finally {
      await ref.launched.handle.stop();
      releasePorts(ports);
    }
  });
}

/** Baselines being measured by this process, so jobs graded at once share one measurement. */
const measuring = new Map<string, Promise<BaselineResult>>();
/** Baselines this process measured again on request: a class asked to recalibrate does it once. */
const refreshed = new Set<string>();

/** The reference's baseline for this machine and wire: kept, or measured now and kept. */
export async function referenceBaseline(input: BaselineInput): Promise<BaselineResult> {
  const machine = await machineKey();
  const dir = input.dir ?? calibrationDir();
  const file = join(dir, `${machine}-${input.wire}-${input.seconds}s.json`);
  const refresh = Boolean(input.refresh) && !refreshed.has(file);
  const key = `${file}${refresh ? '#refresh' : ''}`;
  let pending = measuring.get(key);
  if (!pending) {
    pending = (async (): Promise<BaselineResult> => {
      if (refresh) refreshed.add(file);
      else {
        const kept = await readKept(file, machine);
        if (kept) return { baseline: kept, cached: true };
      }
      input.note(`calibrating: the reference server on this machine (${input.wire} wire, ${input.seconds} s), kept for ${BASELINE_TTL_MS / 3_600_000} h`);
      const baseline = await measureReference(input, machine);
      // A baseline taken on a busy machine is used for this run only: the next one measures again.
      if (!baseline.disturbed) {
        await mkdir(dir, { recursive: true });
        await writeFile(file, `${JSON.stringify(baseline, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`);
      }
      return { baseline, cached: false };
    })();
    measuring.set(key, pending);
    void pending.finally(() => measuring.delete(key)).catch(() => {});
  }
  return pending;
}

async function readKept(file: string, machine: string): Promise<Baseline | undefined> {
  const age = await stat(file).then(
    (s) => Date.now() - s.mtimeMs,
    () => Number.POSITIVE_INFINITY,
  );
  if (age > BASELINE_TTL_MS) return undefined;
  try {
    const kept = parseJson(await readFile(file, 'utf8'), BaselineSchema, 'a kept baseline');
    return kept.machine === machine ? kept : undefined;
  } catch {
    return undefined; // unreadable: measured again and rewritten
  }
}
