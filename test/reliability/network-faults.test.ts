/**
 * Network faults: a lossy relay between a real server and a client (in this process, so
 * every displayed frame is timed): 5 % loss with duplicates, reordering and delay, then 30 %, then
 * none. The client keeps showing frames, counts the loss exactly (against the relay's own record),
 * keeps A/V within 40 ms, degrades without stalling at 30 %, and is back to full rate within 1 s.
 * Then peers die: a killed client is dropped by the server without disturbing the other; a killed
 * server is reported by its client within ~2 s with a non-zero exit; a restarted server works.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NullSink } from '../../src/audio/sinks.ts';
import { StreamClient } from '../../src/client/stream-client.ts';
import { useClip } from '../support/fixture.ts';
import { readStats, sleep, startClient, startServer, waitFor } from '../support/processes.ts';
import { stackLines } from './helpers.ts';
import { expectFileRate } from '../support/rate.ts';
import { LossyRelay } from './relay.ts';

const fixture = useClip('c30.mp4', { fps: '30', seconds: 4 });

const PHASE_MS = { fivePct: 5000, thirtyPct: 3000, clean: 3000 };

describe.sequential('network faults', () => {
  it('5 % loss: frames keep coming, loss counted exactly, A/V within 40 ms; 30 %: degrades without stalling; recovers within 1 s', async () => {
    // Small frames (≈ 3 fragments) so 30 % datagram loss still lets some frames through whole.
    const server = await startServer(['--file', fixture.clip, '--loop', '--width', '160', '--quality', '50']);
    const relay = await LossyRelay.start(server.port, 5);
    const shown: number[] = [];
    let client: StreamClient | undefined;
    try {
      relay.setFaults({ loss: 0.05, duplicate: 0.02, reorder: 0.02, delayMs: 2 });
      client = await StreamClient.start({
        host: '127.0.0.1',
        port: relay.port,
        audioPort: server.audioPort,
        wire: 'framed',
        openSink: async () => ({ sink: new NullSink(), reason: 'null' }),
        onFrame: () => shown.push(performance.now()),
      });
      await sleep(1000);
      const t1 = performance.now();
      const at1 = client.snapshot();
      await sleep(PHASE_MS.fivePct - 1000);
      const t30 = performance.now();
      const at5 = client.snapshot();
      relay.setFaults({ loss: 0.3, duplicate: 0.02, reorder: 0.02, delayMs: 2 });
      await sleep(PHASE_MS.thirtyPct);
      const tClean = performance.now();
      const at30 = client.snapshot();
      relay.setFaults({ loss: 0 });
      await sleep(1000);
      const tClean1 = performance.now();
      const atClean1 = client.snapshot();
      await sleep(PHASE_MS.clean - 1000);
      const tCleanEnd = performance.now();
      const atCleanEnd = client.snapshot();
      relay.cut();
      await sleep(400); // let the last frames arrive; the client's 2 s silence watchdog has not fired
      const end = client.snapshot();
      const expected = relay.expectedLoss();

      const maxGap = (a: number, b: number): number => {
        const ts = shown.filter((t) => t >= a && t < b);
        return Math.max(0, ...ts.slice(1).map((t, i) => t - ts[i]!));
      };
      // Recovery, judged against the impairment actually removed: from the moment the relay began
      // passing the first frame sent whole after the loss stopped, to that frame (or a later one)
      // being shown. (Judging it by "no gap over 50 ms until the end" measured the machine's load:
      // any late frame in the clean phase, loss or not, counted as not yet recovered.)
      const cleanAt = relay.firstCleanFrameAt ?? Number.POSITIVE_INFINITY;
      const recoveryMs = (shown.find((t) => t >= cleanAt) ?? Number.POSITIVE_INFINITY) - cleanAt;
      // Each phase's rate is of frames that arrived whole (the network's part), not of frames shown
      // in time, which a busy machine lowers by dropping late ones whatever the network did.
      const rate = (a: { framesReceived: number }, b: { framesReceived: number }, ms: number): number => (b.framesReceived - a.framesReceived) / (ms / 1000);
      const fps5 = rate(at1, at5, t30 - t1);
      const fps30 = rate(at5, at30, tClean - t30);
      const fpsClean = rate(atClean1, atCleanEnd, tCleanEnd - tClean1);
      console.info(
        `figures faults: relay dropped ${relay.dropped} of ${relay.log.length} datagrams (dup ${relay.duplicated}, reordered ${relay.reordered}); expected lost datagrams ${expected.datagramsLost}, frames ${expected.framesLost}; client datagramsLost ${end.datagramsLost}, framesLost ${end.framesLost}; fps at 5 % ${fps5.toFixed(1)}, at 30 % ${fps30.toFixed(1)} (max gap ${maxGap(t30, tClean).toFixed(0)} ms), clean ${fpsClean.toFixed(1)}; recovery ${recoveryMs.toFixed(0)} ms; A/V at 5 % mean ${at5.avOffsetMs.mean} maxAbs ${at5.avOffsetMs.maxAbs}, whole run maxAbs ${end.avOffsetMs.maxAbs}`,
      );

      // Exact loss accounting: what the relay dropped is what the client reports.
      expect(end.datagramsLost).toBe(expected.datagramsLost);
      expect(end.framesLost).toBe(expected.framesLost);
      expect(relay.dropped).toBeGreaterThan(50);
      // 5 %: most frames still arrive whole (≈ 0.95^3 of 30 fps), shown in sync.
      expect(fps5).toBeGreaterThan(20);
      expect(Math.abs(at5.avOffsetMs.maxAbs!)).toBeLessThanOrEqual(40);
      // 30 %: fewer whole frames, but the picture never stalls for long, and the client did not give up.
      expect(fps30).toBeGreaterThan(3);
      expect(maxGap(t30, tClean)).toBeLessThan(1500);
      expect(end.endReason).toBeNull();
      // Loss gone: the first whole frame is shown within 1 s (30 frame intervals: a client stuck on
      // the loss — waiting for a fragment that never comes — would never show it), then the file rate.
      expect(recoveryMs).toBeLessThan(1000);
      expectFileRate(fpsClean, 30, 'fps once the loss stopped');
      expect(end.avOffsetMs.maxAbs!).toBeLessThanOrEqual(40);
    } finally {
      await client?.close();
      relay.close();
    }
  });

  it('a killed client is dropped by the server, the other is undisturbed; a killed server is reported within ~2 s; a restarted server works', async () => {
    const server = await startServer(['--file', fixture.clip, '--loop']);
    const keepStats = join(fixture.dir.path, 'keep.json');
    const keep = startClient(server, ['--stats', keepStats, '--duration', '8']);
    const victim = startClient(server, ['--duration', '60']);
    await waitFor('both clients to join', () => ((server.proc.stderr.match(/joined/g) ?? []).length >= 2 ? true : undefined));
    await sleep(1000);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    // However the kill reaches it first: the connection's close, a failed send, or the keepalive.
    await waitFor(
      'the server to drop the killed client',
      () => (/left \((keepalive timeout|connection closed|send failed)/.test(server.proc.stderr) ? true : undefined),
      10_000,
    );
    const dropMs = Date.now() - killedAt;
    await keep.exited;
    const kept = readStats(keepStats);
    expect(keep.exit!.code, keep.stderr).toBe(0);
    expect(kept.framesLost).toBe(0);
    expectFileRate(kept.arrivalFps!, 30, 'the other client keeps receiving at the file rate');

    // The server dies: a client says so within ~2 s (SERVER_SILENCE_MS) and exits non-zero.
    const orphan = startClient(server, ['--duration', '60']);
    await waitFor('the client to join', () => ((server.proc.stderr.match(/joined/g) ?? []).length >= 3 ? true : undefined));
    await sleep(500);
    const serverKilledAt = Date.now();
    server.proc.child.kill('SIGKILL');
    const { code } = await orphan.exited;
    const detectMs = Date.now() - serverKilledAt;
    console.info(
      `figures peers: server dropped a SIGKILLed client after ${dropMs} ms; a client reported the SIGKILLed server and exited ${code} after ${detectMs} ms`,
    );
    expect(code).toBe(1);
    expect(detectMs).toBeLessThan(3500);
    expect(orphan.stderr).toMatch(/client: .*(server is gone|closed the connection)/);
    expect(stackLines(orphan.stderr)).toEqual([]);

    // Restarted on the same ports: a new client works.
    const again = await startServer(['--file', fixture.clip], { port: server.port, audioPort: server.audioPort });
    const freshStats = join(fixture.dir.path, 'fresh.json');
    const fresh = startClient(again, ['--stats', freshStats, '--duration', '8']);
    await fresh.exited;
    expect(fresh.exit!.code, fresh.stderr).toBe(0);
    expect(readStats(freshStats).framesReceived).toBe(120);
  });
});
