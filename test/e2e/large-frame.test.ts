/**
 * A 1080p frame at JPEG quality 95 (hundreds of kilobytes): the framed wire fragments it into
 * ≤ 1400-byte datagrams and it arrives intact; the tutorial wire (one datagram per frame, 65507
 * bytes max after base64) cannot carry it — the server says so once, with the hint, and keeps going.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useClip } from '../support/fixture.ts';
import { readStats, startClient, startServer, waitFor } from '../support/processes.ts';

const fixture = useClip('big.mp4', { fps: '5', seconds: 1, width: 1920, height: 1080 });

describe('a 1080p frame at quality 95', () => {
  it('arrives intact in framed wire (fragmented, reassembled, nothing dropped)', async () => {
    const server = await startServer(['--file', fixture.clip, '--width', '1920', '--quality', '95']);
    const statsFile = join(fixture.dir.path, 'big.json');
    const client = startClient(server, ['--stats', statsFile, '--duration', '15']);
    const { code } = await client.exited;
    expect(code, client.stderr).toBe(0);
    const stats = readStats(statsFile);
    expect(stats.framesReceived).toBe(5);
    expect(stats.framesDropped).toBe(0);
    expect(stats.framesLost).toBe(0);
    expect(stats.datagramsLost).toBe(0);
    expect(stats.bytesReceived / 5).toBeGreaterThan(65507); // really larger than one UDP datagram
  });

  it('is a clear one-time error in tutorial wire, not a crash', async () => {
    const server = await startServer(['--file', fixture.clip, '--width', '1920', '--quality', '95', '--wire', 'tutorial']);
    const client = startClient(server, ['--wire', 'tutorial', '--duration', '15']);
    await client.exited;
    await waitFor('the end of the file', () => (/end of file/.test(server.proc.stderr) ? true : undefined));
    const reports = server.proc.stderr.split('\n').filter((l) => /does not fit one UDP datagram/.test(l));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/max 65507/);
    expect(reports[0]).toMatch(/--wire framed|--quality|--width/);
    expect(server.proc.exit).toBeUndefined(); // still serving
  });
});
