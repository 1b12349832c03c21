/**
 * The probe as its own process: `node --import tsx grader/measure/probe-process.ts '<options JSON>'`.
 * It records (recorder.ts) and writes the result (result-codec.ts) to stdout; progress lines go to
 * stderr. A line `stop` on stdin, or stdin closing (the grader died), ends the recording early.
 * Being a process of its own, it can be started inside another network namespace (probe-client.ts's
 * wrapCommand), and nothing the grader does can delay its timestamps.
 */
import * as v from 'valibot';
import { parseJson, type Schema } from '../../src/json.ts';
import { WIRE_NAMES } from '../../src/wire/index.ts';
import { record, type RecorderOptions } from './recorder.ts';
import { encodeResult } from './result-codec.ts';

function fail(msg: string): never {
  process.stderr.write(`probe: ${msg}\n`);
  process.exit(2);
}

const RecorderOptionsSchema: Schema<RecorderOptions> = v.object({
  host: v.string(),
  videoPort: v.number(),
  audioPort: v.number(),
  wire: v.picklist([...WIRE_NAMES, 'auto']),
  seconds: v.number(),
  connectTimeoutMs: v.number(),
  firstFrameTimeoutMs: v.number(),
  audioReadAheadMs: v.number(),
  maxKeptJpegBytes: v.number(),
  maxKeptPcmBytes: v.number(),
  maxFrames: v.number(),
});

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (!raw) fail('usage: probe-process.ts \'{"host":…,"videoPort":…,…}\'');
  let opts: RecorderOptions;
  try {
    opts = parseJson(raw, RecorderOptionsSchema, 'options');
  } catch (error) {
    fail((error as Error).message);
  }
  let isStopped = false;
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => (resolveStop = r));
  const stop = (): void => {
    isStopped = true;
    resolveStop();
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (s: string) => {
    if (s.includes('stop')) stop();
  });
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  const rec = await record(
    opts,
    {
      stopped,
      get isStopped() {
        return isStopped;
      },
    },
    (m) => process.stderr.write(`${m}\n`),
  );
  const out = encodeResult(rec);
  await new Promise<void>((resolve, reject) => process.stdout.write(out, (e) => (e ? reject(e) : resolve())));
  process.exit(0);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
