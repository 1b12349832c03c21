/**
 * Many clients, clients and servers that go away, ports that are taken.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useClip } from '../support/fixture.ts';
import { expectFileRate } from '../support/rate.ts';
import { readStats, run, startClient, startServer, waitFor } from '../support/processes.ts';

const fixture = useClip('c4.mp4', { fps: '30', seconds: 4 });

describe('clients', () => {
  it('two clients at once each get every frame from the one they joined at, without a gap (the first from frame 0); killing a third does not disturb them', async () => {
    // A looping server: whenever the later clients' processes get to register on a busy machine,
    // the stream is still live, so what is asserted are the frames each one got, never how many.
    const server = await startServer(['--file', fixture.clip, '--loop']);
    const files = [join(fixture.dir.path, 'a.json'), join(fixture.dir.path, 'b.json')];
    const a = startClient(server, ['--stats', files[0]!]);
    // a must be the one that starts the stream: started together, the victim's process can register
    // first on a busy machine, and a then joins a few frames in (it saw frame 2..9 first).
    await waitFor('the first client', () => (/\(1 watching\)/.test(server.proc.stderr) ? true : undefined));
    // The other two start side by side (one process start-up, not two in a row) and join live.
    const victim = startClient(server, []);
    const b = startClient(server, ['--stats', files[1]!]);
    await waitFor('three clients', () => (/\(3 watching\)/.test(server.proc.stderr) ? true : undefined), 60_000);
    victim.child.kill('SIGKILL');
    // The server notices the killed client (its TCP connection closes), then goes on streaming to the
    // other two: its next status line after that says how many frames it has sent by then.
    await waitFor('the server to drop the killed client', () => (/left \((connection closed|send failed)/.test(server.proc.stderr) ? true : undefined), 30_000);
    // Stop a and b only at the status line after that one, so frames sent before it have long
    // been read, however slowly a busy machine runs the two clients.
    const statusLines = (from: number): number[] =>
      [...server.proc.stderr.slice(from).matchAll(/server: 2 client\(s\) .*\| sent (\d+)/g)].map((m) => Number(m[1]));
    const afterKill = server.proc.stderr.length;
    const sentSince = await waitFor(
      'two status lines for the two clients left',
      () => {
        const sent = statusLines(afterKill);
        return sent.length >= 2 ? sent[0] : undefined;
      },
      30_000,
    );
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea.code, a.stderr).toBe(0);
    expect(eb.code, b.stderr).toBe(0);
    const sa = readStats(files[0]!);
    const sb = readStats(files[1]!);
    for (const s of [sa, sb]) {
      // Every frame from the one it joined at to the one it stopped at, without a gap, past every
      // frame the server had sent when it reported the two left after the kill.
      expect(s.framesLost).toBe(0);
      expect(s.framesReceived).toBe(s.lastFrameId! - s.firstFrameId! + 1);
      expect(s.lastFrameId).toBeGreaterThanOrEqual(sentSince - 1);
      // Each received frame was shown, dropped as late, or still waiting for its time when the client
      // stopped (the scheduler holds at most 120); how many were late is the machine's load.
      expect(s.framesShown + s.framesLate).toBeLessThanOrEqual(s.framesReceived);
      expect(s.framesReceived - s.framesShown - s.framesLate).toBeLessThanOrEqual(120);
      expect(s.framesShown).toBeGreaterThan(0);
      expect(s.audioSeconds).toBeGreaterThan(0);
      // Fan-out keeps each client at the file's rate (see rate.ts for the band; the benchmark holds it to 0.1 %).
      expectFileRate(s.arrivalFps!, 30, 'arrivalFps');
    }
    // a registered first and got the stream from its first frame; b joined live.
    expect(sa.firstFrameId).toBe(0);
    expect(sb.firstFrameId).toBeGreaterThan(0);
  });

  it('a client whose server disappears says so and exits non-zero within ~2 s', async () => {
    const server = await startServer(['--file', fixture.clip, '--loop']);
    const client = startClient(server, ['--duration', '30']);
    await waitFor('the first picture', () => (/first picture/.test(client.stderr) ? true : undefined));
    const killedAt = Date.now();
    server.proc.child.kill('SIGKILL');
    const { code } = await client.exited;
    expect(code).toBe(1);
    expect(client.stderr).toMatch(/server (is gone|closed)/);
    expect(Date.now() - killedAt).toBeLessThan(3500); // 2 s + process exit on a loaded machine
  });

  it('a taken UDP port is one line naming the port and --port, exit 1', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    try {
      const port = taken.address().port;
      const proc = run('server', 'src/cli/server.ts', ['--file', fixture.clip, '--port', String(port), '--audio-port', '0', '--no-window']);
      const { code } = await proc.exited;
      expect(code).toBe(1);
      const lines = proc.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn'));
      expect(lines).toEqual([expect.stringMatching(new RegExp(`UDP port ${port} .*--port`))]);
    } finally {
      taken.close();
    }
  });

  it('a taken TCP audio port names --audio-port', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as { port: number }).port;
      const proc = run('server', 'src/cli/server.ts', ['--file', fixture.clip, '--port', '0', '--audio-port', String(port), '--no-window']);
      const { code } = await proc.exited;
      expect(code).toBe(1);
      expect(proc.stderr).toMatch(new RegExp(`TCP port ${port} .*--audio-port`));
    } finally {
      taken.close();
    }
  });

  it('q in either page (POST /quit) stops that program cleanly with exit 0', async () => {
    const server = await startServer(['--file', fixture.clip, '--loop']);
    const statsFile = join(fixture.dir.path, 'quit.json');
    const client = startClient(server, ['--stats', statsFile, '--duration', '30']);
    const clientUi = await waitFor('the client page', () => /^ui: (\S+)/m.exec(client.stdout)?.[1]);
    await waitFor('the client to play', () => (/joined/.test(server.proc.stderr) ? true : undefined));
    await fetch(new URL('quit', clientUi), { method: 'POST' });
    expect((await client.exited).code, client.stderr).toBe(0);
    expect(readStats(statsFile).endReason).toBe('q pressed');
    await fetch(new URL('quit', server.uiUrl), { method: 'POST' });
    expect((await server.proc.exited).code, server.proc.stderr).toBe(0);
  });

  it('a client with no server is one line, exit 1', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    const proc = startClient({ port: port + 1 > 65535 ? port : port + 1, audioPort: port }, []);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.stderr).toMatch(/No server at 127\.0\.0\.1:\d+/);
  });
});
