/**
 * Fidelity: does the grader's probe see what a real client sees? The tutorial's own server.py
 * (test/fixtures/tutorial, verbatim) streams the demo clip twice — once measured by the grader's
 * probe (probeServer + computeServerFigures), once by an independent real-time client in another
 * language (grader/testing/plain_client.py: Python, OpenCV's JPEG decoder, a blocking sound card)
 * — and the figures are printed side by side. server.py serves only its first client, so each
 * receiver gets a fresh server.
 *
 * Written down before measuring (EXPECTED): what both receivers should read on a quiet machine,
 * and how close they must agree (fps error within 1 point; jitter p99 within 2× + 3 ms).
 */
import * as v from 'valibot';
import { parseJson } from '../../src/json.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { computeServerFigures } from '../../grader/measure/server-figures.ts';
import { probeServer } from '../../grader/measure/probe-client.ts';
import { startTutorialServer, tutorialServerUnavailable } from '../../grader/measure/tutorial-fixture.ts';
import { allocateStreamPorts, releasePorts } from '../../grader/run/launch/ports.ts';
import { resolvePython } from '../../grader/run/python/python.ts';
import { DEMO_CLIP, ensureDemoClip } from '../../src/media/clips.ts';

/** Expected verdicts for the verbatim tutorial server.py, each receiver alike (fixed before the first run). */
export const EXPECTED = [
  "fps: the file's 30 within ±1 % (its TS ± 1 ms feedback pacing converges), both receivers within 1 point of each other",
  'jitter p99: a few ms (its waitKey() sleep granularity), the two within 2× + 3 ms of each other',
  'freezes 0, frames missing 0 (loopback does not drop)',
  'audio: held back by the real-time player ≥ 90 % of the time (server.py sends as fast as TCP lets it), so not self-paced; rate 1.00 ± 0.02, no underruns',
  'A/V: both receivers the same sign and within 100 ms of each other (the size depends on when server.py starts its video thread)',
] as const;

export interface FidelityFigures {
  fps: number;
  fpsErrorPct: number;
  jitterP50Ms: number;
  jitterP99Ms: number;
  freezes: number;
  framesMissing: number;
  audioRate: number;
  heldBackPct: number;
  underrunMs: number;
  avOffsetMs: number;
  avPairs: number;
  problem?: string;
}

export interface FidelityResult {
  measured: boolean;
  reason?: string;
  seconds: number;
  /** Medians over the runs. */
  probe?: FidelityFigures;
  plain?: FidelityFigures;
  probeRuns?: FidelityFigures[];
  plainRuns?: FidelityFigures[];
  /** |fps error difference| ≤ 1 point. */
  fpsAgrees?: boolean;
  /** The larger jitter p99 ≤ 2 × the smaller + 3 ms. */
  jitterAgrees?: boolean;
  expected: readonly string[];
}

const PLAIN_CLIENT = fileURLToPath(new URL('../../grader/testing/plain_client.py', import.meta.url));
const nan = Number.NaN;
const num = (v: unknown): number => (typeof v === 'number' ? v : nan);

async function byProbe(seconds: number, log: (msg: string) => void): Promise<FidelityFigures> {
  const clip = await ensureDemoClip({ onProgress: log });
  const ports = await allocateStreamPorts();
  const server = await startTutorialServer({ videoPort: ports.videoPort, clip });
  try {
    const rec = await probeServer({
      host: '127.0.0.1',
      videoPort: ports.videoPort,
      audioPort: ports.videoPort - 1,
      wire: 'tutorial',
      seconds,
      connectTimeoutMs: 30_000,
      firstFrameTimeoutMs: 30_000,
    });
    const f = await computeServerFigures(rec, { sourceFps: DEMO_CLIP.fps });
    return {
      fps: f.fps,
      fpsErrorPct: f.fpsErrorPct,
      jitterP50Ms: f.jitterP50Ms,
      jitterP99Ms: f.jitterP99Ms,
      freezes: f.freezeCount,
      framesMissing: f.framesMissing,
      audioRate: f.rate,
      heldBackPct: f.audioHeldBackPct,
      underrunMs: f.audioUnderrunMs,
      avOffsetMs: f.avOffsetMs,
      avPairs: f.avPairs,
      ...(rec.problem ? { problem: rec.problem } : {}),
    };
  } finally {
    await server.stop();
    releasePorts(ports);
  }
}

