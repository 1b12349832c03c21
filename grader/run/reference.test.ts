/**
 * The grader's own server failing to start is the grader's failure: a ReferenceServerError naming
 * why, from a real start of `npm run server` (here on a clip that does not exist).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocateStreamPorts, releasePorts } from './launch/ports.ts';
import { ReferenceServerError, startReferenceServer } from './reference.ts';

describe('startReferenceServer()', () => {
  it("throws a ReferenceServerError with the server's own last line when it cannot start", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'avsock-reference-'));
    const ports = await allocateStreamPorts();
    try {
      const missing = join(dir, 'no-such-clip.mp4');
      const error = await startReferenceServer(missing, ports, undefined, 60_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ReferenceServerError);
      expect((error as ReferenceServerError).code).toBe('E_REFERENCE_SERVER');
      expect((error as Error).message).toMatch(
        /^the reference server did not start \(reference server exited with code \d+\); last output: .*no-such-clip\.mp4/,
      );
    } finally {
      releasePorts(ports);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
