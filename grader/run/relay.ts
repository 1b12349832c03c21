/**
 * The impairment relay (`npm run relay`) as a process of the grader's, in front of a server: what
 * the robustness phase puts between a client and a server. A process of its own, so it joins a
 * sandboxed submission's network like the probe and the reference server do; what it did comes
 * back in its --stats file, written when it is stopped.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { AvsockError } from '../../src/errors.ts';
import { parseJson, type Schema } from '../../src/json.ts';
import { launch, type Launched } from './launch/launch.ts';
import type { StreamPorts } from './launch/ports.ts';
import { lineBeforeExit, why } from './launch/watch.ts';
import { GRADER_ROOT } from './reference.ts';
import type { CommandWrap } from './sandbox/sandbox.ts';

const RELAY_CLI = join(GRADER_ROOT, 'src', 'cli', 'relay.ts');
const TSX_LOADER = import.meta.resolve('tsx');
/** The line the relay prints once both its ports are bound. */
const READY_LINE = /^relay: udp /m;

/** The grader's own relay did not start: the grader's or its machine's failure, never the submission's. */
export class RelayStartError extends AvsockError {
  constructor(message: string) {
    super('E_RELAY', message);
  }
}

/** Of the relay's --stats file (src/net/impairment-relay.ts RelayReport), what the grader reads. */
export interface RelayCounts {
  net: string;
  video: { down: { datagrams: number; forwarded: number; duplicated: number; truncated: number; reordered: number } };
  frames: { frames: number; whole: number; outOfOrder: number; incomplete: number; damaged: number };
  offeredSpanMs: number;
}

const count = v.pipe(v.number(), v.minValue(0));
const RelayCountsSchema: Schema<RelayCounts> = v.object({
  net: v.string(),
  video: v.object({
    down: v.object({ datagrams: count, forwarded: count, duplicated: count, truncated: count, reordered: count }),
  }),
  frames: v.object({ frames: count, whole: count, outOfOrder: count, incomplete: count, damaged: count }),
  offeredSpanMs: count,
});

export interface RunningRelay {
  launched: Launched;
  /** Where clients connect: the relay's ports, in a server's shape (the relay itself serves no UI: uiPort is the client's to use). */
  ports: StreamPorts;
  /** Stops the relay and returns what it did (undefined when it wrote nothing: it died). */
  stop(): Promise<RelayCounts | undefined>;
}

/**
 * Starts `npm run relay` listening on `listen` and forwarding to `server`, impaired by `profile`
 * (a profile's name or a spec); resolves once it listens.
 */
export async function startRelay(opts: {
  profile: string;
  listen: StreamPorts;
  server: Pick<StreamPorts, 'videoPort' | 'audioPort'>;
  startTimeoutMs: number;
  /** Into a sandboxed submission's network, where its client or server runs. */
  wrap?: CommandWrap | undefined;
}): Promise<RunningRelay> {
  const stats = join(tmpdir(), `avsock-relay-${process.pid}-${opts.listen.videoPort}.json`);
  await rm(stats, { force: true });
  const args = [
    '--import',
    TSX_LOADER,
    RELAY_CLI,
    '--to',
    `127.0.0.1:${opts.server.videoPort}`,
    '--to-audio-port',
    String(opts.server.audioPort),
    '--listen',
    String(opts.listen.videoPort),
    '--listen-audio-port',
    String(opts.listen.audioPort),
    '--profile',
    opts.profile,
    '--stats',
    stats,
  ];
  const launched = launch(`relay (${opts.profile})`, process.execPath, args, { cwd: GRADER_ROOT, ...(opts.wrap ? { wrap: opts.wrap } : {}) });
  if (!(await lineBeforeExit(launched, READY_LINE, opts.startTimeoutMs))) {
    await launched.handle.stop();
    throw new RelayStartError(why(launched, `the impairment relay (${opts.profile}) did not start`));
  }
  return {
    launched,
    ports: opts.listen,
    async stop() {
      // SIGTERM first: the relay writes its --stats file on the way out.
      await launched.handle.stop();
      const text = await readFile(stats, 'utf8').catch(() => undefined);
      await rm(stats, { force: true });
      return text === undefined ? undefined : parseJson(text, RelayCountsSchema, "the relay's --stats file");
    },
  };
}
