/**
 * The grader's reference server (this checkout's `npm run server`), which a submission's client is
 * graded against. Its status lines (`server: N client(s) | F fps | t T s | sent S`) tell what it
 * really sent, so the client is judged against that and not against the clip's nominal rate.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvsockError } from '../../src/errors.ts';
import type { WireName } from '../../src/wire/index.ts';
import type { StreamPorts } from './launch/ports.ts';
import type { CommandWrap } from './sandbox/sandbox.ts';
import { launch, UI_LINE, type Launched } from './launch/launch.ts';
import { lineBeforeExit, timedLines, why, type TimedLine } from './launch/watch.ts';

/** The grader's own checkout: its `npm run server` is the reference server for client grading. */
export const GRADER_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `npm run server` arguments of this template (and of a Node submission, which shares its CLI). */
export function nodeServerArgs(clip: string, p: StreamPorts, wire?: WireName): string[] {
  const args = [
    'run',
    'server',
    '--',
    '--file',
    clip,
    '--port',
    String(p.videoPort),
    '--audio-port',
    String(p.audioPort),
    '--host',
    '127.0.0.1',
    '--no-window',
    '--ui-port',
    String(p.uiPort),
  ];
  if (wire) args.push('--wire', wire);
  return args;
}

export interface ReferenceServer {
  launched: Launched;
  lines: TimedLine[];
}

/** The grader's own server did not start: the grader's or its machine's failure, never the submission's. */
export class ReferenceServerError extends AvsockError {
  constructor(message: string) {
    super('E_REFERENCE_SERVER', message);
  }
}

/** Starts the reference server and waits for its `ui:` line; a ReferenceServerError names why it did not start. */
export async function startReferenceServer(
  clip: string,
  ports: StreamPorts,
  wire: WireName | undefined,
  startTimeoutMs: number,
  wrap?: CommandWrap,
): Promise<ReferenceServer> {
  // wrap: into the submission's sandbox network (grader/run/sandbox/sandbox.ts), where its client runs.
  const launched = launch('reference server', 'npm', nodeServerArgs(clip, ports, wire), { cwd: GRADER_ROOT, ...(wrap ? { wrap } : {}) });
  const lines = timedLines(launched);
  if (!(await lineBeforeExit(launched, UI_LINE, startTimeoutMs))) {
    await launched.handle.stop();
    throw new ReferenceServerError(why(launched, 'the reference server did not start'));
  }
  return { launched, lines };
}
