/**
 * --net and npm run relay, end to end: the relay in the path of `npm start` counts exactly the
 * frames the framed client reports lost; through `npm run relay`, a tutorial-wire client shows the
 * frames the relay delivered whole (within one: the last may be in flight when the client stops);
 * a bad spec is one line and exit 2.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RelayReport } from '../../src/net/impairment-relay.ts';
import { useClip } from '../support/fixture.ts';
import { readStats, run, startClient, startServer, stop, waitFor } from '../support/processes.ts';

const fixture = useClip('net.mp4', { fps: '30', seconds: 2 });

describe('impaired network', () => {
  it("npm start --net lossy: the relay's count of lost frames is the framed client's, exactly", async () => {
    const statsFile = join(fixture.dir.path, 'start.json');
    const start = run('start', 'src/cli/start.ts', [
      '--net',
      'lossy',
      '--duration',
      '2',
      '--no-window',
      '--port',
      '0',
      '--audio',
      'null',
      '--file',
      fixture.clip,
      '--stats',
      statsFile,
    ]);
    const { code } = await start.exited;
    expect(code, start.stderr).toBe(0);
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as ReturnType<typeof readStats> & { net: RelayReport };
    console.info(
      `figures net: client framesLost ${stats.framesLost}, relay ${JSON.stringify(stats.net.frames)}, dropped ${JSON.stringify(stats.net.video.down.dropped)}`,
    );
    expect(stats.net.net).toBe('lossy');
    expect(stats.net.video.down.dropped.loss).toBeGreaterThan(0);
    expect(stats.framesLost).toBeGreaterThan(0);
    expect(stats.framesLost).toBe(stats.net.frames.lostInSpan);
    expect(start.stderr).toMatch(/^net lossy: dropped \d+ of \d+ datagrams/m);
  });

  it('npm run relay in front of a tutorial-wire server: the client shows the frames delivered whole', async () => {
    // The whole clip, no --loop: the client plays until the server closes, so it and the relay saw the same stream.
    const server = await startServer(['--wire', 'tutorial', '--file', fixture.clip]);
    const relayStats = join(fixture.dir.path, 'relay.json');
    const relay = run('relay', 'src/cli/relay.ts', [
      '--to',
      `127.0.0.1:${server.port}`,
      '--to-audio-port',
      String(server.audioPort),
      '--profile',
      'lossy,seed=3',
      '--listen',
      '0',
      '--stats',
      relayStats,
    ]);
    try {
      const ports = await waitFor('the relay to listen', () => {
        if (relay.exit) throw new Error(`relay exited ${relay.exit.code}: ${relay.stderr}`);
        const m = /^relay: udp [\d.]+:(\d+) tcp [\d.]+:(\d+)/m.exec(relay.stdout);
        return m ? { port: Number(m[1]), audioPort: Number(m[2]) } : undefined;
      });
      const clientStats = join(fixture.dir.path, 'client.json');
      const client = startClient(ports, ['--wire', 'tutorial', '--stats', clientStats]);
      await client.exited;
      // The tutorial wire has no end-of-stream message: the end of the clip is the server closing the audio connection.
      expect(client.stderr).toMatch(/server closed the audio connection/);
      await stop(relay);
      expect(relay.exit?.code, relay.stderr).toBe(0);
      const report = JSON.parse(readFileSync(relayStats, 'utf8')) as RelayReport;
      const shown = readStats(clientStats).framesShown;
      console.info(`figures relay: tutorial client shown ${shown}, relay ${JSON.stringify(report.frames)}`);
      expect(report.video.down.dropped.fragment).toBeGreaterThan(0);
      expect(Math.abs(shown - report.frames.whole)).toBeLessThanOrEqual(1);
    } finally {
      await stop(relay);
    }
  });

  it('a bad spec is one line naming the field and its range, exit 2', async () => {
    const bad = run('relay', 'src/cli/relay.ts', ['--to', '127.0.0.1:9700', '--profile', 'loss=5%,jitter=fast']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toBe('relay: --profile: jitter must be a time from 0ms to 10s (us, ms or s), got "fast"\n');
  });
});