async function byPlainClient(seconds: number, log: (msg: string) => void): Promise<FidelityFigures> {
  const clip = await ensureDemoClip({ onProgress: log });
  const ports = await allocateStreamPorts();
  const server = await startTutorialServer({ videoPort: ports.videoPort, clip });
  try {
    const out = await new Promise<string>((resolve, reject) => {
      // Same window as the probe: `seconds` after the first frame, the first second left out.
      const p = spawn(resolvePython().command, [PLAIN_CLIENT, '127.0.0.1', String(ports.videoPort), String(seconds), '1', String(DEMO_CLIP.fps)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const bound = setTimeout(() => p.kill('SIGKILL'), (seconds + 60) * 1000);
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('exit', (code) => {
        clearTimeout(bound);
        if (code === 0) resolve(stdout);
        else reject(new Error(`plain_client.py exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      });
    });
    const j = parseJson(out.trim().split('\n').pop() ?? '', v.record(v.string(), v.unknown()), "plain_client.py's figures");
    return {
      fps: num(j.fps),
      fpsErrorPct: num(j.fpsErrorPct),
      jitterP50Ms: num(j.jitterP50Ms),
      jitterP99Ms: num(j.jitterP99Ms),
      freezes: num(j.freezes),
      framesMissing: num(j.framesMissing),
      audioRate: num(j.audioRate),
      heldBackPct: num(j.heldBackPct),
      underrunMs: num(j.underrunMs),
      avOffsetMs: num(j.avOffsetMs),
      avPairs: num(j.avPairs),
      ...(typeof j.audioError === 'string' ? { problem: j.audioError } : {}),
    };
  } finally {
    await server.stop();
    releasePorts(ports);
  }
}

/** Median of each figure over the runs (NaN ignored). */
function medianFigures(runs: readonly FidelityFigures[]): FidelityFigures {
  const out = { ...runs[0]! };
  for (const key of Object.keys(out) as Array<keyof FidelityFigures>) {
    if (key === 'problem') continue;
    const xs = runs
      .map((r) => r[key])
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    out[key] = xs.length ? (xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2) : nan;
  }
  return out;
}

/** `runs` rounds, each a fresh server.py for the probe then a fresh one for the plain client. */
export async function measureFidelity(seconds: number, log: (msg: string) => void, runs = 1): Promise<FidelityResult> {
  const unavailable = tutorialServerUnavailable();
  if (unavailable) return { measured: false, reason: unavailable, seconds, expected: EXPECTED };
  const probeRuns: FidelityFigures[] = [];
  const plainRuns: FidelityFigures[] = [];
  for (let i = 0; i < runs; i++) {
    log(`fidelity ${i + 1}/${runs}: tutorial server.py measured by the grader's probe`);
    probeRuns.push(await byProbe(seconds, log));
    log(`fidelity ${i + 1}/${runs}: tutorial server.py measured by the independent plain client`);
    plainRuns.push(await byPlainClient(seconds, log));
  }
  const probe = medianFigures(probeRuns);
  const plain = medianFigures(plainRuns);
  const [lo, hi] = [Math.min(probe.jitterP99Ms, plain.jitterP99Ms), Math.max(probe.jitterP99Ms, plain.jitterP99Ms)];
  return {
    measured: true,
    seconds,
    probe,
    plain,
    probeRuns,
    plainRuns,
    fpsAgrees: Math.abs(probe.fpsErrorPct - plain.fpsErrorPct) <= 1,
    jitterAgrees: hi <= 2 * lo + 3,
    expected: EXPECTED,
  };
}

const ROWS: Array<[keyof FidelityFigures, string, number]> = [
  ['fps', 'fps', 2],
  ['fpsErrorPct', 'fps error %', 2],
  ['jitterP50Ms', 'jitter p50 ms', 2],
  ['jitterP99Ms', 'jitter p99 ms', 2],
  ['freezes', 'freezes', 0],
  ['framesMissing', 'frames missing', 0],
  ['audioRate', 'audio rate ×', 3],
  ['heldBackPct', 'audio held back %', 0],
  ['underrunMs', 'audio underruns ms', 0],
  ['avOffsetMs', 'A/V ms (+ = picture late)', 0],
  ['avPairs', 'A/V pairs', 0],
];

export function fidelityTable(r: FidelityResult): string {
  if (!r.measured || !r.probe || !r.plain) return `not measured: ${r.reason ?? 'unknown'}`;
  const fmt = (v: unknown, digits: number): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');
  const n = r.probeRuns?.length ?? 1;
  const range = (runs: FidelityFigures[] | undefined, key: keyof FidelityFigures, digits: number): string => {
    const xs = (runs ?? []).map((x) => x[key] as number).filter(Number.isFinite);
    return n > 1 && xs.length ? ` [${fmt(Math.min(...xs), digits)}…${fmt(Math.max(...xs), digits)}]` : '';
  };
  const lines = [
    `figure                      grader probe                  plain client   (tutorial server.py, ${r.seconds} s each${n > 1 ? `, median [range] of ${n} runs` : ''})`,
  ];
  for (const [key, label, digits] of ROWS) {
    const a = `${fmt(r.probe[key], digits)}${range(r.probeRuns, key, digits)}`;
    const b = `${fmt(r.plain[key], digits)}${range(r.plainRuns, key, digits)}`;
    lines.push(`${label.padEnd(28)}${a.padStart(18)}${b.padStart(30)}`);
  }
  lines.push(`fps error within 1 point: ${r.fpsAgrees ? 'yes' : 'NO'}; jitter p99 within 2× + 3 ms: ${r.jitterAgrees ? 'yes' : 'NO'}`);
  for (const p of [r.probe.problem && `probe: ${r.probe.problem}`, r.plain.problem && `plain client: ${r.plain.problem}`]) if (p) lines.push(p);
  lines.push('expected (written before measuring):', ...r.expected.map((e) => `  - ${e}`));
  return lines.join('\n');
}
