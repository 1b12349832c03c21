/**
 * The robustness phase (on when the rubric's `robustness.enabled` is true): the submission through
 * each of the rubric's network profiles, with the impairment relay (npm run relay) in the path.
 *
 * - client: plays the reference server's stream through the relay. It must keep running (no
 *   traceback on a lost, duplicated, reordered or truncated datagram), keep showing what arrives
 *   (its shown rate against the share of frames the relay delivered whole) and keep its sound going.
 * - server: the probe registers through the relay, whose TCP side delays and narrows the audio as
 *   the profile says. The server must keep its frame rate: the frames it offered the relay per
 *   second against the clip's rate, counted before any impairment, so a frame lost on the way is
 *   not the server's fault and a frame it held back is.
 *
 * Each figure is the worst over the profiles; each profile's own figures go into the report. Runs
 * in the timing slot, as the other timed phases.
 */
import { allocateStreamPorts, releasePorts } from '../run/launch/ports.ts';
import type { Launched } from '../run/launch/launch.ts';
import { withTimingSlot } from '../run/launch/timing-slot.ts';
import { why } from '../run/launch/watch.ts';
import { RelayStartError, startRelay, type RelayCounts, type RunningRelay } from '../run/relay.ts';
import type { RobustnessFigures, RobustnessRun } from '../score/figure-record.ts';
import { fmt } from '../score/score-submission.ts';
import { measureClientThrough } from './measure-client.ts';
import { probeUntilExit, type ServerInput } from './measure-server.ts';
import { bounded, failed, failedOurs, succeeded, type Outcome } from './runner.ts';

export interface RobustnessInput extends ServerInput {
  profiles: readonly string[];
  /** Report folder (the client's stats and PCM files). */
  out: string;
}

/** A window frozen this long at the end of the run stopped showing: the stall limit of the server's stream. */
const FROZEN_LIMIT_S = 2;

/** What the relay did, in one line for the report. */
export function relayLine(r: RelayCounts): string {
  const d = r.video.down;
  const extras = [
    d.truncated ? `${d.truncated} cut short` : '',
    d.duplicated ? `${d.duplicated} duplicated` : '',
    d.reordered ? `${d.reordered} held back` : '',
  ].filter(Boolean);
  return `${d.datagrams - d.forwarded} of ${d.datagrams} datagrams dropped${extras.length ? `, ${extras.join(', ')}` : ''}; frames ${r.frames.whole} of ${r.frames.frames} whole`;
}

/** The share of the frames offered that reached the client whole (1 when nothing was offered). */
function wholeShare(r: RelayCounts): number {
  return r.frames.frames > 0 ? r.frames.whole / r.frames.frames : 1;
}

async function clientThrough(input: RobustnessInput, profile: string): Promise<RobustnessRun['client'] | 'ours'> {
  const run = await measureClientThrough(input, profile);
  const { outcome, relay } = run;
  if (!outcome.ok && outcome.ours) return 'ours';
  const f = outcome.value;
  if (!f || !relay) {
    const problem = outcome.ok ? 'the relay wrote no counts' : outcome.reason;
    return { running: false, shownShare: 0, audioRatio: 0, relay: relay ? relayLine(relay) : 'no counts', problem };
  }
  // A window that stopped changing while frames still arrived: its video loop died and the program
  // lives on (client.py's ThreadPoolExecutor keeps a thread's exception to itself, printing nothing).
  const frozen = (f.frozenAtEndS ?? 0) > FROZEN_LIMIT_S && wholeShare(relay) > 0;
  const running = f.running && !frozen;
  // A client that stopped shows nothing more: its share is 0, not what it showed before.
  const shownShare = running ? f.fps / f.sentFps / wholeShare(relay) : 0;
  const problem = [
    outcome.ok ? f.problem : outcome.reason,
    frozen ? `its window showed nothing new for the last ${fmt(f.frozenAtEndS)} s while frames kept arriving (its video loop stopped)` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    running,
    shownShare: Number.isFinite(shownShare) ? shownShare : 0,
    audioRatio: f.audioRatio,
    relay: relayLine(relay),
    ...(problem ? { problem } : {}),
  };
}

