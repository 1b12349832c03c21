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

const CLIP = { fps: 30, seconds: 4 };
const fixture = useClip('c4.mp4', { fps: String(CLIP.fps), seconds: CLIP.seconds });
/** The live joiners need the stream still running when they register: a longer clip of its own. */
const LIVE = { fps: 30, seconds: 8 };
const live = useClip('c8.mp4', { fps: String(LIVE.fps), seconds: LIVE.seconds, width: 160, height: 90 });

describe('clients', () => {
  it('two clients at once both get the stream without loss (the first all of it); killing a third does not disturb them', async () => {
    const frames = LIVE.fps * LIVE.seconds;
    const server = await startServer(['--file', live.clip]);
    const files = [join(live.dir.path, 'a.json'), join(live.dir.path, 'b.json')];
    const a = startClient(server, ['--stats', files[0]!, '--duration', '30']);
    // a must be the one that starts the stream: started together, the victim's process can register
    // first on a busy machine, and a then joins a few frames in (it saw frame 2..9 first).
    await waitFor('the first client', () => (/\(1 watching\)/.test(server.proc.stderr) ? true : undefined));
    // The other two start side by side (one process start-up, not two in a row) and join live.
    const victim = startClient(server, ['--duration', '30']);
    const b = startClient(server, ['--stats', files[1]!, '--duration', '30']);
    await waitFor('all three clients to join', () => ((server.proc.stderr.match(/ joined /g) ?? []).length >= 3 ? true : undefined), 60_000);
    victim.child.kill('SIGKILL');
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea.code, a.stderr).toBe(0);
    expect(eb.code, b.stderr).toBe(0);
    const sa = readStats(files[0]!);
    const sb = readStats(files[1]!);
    for (const s of [sa, sb]) {
      expect(s.endReason).toBe('end of stream');
      // Every frame from the one it joined at to the file's last, without a gap: how many that is
      // depends on when its process started, which frames it got does not. (Frame ids count on
      // across plays: a client that joined after the end gets the next play, from its frame 0.)
      expect(s.framesLost).toBe(0);
      expect((s.lastFrameId! + 1) % frames).toBe(0);
      expect(s.framesReceived).toBe(s.lastFrameId! - s.firstFrameId! + 1);
      // Each received frame was either shown or dropped as late, none vanished in between; how many
      // were late is the machine's load (the bench holds it to zero on a quiet one).
      expect(s.framesShown + s.framesLate).toBe(s.framesReceived);
    }
    // a registered first and sees the whole file with all of its sound; b joined live.
    expect(sa.firstFrameId).toBe(0);
    expect(sa.framesReceived).toBe(frames);
    expect(sa.audioSeconds).toBeGreaterThan(LIVE.seconds - 0.15);
    expect(sb.firstFrameId).toBeGreaterThan(0);
    // Fan-out keeps each client at the file's rate (see rate.ts for the band; the benchmark holds it to 0.1 %).
    expectFileRate(sa.fps, LIVE.fps);
    // The server noticed the killed client (its TCP connection closed).
    expect(server.proc.stderr).toMatch(/left \((connection closed|send failed)/);
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
