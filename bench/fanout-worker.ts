/**
 * Child process of the fan-out benchmark: N probe clients (grader/measure/probe-client.ts, framed wire) in
 * one process, each analysed on its own; prints one JSON line on stdout and exits.
 * argv: host videoPort audioPort count seconds sourceFps
 * Probes keep no JPEG/PCM (times and sizes only), so 50 of them stay light.
 */
import { probeInThisProcess } from '../grader/measure/probe-client.ts';
import { fanoutResult, type FanoutProbeResult } from './fanout-figures.ts';

async function main(): Promise<void> {
  const [host, videoPort, audioPort, count, seconds, sourceFps] = process.argv.slice(2);
  const n = Number(count);
  const recs = await Promise.all(
    Array.from({ length: n }, () =>
      probeInThisProcess({
        host: host!,
        videoPort: Number(videoPort),
        audioPort: Number(audioPort),
        wire: 'framed',
        seconds: Number(seconds),
        maxKeptJpegBytes: 0,
        maxKeptPcmBytes: 0,
      }),
    ),
  );
  const results: FanoutProbeResult[] = recs.map((rec) =>
    fanoutResult(rec.frames, Number(sourceFps), {
      datagramsLost: rec.datagramsLost ?? Number.NaN,
      framesIncomplete: rec.framesIncomplete ?? Number.NaN,
      firstFrameEpochMs: rec.firstFrameMs !== undefined ? performance.timeOrigin + rec.firstFrameMs : Number.NaN,
      endedEpochMs: performance.timeOrigin + rec.endedMs,
      ...(rec.problem ? { problem: rec.problem } : {}),
    }),
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`fanout worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