/** The frames the server offered per second ÷ the clip's rate, over the probe's window; 0 when it stopped. */
function keptPace(relay: RelayCounts, sourceFps: number, seconds: number, server: Launched): number {
  if (server.exit || relay.frames.frames < 2) return 0;
  const spanS = relay.offeredSpanMs / 1000;
  const rate = (relay.frames.frames - 1) / spanS / sourceFps;
  // A server that stopped sending before the window ended kept pace only for the part it sent.
  return Math.min(rate, spanS / seconds);
}

async function serverThrough(input: RobustnessInput, profile: string): Promise<RobustnessRun['server'] | 'ours'> {
  const sub = input.submission;
  const ports = await allocateStreamPorts();
  const relayPorts = await allocateStreamPorts();
  const started: Launched[] = [];
  let relay: RunningRelay | undefined;
  try {
    const server = await sub.startServer({
      clip: input.clip,
      ports,
      ...(input.wire ? { wire: input.wire } : {}),
      ...(input.display ? { display: input.display } : {}),
    });
    started.push(server);
    try {
      relay = await startRelay({ profile, listen: relayPorts, server: ports, startTimeoutMs: input.startTimeoutMs, wrap: sub.sandbox?.joinNetwork });
    } catch (error) {
      if (error instanceof RelayStartError) return 'ours';
      throw error;
    }
    started.push(relay.launched);
    const rec = await probeUntilExit(input, server, relayPorts);
    const counts = await relay.stop();
    if (!counts) return { keepsPace: 0, relay: 'no counts', problem: why(relay.launched, 'the relay wrote no counts') };
    const keepsPace = keptPace(counts, input.sourceFps, input.seconds, server);
    const stopped = server.exit ? why(server, 'the server stopped') : undefined;
    const problem = stopped ?? (rec.frames.length === 0 ? why(server, rec.problem ?? 'no frame reached the probe') : undefined);
    return { keepsPace, relay: relayLine(counts), ...(problem ? { problem } : {}) };
  } finally {
    await Promise.all(started.map((l) => l.handle.stop()));
    releasePorts(ports);
    releasePorts(relayPorts);
  }
}

/** The worst of each figure over the runs; undefined when a side was not run for every profile. */
function worstOf(runs: RobustnessRun[]): RobustnessFigures {
  const clients = runs.flatMap((r) => (r.client ? [r.client] : []));
  const servers = runs.flatMap((r) => (r.server ? [r.server] : []));
  const min = (xs: number[]): number => (xs.length === runs.length ? Math.min(...xs) : Number.NaN);
  return {
    clientRunning: clients.length === runs.length && clients.every((c) => c.running),
    clientShownShare: min(clients.map((c) => c.shownShare)),
    clientAudioRatio: min(clients.map((c) => c.audioRatio)),
    serverKeepsPace: min(servers.map((s) => s.keepsPace)),
    runs,
  };
}

function summary(f: RobustnessFigures): string {
  return f.runs
    .map(
      (r) =>
        `${r.profile}: client ${r.client ? `${r.client.running ? 'running' : 'STOPPED'}, shown ${fmt(r.client.shownShare * 100)} % of whole frames, sound ×${fmt(r.client.audioRatio)}` : 'not run'}; server ${r.server ? `pace ×${fmt(r.server.keepsPace)}` : 'not run'}`,
    )
    .join(' | ');
}

export async function measureRobustness(input: RobustnessInput): Promise<Outcome<RobustnessFigures>> {
  const sub = input.submission;
  const hasClient = sub.kind !== 'python' || Boolean(sub.client);
  return withTimingSlot(() =>
    bounded(input.budgetMs, 'robustness', async () => {
      const runs: RobustnessRun[] = [];
      for (const profile of input.profiles) {
        input.note(`robustness: ${profile}`);
        const client = hasClient ? await clientThrough({ ...input, budgetMs: input.budgetMs / input.profiles.length / 2 }, profile) : undefined;
        const server = await serverThrough(input, profile);
        if (client === 'ours' || server === 'ours')
          return failedOurs<RobustnessFigures>(`the grader's reference server or relay did not start (profile ${profile})`);
        runs.push({ profile, ...(client ? { client } : {}), ...(server ? { server } : {}) });
      }
      const figures = worstOf(runs);
      const problems = runs.flatMap((r) => [r.client?.problem, r.server?.problem].filter(Boolean).map((p) => `${r.profile}: ${p}`));
      return problems.length ? failed(problems.join('; '), figures) : succeeded(figures, summary(figures));
    }),
  );
}
